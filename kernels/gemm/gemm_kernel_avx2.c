/*
 * gemm_kernel_avx2.c - the AVX2 + FMA micro-kernel: a 6 x 16 tile in 12
 * ymm accumulators (4 x 16 in 8 for a block's short last tiles). Each step
 * of K loads one 16-float row of the packed B panel (two aligned loads)
 * and broadcasts one element of each of the six A rows, straight from A
 * (packing A into interleaved panels measured no faster: the six
 * sequential row streams prefetch well). Partial tiles mask their C, bias
 * and residual accesses; the epilogue runs on the accumulators.
 */
#include <immintrin.h>

#include "gemm_kernel.h"
#include "vmath.h"

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256 activate8(__m256 v, const gemm_tile_t *t)
{
    switch (t->act) {
    case GEMM_ACT_RELU:
        return _mm256_max_ps(v, _mm256_setzero_ps());
    case GEMM_ACT_CLIP:
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(t->clip_min)),
                             _mm256_set1_ps(t->clip_max));
    case GEMM_ACT_GELU:
        return vmath_gelu8_avx2(v);
    case GEMM_ACT_NONE:
        break;
    }
    return v;
}

/* Lanes of the two column halves that lie inside the tile's nr columns. */
typedef struct lane_masks {
    __m256i lo, hi;
    bool full;
} lane_masks_t;

/* Finishes row r of the tile from its two accumulators and stores it. */
AVX2 static inline void finish_row(const gemm_tile_t *t, int r, __m256 lo, __m256 hi,
                                   const lane_masks_t *m)
{
    float *c = t->c + r * t->ldc;

    if (!t->first && m->full) {
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(c));
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(c + 8));
    } else if (!t->first) {
        lo = _mm256_add_ps(lo, _mm256_maskload_ps(c, m->lo));
        hi = _mm256_add_ps(hi, _mm256_maskload_ps(c + 8, m->hi));
    } else {
        if (t->bias) {
            lo = _mm256_add_ps(lo, _mm256_maskload_ps(t->bias, m->lo));
            hi = _mm256_add_ps(hi, _mm256_maskload_ps(t->bias + 8, m->hi));
        }
        if (t->residual) {
            const float *res = t->residual + r * t->ld_residual;
            lo = _mm256_add_ps(lo, _mm256_maskload_ps(res, m->lo));
            hi = _mm256_add_ps(hi, _mm256_maskload_ps(res + 8, m->hi));
        }
    }
    if (t->last) {
        lo = activate8(lo, t);
        hi = activate8(hi, t);
    }
    if (m->full) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
    } else {
        _mm256_maskstore_ps(c, m->lo, lo);
        _mm256_maskstore_ps(c + 8, m->hi, hi);
    }
}

/* The one or two cache lines a tile row of GEMM_NR floats spans. */
AVX2 static inline void prefetch_row(const float *row)
{
    _mm_prefetch((const char *)row, _MM_HINT_T0);
    _mm_prefetch((const char *)(row + GEMM_NR - 1), _MM_HINT_T0);
}

/* One step of K for row pointer A: broadcast its element p into both halves. */
#define ROW_STEP(A, LO, HI)                                                                        \
    do {                                                                                           \
        __m256 av = _mm256_broadcast_ss((A) + p);                                                  \
        LO = _mm256_fmadd_ps(av, b0, LO);                                                          \
        HI = _mm256_fmadd_ps(av, b1, HI);                                                          \
    } while (0)

/*
 * The tile on ROWS rows, 6 or 4 (a constant once inlined, so the unused
 * rows' code disappears). A rows past mr are read from row 0 and
 * discarded.
 */
AVX2 static inline __attribute__((always_inline)) void tile_rows(const gemm_tile_t *t,
                                                                 const int rows)
{
    const float *a0 = t->a;
    const float *a1 = t->mr > 1 ? a0 + t->lda : a0;
    const float *a2 = t->mr > 2 ? a0 + 2 * t->lda : a0;
    const float *a3 = t->mr > 3 ? a0 + 3 * t->lda : a0;
    const float *a4 = t->mr > 4 ? a0 + 4 * t->lda : a0;
    const float *a5 = t->mr > 5 ? a0 + 5 * t->lda : a0;
    const float *b = t->b;
    const int64_t kc = t->kc;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    lane_masks_t m;

    /*
     * The tile's C rows are read or written last, its residual rows read:
     * start fetching both now so the epilogue does not wait for them.
     */
    for (int r = 0; r < t->mr; r++) {
        prefetch_row(t->c + r * t->ldc);
        if (t->first && t->residual)
            prefetch_row(t->residual + r * t->ld_residual);
    }
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; p++, b += GEMM_NR) {
        __m256 b0 = _mm256_load_ps(b);
        __m256 b1 = _mm256_load_ps(b + 8);
        ROW_STEP(a0, c00, c01);
        ROW_STEP(a1, c10, c11);
        ROW_STEP(a2, c20, c21);
        ROW_STEP(a3, c30, c31);
        if (rows > 4) {
            ROW_STEP(a4, c40, c41);
            ROW_STEP(a5, c50, c51);
        }
    }
    m.full = t->nr == GEMM_NR;
    m.lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(t->nr), lane);
    m.hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(t->nr - 8), lane);
    finish_row(t, 0, c00, c01, &m);
    if (t->mr > 1)
        finish_row(t, 1, c10, c11, &m);
    if (t->mr > 2)
        finish_row(t, 2, c20, c21, &m);
    if (t->mr > 3)
        finish_row(t, 3, c30, c31, &m);
    if (rows > 4 && t->mr > 4)
        finish_row(t, 4, c40, c41, &m);
    if (rows > 4 && t->mr > 5)
        finish_row(t, 5, c50, c51, &m);
}

/*
 * Out of line, so the 6-row loop is compiled without knowing mr > 4: GCC
 * then keeps six row pointers, the loop of the single 6-row kernel this
 * replaced, rather than indexing five rows off one base (extra address
 * arithmetic in the loop; about 1% slower in one A/B, within the noise in
 * another).
 */
AVX2 static __attribute__((noinline)) void tile6(const gemm_tile_t *t)
{
    tile_rows(t, GEMM_MR);
}

/*
 * Tiles of up to 4 rows take the 4-row loop: two thirds of the time of a
 * 6-row tile, measured (fewer rows gain nothing more, as streaming the
 * B panel from L2 then bounds the loop: 2 rows also take two thirds).
 */
AVX2 void gemm_kernel_avx2(const gemm_tile_t *t)
{
    if (t->mr > GEMM_SHORT_MR)
        tile6(t);
    else
        tile_rows(t, GEMM_SHORT_MR);
}

AVX2 void gemm_transpose_block_avx2(const float *src, int64_t lds, float *dst, int64_t ldd)
{
    __m256 r[GEMM_TRANSPOSE_BLOCK], t[GEMM_TRANSPOSE_BLOCK];

    for (int i = 0; i < GEMM_TRANSPOSE_BLOCK; i++)
        r[i] = _mm256_loadu_ps(src + i * lds);
    /* Interleave pairs of rows, then pairs of pairs: each 128-bit half holds a 4 x 4 transpose. */
    for (int i = 0; i < GEMM_TRANSPOSE_BLOCK; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < GEMM_TRANSPOSE_BLOCK; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    /* Rows 0-3 carry the low halves of the result, rows 4-7 the high ones. */
    for (int i = 0; i < GEMM_TRANSPOSE_BLOCK / 2; i++) {
        _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
}
