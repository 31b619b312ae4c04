/*
 * gemm_kernel_avx512.c - the AVX-512 micro-kernel: tiles of up to
 * GEMM_AVX512_MR (12) rows x 32 columns (two adjacent panels), two zmm
 * accumulators per row. Each step of K loads the 16-float row of each
 * packed B panel once (two aligned loads) and broadcasts one element of
 * each A row once for its two FMAs, so a step is 24 FMAs for 14 loads.
 * A single panel (a task's odd last one) runs a 12 x 16 tile, one
 * accumulator per row, its FMAs broadcasting A themselves ({1to16}).
 *
 * Every row count from 1 to 12 has its own loop (a tile of r rows then
 * costs about r rows' time, where the AVX2 kernel rounds up to 4 or 6), so
 * the driver's last tiles of a block are not padded. Column tails use a
 * lane mask on C, bias and residual; the epilogue runs on the accumulators.
 */
#include <immintrin.h>

#include "gemm_kernel.h"
#include "vmath.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

/*
 * The epilogue is inlined into every tile (GCC left finish_row out of line
 * in the larger ones, 19 calls per 12 x 32 tile, each through the
 * activation switch), with GELU's polynomial alone out of line, where it
 * would bloat every row of every tile. Measured on a Zen 4 (best of 5
 * under load): products with K = 16 and 24, 75 -> 83 and 88 -> 92
 * GFLOP/s; with K = 256 to 960, GELU's included, unchanged (111-116).
 */
AVX512 static __attribute__((noinline)) __m512 gelu16(__m512 v)
{
    return vmath_gelu16_avx512(v);
}

AVX512 static inline __attribute__((always_inline)) __m512 activate16(__m512 v,
                                                                      const gemm_tile_t *t)
{
    switch (t->act) {
    case GEMM_ACT_RELU:
        return _mm512_max_ps(v, _mm512_setzero_ps());
    case GEMM_ACT_CLIP:
        return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(t->clip_min)),
                             _mm512_set1_ps(t->clip_max));
    case GEMM_ACT_GELU:
        return gelu16(v);
    case GEMM_ACT_NONE:
        break;
    }
    return v;
}

/*
 * Finishes the 16 columns from col of row r of the tile from their
 * accumulator and stores them; lanes holds the columns inside nr, all of
 * them when full. A full row takes plain loads and stores of C, the common
 * case.
 */
AVX512 static inline __attribute__((always_inline)) void
finish_row(const gemm_tile_t *t, int r, int col, __m512 v, __mmask16 lanes, bool full)
{
    float *c = t->c + r * t->ldc + col;

    if (!t->first) {
        v = _mm512_add_ps(v, full ? _mm512_loadu_ps(c) : _mm512_maskz_loadu_ps(lanes, c));
    } else {
        if (t->bias)
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(lanes, t->bias + col));
        if (t->residual)
            v = _mm512_add_ps(v,
                              _mm512_maskz_loadu_ps(lanes, t->residual + r * t->ld_residual + col));
    }
    if (t->last)
        v = activate16(v, t);
    if (full)
        _mm512_storeu_ps(c, v);
    else
        _mm512_mask_storeu_ps(c, lanes, v);
}

/*
 * finish_row for the 8 columns from col of a half panel (the second panel
 * of a tile with at most GEMM_NR + 8 columns), held in a ymm accumulator.
 */
AVX512 static inline __attribute__((always_inline)) void
finish_row8(const gemm_tile_t *t, int r, int col, __m256 v, __mmask8 lanes)
{
    float *c = t->c + r * t->ldc + col;

    if (!t->first) {
        v = _mm256_add_ps(v, _mm256_maskz_loadu_ps(lanes, c));
    } else {
        if (t->bias)
            v = _mm256_add_ps(v, _mm256_maskz_loadu_ps(lanes, t->bias + col));
        if (t->residual)
            v = _mm256_add_ps(v,
                              _mm256_maskz_loadu_ps(lanes, t->residual + r * t->ld_residual + col));
    }
    if (t->last)
        v = _mm512_castps512_ps256(activate16(_mm512_zextps256_ps512(v), t));
    _mm256_mask_storeu_ps(c, lanes, v);
}

