/*
 * rnn_isa_avx2.c - the step loop's kernels on AVX2 + FMA: 8 hidden units
 * per vector in the cells; the recurrent product keeps its accumulators
 * within the 16 ymm registers (a panel is two of them).
 */
#include <immintrin.h>

#include "cpu_isa.h"
#include "rnn_isa.h"
#include "rnn_vec.h"
#include "vmath.h"

#define RNN_TARGET          __attribute__((target("avx2,fma")))
#define RNN_CELL_NAME(name) name##_avx2
#define VL                  8
typedef __m256 V;

/* sleef's entry points, declared with the target (see vmath.c). */
RNN_TARGET __m256 Sleef_expm1f8_u10avx2(__m256 x);
RNN_TARGET __m256 Sleef_log1pf8_u10avx2(__m256 x);

/* All ones in the first n lanes. */
RNN_TARGET static inline __m256i lane_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

RNN_TARGET static inline V v_load(const float *p, int n)
{
    return n == VL ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lane_mask(n));
}

RNN_TARGET static inline void v_store(float *p, V v, int n)
{
    if (n == VL)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, lane_mask(n), v);
}

RNN_TARGET static inline V v_set1(float x)
{
    return _mm256_set1_ps(x);
}

RNN_TARGET static inline V v_add(V a, V b)
{
    return _mm256_add_ps(a, b);
}

RNN_TARGET static inline V v_sub(V a, V b)
{
    return _mm256_sub_ps(a, b);
}

RNN_TARGET static inline V v_mul(V a, V b)
{
    return _mm256_mul_ps(a, b);
}

RNN_TARGET static inline V v_div(V a, V b)
{
    return _mm256_div_ps(a, b);
}

RNN_TARGET static inline V v_fma(V a, V b, V c)
{
    return _mm256_fmadd_ps(a, b, c);
}

RNN_TARGET static inline V v_min(V a, V b)
{
    return _mm256_min_ps(a, b);
}

RNN_TARGET static inline V v_max(V a, V b)
{
    return _mm256_max_ps(a, b);
}

RNN_TARGET static inline V v_abs(V x)
{
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
}

RNN_TARGET static inline V v_sel_ge0(V x, V a, V b)
{
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

RNN_TARGET static inline V v_sel_gt(V x, V t, V a, V b)
{
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, t, _CMP_GT_OQ));
}

RNN_TARGET static inline V v_exp_neg(V x)
{
    return vmath_exp_neg8_avx2(x);
}

RNN_TARGET static inline V v_expm1(V x)
{
    return Sleef_expm1f8_u10avx2(x);
}

RNN_TARGET static inline V v_log1p(V x)
{
    return Sleef_log1pf8_u10avx2(x);
}

/* As rnn_isa_avx512.c's: 1 / (1 + e) or e / (1 + e) with e = e^-|x|. */
RNN_TARGET static inline V v_sigmoid(V x)
{
    V e = vmath_exp_neg8_avx2(_mm256_sub_ps(_mm256_setzero_ps(), v_abs(x)));
    V s = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));

    return _mm256_blendv_ps(s, _mm256_mul_ps(e, s),
                            _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

/* As rnn_isa_avx512.c's, step for step. */
RNN_TARGET static inline V v_tanh(V x)
{
    V a = v_abs(x), t = _mm256_mul_ps(a, a), p = _mm256_set1_ps(RNN_TANH_P4);
    V e = vmath_exp_neg8_avx2(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)));
    V big = _mm256_div_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), e),
                          _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    V small;

    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(RNN_TANH_P3));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(RNN_TANH_P2));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(RNN_TANH_P1));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(RNN_TANH_P0));
    small = _mm256_fmadd_ps(_mm256_mul_ps(a, t), p, a);
    big =
        _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(RNN_TANH_SPLIT), _CMP_LT_OQ));
    return _mm256_or_ps(big, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
}

#include "rnn_cell_body.h"

/* A single row's panels at once, two accumulators (even, odd K) per half panel: 8 chains. */
#define ONE_ROW_PANELS 2
/* Two rows x two panels: 8 accumulators, 4 panel halves and a broadcast in 13 registers. */
#define TILE_ROWS   2
#define TILE_PANELS 2