/* The one or two cache lines a tile row of GEMM_NR floats spans. */
AVX512 static inline void prefetch_row(const float *row)
{
    _mm_prefetch((const char *)row, _MM_HINT_T0);
    _mm_prefetch((const char *)(row + GEMM_NR - 1), _MM_HINT_T0);
}

/* The same into L2, for the next tile's rows. */
AVX512 static inline void prefetch_row_l2(const float *row)
{
    _mm_prefetch((const char *)row, _MM_HINT_T1);
    _mm_prefetch((const char *)(row + GEMM_NR - 1), _MM_HINT_T1);
}

/*
 * Starts fetching the rows of C (and of the residual) a tile of panels
 * panels reads in its epilogue: its own into L1, the next tile's into L2
 * (gemm_tile_t.next_c). Where C and the residual come from memory (a
 * pointwise convolution's output at batch 8: 6 to 25 MB, the residual
 * added in place) the epilogue otherwise waits on them at every tile:
 * ResNet-50's 56x56x64 -> 256 layers that add the residual took 7.2-7.4
 * ms on the GEMM and 4.8-5.0 with the next tile fetched (per-layer minima
 * in the model, one thread, batch 8, AMD EPYC Zen 5 with other jobs
 * loading the machine, load average 4-6).
 */
AVX512 static inline void prefetch_tile(const gemm_tile_t *t, int rows, int panels)
{
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < panels; q++) {
            prefetch_row(t->c + r * t->ldc + q * GEMM_NR);
            if (t->first && t->residual)
                prefetch_row(t->residual + r * t->ld_residual + q * GEMM_NR);
        }
    if (!t->next_c)
        return;
    for (int r = 0; r < t->next_mr; r++)
        for (int q = 0; q < panels; q++) {
            prefetch_row_l2(t->next_c + r * t->ldc + q * GEMM_NR);
            if (t->first && t->next_residual)
                prefetch_row_l2(t->next_residual + r * t->ld_residual + q * GEMM_NR);
        }
}

/*
 * Row R of the tile (R < ROWS, else nothing): its A row is row R % 3 of
 * group g, G##g[(R % 3) * lda], so the loop addresses 12 rows from 4
 * pointers and lda instead of holding 12 pointers (more than the free
 * general registers).
 */
#define ROW_STEP(R, G, OFF)                                                                        \
    do {                                                                                           \
        if (ROWS > (R))                                                                            \
            c##R = _mm512_fmadd_ps(_mm512_set1_ps((G)[OFF]), bv, c##R);                            \
    } while (0)

#define ROW_FINISH(R)                                                                              \
    do {                                                                                           \
        if (ROWS > (R))                                                                            \
            finish_row(t, R, 0, c##R, lanes, full);                                                \
    } while (0)

/*
 * The tile on ROWS rows, ROWS == t->mr (a constant once inlined, so the
 * unused rows' code disappears).
 */
AVX512 static inline __attribute__((always_inline)) void tile_body(const gemm_tile_t *t,
                                                                   const int ROWS)
{
    const int64_t lda = t->lda, kc = t->kc;
    /* Groups of three rows; a group past the tile's rows is never read. */
    const float *g0 = t->a;
    const float *g1 = ROWS > 3 ? g0 + 3 * lda : g0;
    const float *g2 = ROWS > 6 ? g0 + 6 * lda : g0;
    const float *g3 = ROWS > 9 ? g0 + 9 * lda : g0;
    const float *b = t->b;
    const __mmask16 lanes = (__mmask16)((1u << t->nr) - 1);
    const bool full = t->nr == GEMM_NR;
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
    __m512 c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps();
    __m512 c6 = _mm512_setzero_ps(), c7 = _mm512_setzero_ps(), c8 = _mm512_setzero_ps();
    __m512 c9 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();

    /*
     * The tile's C rows are read or written last, its residual rows read:
     * start fetching both now so the epilogue does not wait for them.
     */
    prefetch_tile(t, ROWS, 1);
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; p++, b += GEMM_NR, g0++, g1++, g2++, g3++) {
        __m512 bv = _mm512_load_ps(b);
        ROW_STEP(0, g0, 0);
        ROW_STEP(1, g0, lda);
        ROW_STEP(2, g0, 2 * lda);
        ROW_STEP(3, g1, 0);
        ROW_STEP(4, g1, lda);
        ROW_STEP(5, g1, 2 * lda);
        ROW_STEP(6, g2, 0);
        ROW_STEP(7, g2, lda);
        ROW_STEP(8, g2, 2 * lda);
        ROW_STEP(9, g3, 0);
        ROW_STEP(10, g3, lda);
        ROW_STEP(11, g3, 2 * lda);
    }
    ROW_FINISH(0);
    ROW_FINISH(1);
    ROW_FINISH(2);
    ROW_FINISH(3);
    ROW_FINISH(4);
    ROW_FINISH(5);
    ROW_FINISH(6);
    ROW_FINISH(7);
    ROW_FINISH(8);
    ROW_FINISH(9);
    ROW_FINISH(10);
    ROW_FINISH(11);
}

/*
 * Row R of the two-panel tile: one broadcast of its A element, kept in a
 * register, for the FMAs of both panels (two embedded broadcasts would
 * load it twice, and loads are what this tile saves). The K loop unrolled
 * by 4 instead of 2 measured no faster.
 */
#define ROW_STEP2(R, G, OFF)                                                                       \
    do {                                                                                           \
        if (ROWS > (R)) {                                                                          \
            const __m512 av = _mm512_set1_ps((G)[OFF]);                                            \
            c##R = _mm512_fmadd_ps(av, b0, c##R);                                                  \
            d##R = _mm512_fmadd_ps(av, b1, d##R);                                                  \
        }                                                                                          \
    } while (0)

#define ROW_FINISH2(R)                                                                             \
    do {                                                                                           \
        if (ROWS > (R)) {                                                                          \
            finish_row(t, R, 0, c##R, 0xffff, true);                                               \
            finish_row(t, R, GEMM_NR, d##R, lanes, full);                                          \
        }                                                                                          \
    } while (0)

/*
 * The tile of ROWS rows (== t->mr) on two panels: columns 0..15 from t->b,
 * 16..nr-1 from t->b + t->ldp (GEMM_NR < nr <= 2 GEMM_NR), 24 accumulators
 * c (first panel) and d (second) at 12 rows, plus the two B rows and the
 * broadcast: 27 of the 32 zmm registers.
 */
AVX512 static inline __attribute__((always_inline)) void tile2_body(const gemm_tile_t *t,
                                                                    const int ROWS)
{
    const int64_t lda = t->lda, kc = t->kc, ldp = t->ldp;
    const float *g0 = t->a;
    const float *g1 = ROWS > 3 ? g0 + 3 * lda : g0;
    const float *g2 = ROWS > 6 ? g0 + 6 * lda : g0;
    const float *g3 = ROWS > 9 ? g0 + 9 * lda : g0;
    const float *b = t->b;
    const int nr2 = t->nr - GEMM_NR;
    const __mmask16 lanes = (__mmask16)((1u << nr2) - 1);
    const bool full = nr2 == GEMM_NR;
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
    __m512 c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps();
    __m512 c6 = _mm512_setzero_ps(), c7 = _mm512_setzero_ps(), c8 = _mm512_setzero_ps();
    __m512 c9 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps(), d2 = _mm512_setzero_ps();
    __m512 d3 = _mm512_setzero_ps(), d4 = _mm512_setzero_ps(), d5 = _mm512_setzero_ps();
    __m512 d6 = _mm512_setzero_ps(), d7 = _mm512_setzero_ps(), d8 = _mm512_setzero_ps();
    __m512 d9 = _mm512_setzero_ps(), d10 = _mm512_setzero_ps(), d11 = _mm512_setzero_ps();

    prefetch_tile(t, ROWS, 2);
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; p++, b += GEMM_NR, g0++, g1++, g2++, g3++) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + ldp);
        ROW_STEP2(0, g0, 0);
        ROW_STEP2(1, g0, lda);
        ROW_STEP2(2, g0, 2 * lda);
        ROW_STEP2(3, g1, 0);
        ROW_STEP2(4, g1, lda);
        ROW_STEP2(5, g1, 2 * lda);
        ROW_STEP2(6, g2, 0);
        ROW_STEP2(7, g2, lda);
        ROW_STEP2(8, g2, 2 * lda);
        ROW_STEP2(9, g3, 0);
        ROW_STEP2(10, g3, lda);
        ROW_STEP2(11, g3, 2 * lda);
    }
    ROW_FINISH2(0);
    ROW_FINISH2(1);
    ROW_FINISH2(2);
    ROW_FINISH2(3);
    ROW_FINISH2(4);
    ROW_FINISH2(5);
    ROW_FINISH2(6);
    ROW_FINISH2(7);
    ROW_FINISH2(8);
    ROW_FINISH2(9);
    ROW_FINISH2(10);
    ROW_FINISH2(11);
}