RNN_TARGET static inline __attribute__((always_inline)) void
one_row(const float *a, const gemm_b_t *b, int64_t p, float *out, const int NP)
{
    const int64_t k = gemm_b_k(b);
    const float *panel[ONE_ROW_PANELS];
    __m256 even[ONE_ROW_PANELS][2], odd[ONE_ROW_PANELS][2];
    int64_t q = 0;

    for (int j = 0; j < NP; j++) {
        panel[j] = gemm_b_panel(b, p + j);
        for (int h = 0; h < 2; h++)
            even[j][h] = odd[j][h] = _mm256_setzero_ps();
    }
    for (; q + 2 <= k; q += 2) {
        __m256 a0 = _mm256_set1_ps(a[q]), a1 = _mm256_set1_ps(a[q + 1]);
        for (int j = 0; j < NP; j++)
            for (int h = 0; h < 2; h++) {
                even[j][h] = _mm256_fmadd_ps(
                    a0, _mm256_load_ps(panel[j] + q * GEMM_B_PANEL + 8 * h), even[j][h]);
                odd[j][h] = _mm256_fmadd_ps(
                    a1, _mm256_load_ps(panel[j] + (q + 1) * GEMM_B_PANEL + 8 * h), odd[j][h]);
            }
    }
    if (q < k) {
        __m256 a0 = _mm256_set1_ps(a[q]);
        for (int j = 0; j < NP; j++)
            for (int h = 0; h < 2; h++)
                even[j][h] = _mm256_fmadd_ps(
                    a0, _mm256_load_ps(panel[j] + q * GEMM_B_PANEL + 8 * h), even[j][h]);
    }
    for (int j = 0; j < NP; j++)
        for (int h = 0; h < 2; h++)
            _mm256_storeu_ps(out + j * GEMM_B_PANEL + 8 * h, _mm256_add_ps(even[j][h], odd[j][h]));
}

RNN_TARGET static inline __attribute__((always_inline)) void tile(const float *a, int64_t lda,
                                                                  const gemm_b_t *b, int64_t p,
                                                                  float *out, int64_t ldo,
                                                                  const int NP)
{
    const int64_t k = gemm_b_k(b);
    const float *panel[TILE_PANELS];
    __m256 acc[TILE_ROWS][TILE_PANELS][2];

    for (int j = 0; j < NP; j++)
        panel[j] = gemm_b_panel(b, p + j);
    for (int r = 0; r < TILE_ROWS; r++)
        for (int j = 0; j < NP; j++)
            acc[r][j][0] = acc[r][j][1] = _mm256_setzero_ps();
    for (int64_t q = 0; q < k; q++) {
        __m256 bv[TILE_PANELS][2];
        for (int j = 0; j < NP; j++)
            for (int h = 0; h < 2; h++)
                bv[j][h] = _mm256_load_ps(panel[j] + q * GEMM_B_PANEL + 8 * h);
        for (int r = 0; r < TILE_ROWS; r++) {
            __m256 av = _mm256_set1_ps(a[r * lda + q]);
            for (int j = 0; j < NP; j++)
                for (int h = 0; h < 2; h++)
                    acc[r][j][h] = _mm256_fmadd_ps(av, bv[j][h], acc[r][j][h]);
        }
    }
    for (int r = 0; r < TILE_ROWS; r++)
        for (int j = 0; j < NP; j++)
            for (int h = 0; h < 2; h++)
                _mm256_storeu_ps(out + r * ldo + j * GEMM_B_PANEL + 8 * h, acc[r][j][h]);
}

RNN_TARGET static void gemv_avx2(const float *a, int64_t lda, int64_t m, const gemm_b_t *b,
                                 int64_t p0, int64_t p1, float *out, int64_t ldo)
{
    int64_t r = 0;

    for (; r + TILE_ROWS <= m; r += TILE_ROWS)
        for (int64_t p = p0; p < p1; p += TILE_PANELS) {
            float *o = out + r * ldo + p * GEMM_B_PANEL;
            if (p1 - p >= 2)
                tile(a + r * lda, lda, b, p, o, ldo, 2);
            else
                tile(a + r * lda, lda, b, p, o, ldo, 1);
        }
    for (; r < m; r++)
        for (int64_t p = p0; p < p1; p += ONE_ROW_PANELS) {
            float *o = out + r * ldo + p * GEMM_B_PANEL;
            if (p1 - p >= 2)
                one_row(a + r * lda, b, p, o, 2);
            else
                one_row(a + r * lda, b, p, o, 1);
        }
}

const rnn_isa_ops_t rnn_ops_avx2 = {
    .gemv = gemv_avx2,
    .lstm = lstm_avx2,
    .gru_fused = gru_fused_avx2,
    .gru_reset = gru_reset_avx2,
    .gru_update = gru_update_avx2,
    .rnn = rnn_avx2,
};