/* Row R of the half-panel tile: as ROW_STEP2, the second panel's FMA on 8 lanes. */
#define ROW_STEP2H(R, G, OFF)                                                                      \
    do {                                                                                           \
        if (ROWS > (R)) {                                                                          \
            const __m512 av = _mm512_set1_ps((G)[OFF]);                                            \
            c##R = _mm512_fmadd_ps(av, b0, c##R);                                                  \
            d##R = _mm256_fmadd_ps(_mm512_castps512_ps256(av), b1, d##R);                          \
        }                                                                                          \
    } while (0)

#define ROW_FINISH2H(R)                                                                            \
    do {                                                                                           \
        if (ROWS > (R)) {                                                                          \
            finish_row(t, R, 0, c##R, 0xffff, true);                                               \
            finish_row8(t, R, GEMM_NR, d##R, lanes);                                               \
        }                                                                                          \
    } while (0)

/*
 * tile2_body for GEMM_NR < nr <= GEMM_NR + 8 (MobileNetV2's 24-channel
 * projections): the second panel's 8 live columns in ymm accumulators,
 * whose FMAs take half the issue slots of zmm ones on a CPU that splits
 * 512-bit operations in two (Zen 4), where tile2_body would spend a
 * quarter of its FMAs on the zero columns.
 */
AVX512 static inline __attribute__((always_inline)) void tile2h_body(const gemm_tile_t *t,
                                                                     const int ROWS)
{
    const int64_t lda = t->lda, kc = t->kc, ldp = t->ldp;
    const float *g0 = t->a;
    const float *g1 = ROWS > 3 ? g0 + 3 * lda : g0;
    const float *g2 = ROWS > 6 ? g0 + 6 * lda : g0;
    const float *g3 = ROWS > 9 ? g0 + 9 * lda : g0;
    const float *b = t->b;
    const __mmask8 lanes = (__mmask8)((1u << (t->nr - GEMM_NR)) - 1);
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
    __m512 c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps();
    __m512 c6 = _mm512_setzero_ps(), c7 = _mm512_setzero_ps(), c8 = _mm512_setzero_ps();
    __m512 c9 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps(), d2 = _mm256_setzero_ps();
    __m256 d3 = _mm256_setzero_ps(), d4 = _mm256_setzero_ps(), d5 = _mm256_setzero_ps();
    __m256 d6 = _mm256_setzero_ps(), d7 = _mm256_setzero_ps(), d8 = _mm256_setzero_ps();
    __m256 d9 = _mm256_setzero_ps(), d10 = _mm256_setzero_ps(), d11 = _mm256_setzero_ps();

    prefetch_tile(t, ROWS, 2);
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; p++, b += GEMM_NR, g0++, g1++, g2++, g3++) {
        const __m512 b0 = _mm512_load_ps(b);
        const __m256 b1 = _mm256_load_ps(b + ldp);
        ROW_STEP2H(0, g0, 0);
        ROW_STEP2H(1, g0, lda);
        ROW_STEP2H(2, g0, 2 * lda);
        ROW_STEP2H(3, g1, 0);
        ROW_STEP2H(4, g1, lda);
        ROW_STEP2H(5, g1, 2 * lda);
        ROW_STEP2H(6, g2, 0);
        ROW_STEP2H(7, g2, lda);
        ROW_STEP2H(8, g2, 2 * lda);
        ROW_STEP2H(9, g3, 0);
        ROW_STEP2H(10, g3, lda);
        ROW_STEP2H(11, g3, 2 * lda);
    }
    ROW_FINISH2H(0);
    ROW_FINISH2H(1);
    ROW_FINISH2H(2);
    ROW_FINISH2H(3);
    ROW_FINISH2H(4);
    ROW_FINISH2H(5);
    ROW_FINISH2H(6);
    ROW_FINISH2H(7);
    ROW_FINISH2H(8);
    ROW_FINISH2H(9);
    ROW_FINISH2H(10);
    ROW_FINISH2H(11);
}

/*
 * One loop per row count and panel count, each out of line so each gets
 * its own register allocation.
 */
#define TILE(R)                                                                                    \
    AVX512 static __attribute__((noinline)) void tile##R(const gemm_tile_t *t)                     \
    {                                                                                              \
        tile_body(t, R);                                                                           \
    }                                                                                              \
    AVX512 static __attribute__((noinline)) void tile2_##R(const gemm_tile_t *t)                   \
    {                                                                                              \
        tile2_body(t, R);                                                                          \
    }                                                                                              \
    AVX512 static __attribute__((noinline)) void tile2h_##R(const gemm_tile_t *t)                  \
    {                                                                                              \
        tile2h_body(t, R);                                                                         \
    }
TILE(1)
TILE(2)
TILE(3)
TILE(4)
TILE(5)
TILE(6)
TILE(7)
TILE(8)
TILE(9)
TILE(10)
TILE(11)
TILE(12)

_Static_assert(GEMM_AVX512_MR == 12, "one tile function per row count up to GEMM_AVX512_MR");
_Static_assert(GEMM_AVX512_PANELS == 2, "tiles of one and of two panels");
_Static_assert(GEMM_NR == 16, "a tile row is one zmm vector per panel");

AVX512 void gemm_kernel_avx512(const gemm_tile_t *t)
{
    static void (*const tiles[3][GEMM_AVX512_MR + 1])(const gemm_tile_t *) = {
        {NULL, tile1, tile2, tile3, tile4, tile5, tile6, tile7, tile8, tile9, tile10, tile11,
         tile12},
        {NULL, tile2h_1, tile2h_2, tile2h_3, tile2h_4, tile2h_5, tile2h_6, tile2h_7, tile2h_8,
         tile2h_9, tile2h_10, tile2h_11, tile2h_12},
        {NULL, tile2_1, tile2_2, tile2_3, tile2_4, tile2_5, tile2_6, tile2_7, tile2_8, tile2_9,
         tile2_10, tile2_11, tile2_12},
    };

    /* One panel, a panel and a half, two. */
    tiles[t->nr <= GEMM_NR ? 0 : t->nr <= GEMM_NR + GEMM_NR / 2 ? 1 : 2][t->mr](t);
}
