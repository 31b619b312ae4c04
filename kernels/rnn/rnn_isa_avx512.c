/*
 * rnn_isa_avx512.c - the step loop's kernels on AVX-512 (F, BW, DQ, VL +
 * FMA): 16 hidden units per vector in the cells, and a recurrent product
 * whose single-row case (batch 1, the latency case) keeps 16 independent
 * FMA chains in flight.
 */
#include <immintrin.h>

#include "cpu_isa.h"
#include "rnn_isa.h"
#include "rnn_vec.h"
#include "vmath.h"

#define RNN_TARGET          __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define RNN_CELL_NAME(name) name##_avx512
#define VL                  16
typedef __m512 V;

/* sleef's entry points, declared with the target (see vmath.c). */
RNN_TARGET __m512 Sleef_expm1f16_u10avx512f(__m512 x);
RNN_TARGET __m512 Sleef_log1pf16_u10avx512f(__m512 x);

static inline __mmask16 lane_mask(int n)
{
    return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

RNN_TARGET static inline V v_load(const float *p, int n)
{
    return n == VL ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(lane_mask(n), p);
}

RNN_TARGET static inline void v_store(float *p, V v, int n)
{
    if (n == VL)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, lane_mask(n), v);
}

RNN_TARGET static inline V v_set1(float x)
{
    return _mm512_set1_ps(x);
}

RNN_TARGET static inline V v_add(V a, V b)
{
    return _mm512_add_ps(a, b);
}

RNN_TARGET static inline V v_sub(V a, V b)
{
    return _mm512_sub_ps(a, b);
}

RNN_TARGET static inline V v_mul(V a, V b)
{
    return _mm512_mul_ps(a, b);
}

RNN_TARGET static inline V v_div(V a, V b)
{
    return _mm512_div_ps(a, b);
}

RNN_TARGET static inline V v_fma(V a, V b, V c)
{
    return _mm512_fmadd_ps(a, b, c);
}

RNN_TARGET static inline V v_min(V a, V b)
{
    return _mm512_min_ps(a, b);
}

RNN_TARGET static inline V v_max(V a, V b)
{
    return _mm512_max_ps(a, b);
}

RNN_TARGET static inline V v_abs(V x)
{
    return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), x);
}

RNN_TARGET static inline V v_sel_ge0(V x, V a, V b)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), b, a);
}

RNN_TARGET static inline V v_sel_gt(V x, V t, V a, V b)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GT_OQ), b, a);
}

RNN_TARGET static inline V v_exp_neg(V x)
{
    return vmath_exp_neg16_avx512(x);
}

RNN_TARGET static inline V v_expm1(V x)
{
    return Sleef_expm1f16_u10avx512f(x);
}

RNN_TARGET static inline V v_log1p(V x)
{
    return Sleef_log1pf16_u10avx512f(x);
}

/* 1 / (1 + e^-x), from e = e^-|x| <= 1: 1 / (1 + e) for x >= 0, e / (1 + e) below. */
RNN_TARGET static inline V v_sigmoid(V x)
{
    V e = vmath_exp_neg16_avx512(_mm512_sub_ps(_mm512_setzero_ps(), v_abs(x)));
    V s = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));

    return _mm512_mask_mul_ps(s, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), e, s);
}

/*
 * tanh |x| = (1 - e) / (1 + e) with e = e^-2|x| from RNN_TANH_SPLIT up;
 * below, where 1 - e would cancel, the odd polynomial of rnn_vec.h.
 */
RNN_TARGET static inline V v_tanh(V x)
{
    V a = v_abs(x), t = _mm512_mul_ps(a, a), p = _mm512_set1_ps(RNN_TANH_P4);
    V e = vmath_exp_neg16_avx512(_mm512_mul_ps(a, _mm512_set1_ps(-2.0f)));
    V big = _mm512_div_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), e),
                          _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    V small;

    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(RNN_TANH_P3));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(RNN_TANH_P2));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(RNN_TANH_P1));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(RNN_TANH_P0));
    small = _mm512_fmadd_ps(_mm512_mul_ps(a, t), p, a);
    big = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(RNN_TANH_SPLIT), _CMP_LT_OQ),
                               big, small);
    /* The sign of x back on: tanh is odd. */
    return _mm512_or_ps(big, _mm512_and_ps(x, _mm512_set1_ps(-0.0f)));
}

#include "rnn_cell_body.h"

/*
 * Panels a single row's product takes at once, each with two accumulators
 * (even and odd steps of K): 16 independent FMA chains, enough to cover
 * the FMA latency on two pipes, where one chain per panel (a gemm_run
 * tile of one row) waits on each FMA's result.
 */
#define ONE_ROW_PANELS 8
/*
 * The tile for two rows or more: up to TILE_ROWS rows, so that a batch of
 * 8 reads R once per step (R streams from L2 or L3 at batch sizes where
 * the product is bound by that), and as many panels as keep the
 * accumulators within TILE_ACCS of the 32 registers, at most TILE_PANELS.
 */
#define TILE_ROWS   8
#define TILE_PANELS 4
#define TILE_ACCS   24

/* One row against NP panels (a constant once inlined) from panel p. */
RNN_TARGET static inline __attribute__((always_inline)) void
one_row(const float *a, const gemm_b_t *b, int64_t p, float *out, const int NP)
{
    const int64_t k = gemm_b_k(b);
    const float *panel[ONE_ROW_PANELS];
    __m512 even[ONE_ROW_PANELS], odd[ONE_ROW_PANELS];
    int64_t q = 0;

    for (int j = 0; j < NP; j++) {
        panel[j] = gemm_b_panel(b, p + j);
        even[j] = _mm512_setzero_ps();
        odd[j] = _mm512_setzero_ps();
    }
    for (; q + 2 <= k; q += 2) {
        __m512 a0 = _mm512_set1_ps(a[q]), a1 = _mm512_set1_ps(a[q + 1]);
        for (int j = 0; j < NP; j++) {
            even[j] = _mm512_fmadd_ps(a0, _mm512_load_ps(panel[j] + q * GEMM_B_PANEL), even[j]);
            odd[j] = _mm512_fmadd_ps(a1, _mm512_load_ps(panel[j] + (q + 1) * GEMM_B_PANEL), odd[j]);
        }
    }
    if (q < k) {
        __m512 a0 = _mm512_set1_ps(a[q]);
        for (int j = 0; j < NP; j++)
            even[j] = _mm512_fmadd_ps(a0, _mm512_load_ps(panel[j] + q * GEMM_B_PANEL), even[j]);
    }
    for (int j = 0; j < NP; j++)
        _mm512_storeu_ps(out + j * GEMM_B_PANEL, _mm512_add_ps(even[j], odd[j]));
}

/* ROWS rows (row stride lda) against NP panels from panel p; both constants once inlined. */
RNN_TARGET static inline __attribute__((always_inline)) void tile(const float *a, int64_t lda,
                                                                  const gemm_b_t *b, int64_t p,
                                                                  float *out, int64_t ldo,
                                                                  const int ROWS, const int NP)
{
    const int64_t k = gemm_b_k(b);
    const float *panel[TILE_PANELS];
    __m512 acc[TILE_ROWS][TILE_PANELS];

    for (int j = 0; j < NP; j++)
        panel[j] = gemm_b_panel(b, p + j);
    for (int r = 0; r < ROWS; r++)
        for (int j = 0; j < NP; j++)
            acc[r][j] = _mm512_setzero_ps();
    for (int64_t q = 0; q < k; q++) {
        __m512 bv[TILE_PANELS];
        for (int j = 0; j < NP; j++)
            bv[j] = _mm512_load_ps(panel[j] + q * GEMM_B_PANEL);
        for (int r = 0; r < ROWS; r++) {
            __m512 av = _mm512_set1_ps(a[r * lda + q]);
            for (int j = 0; j < NP; j++)
                acc[r][j] = _mm512_fmadd_ps(av, bv[j], acc[r][j]);
        }
    }
    for (int r = 0; r < ROWS; r++)
        for (int j = 0; j < NP; j++)
            _mm512_storeu_ps(out + r * ldo + j * GEMM_B_PANEL, acc[r][j]);
}

/* Panels a tile of rows rows takes. */
static int tile_panels(int rows)
{
    return TILE_ACCS / rows < TILE_PANELS ? TILE_ACCS / rows : TILE_PANELS;
}

RNN_TARGET static void tile_rows(const float *a, int64_t lda, int rows, const gemm_b_t *b,
                                 int64_t p, int np, float *out, int64_t ldo)
{
    /* Every (rows, np) pair its own unrolled loop, accumulators in registers. */
#define RNN_TILE_CASE(R, N)                                                                        \
    case (R)*8 + (N):                                                                              \
        tile(a, lda, b, p, out, ldo, R, N);                                                        \
        break
#define RNN_TILE_ROWS(R)                                                                           \
    RNN_TILE_CASE(R, 1);                                                                           \
    RNN_TILE_CASE(R, 2);                                                                           \
    RNN_TILE_CASE(R, 3)
    switch (rows * 8 + np) {
        RNN_TILE_ROWS(2);
        RNN_TILE_ROWS(3);
        RNN_TILE_ROWS(4);
        RNN_TILE_ROWS(5);
        RNN_TILE_ROWS(6);
        RNN_TILE_ROWS(7);
        RNN_TILE_ROWS(8);
        RNN_TILE_CASE(2, 4);
        RNN_TILE_CASE(3, 4);
        RNN_TILE_CASE(4, 4);
        RNN_TILE_CASE(5, 4);
        RNN_TILE_CASE(6, 4);
    default:
        break;
    }
#undef RNN_TILE_ROWS
#undef RNN_TILE_CASE
}

RNN_TARGET static void gemv_avx512(const float *a, int64_t lda, int64_t m, const gemm_b_t *b,
                                   int64_t p0, int64_t p1, float *out, int64_t ldo)
{
    int64_t r = 0;

    /* Rows eight at a time, then the rest together; a lone row takes the chains. */
    for (; m - r >= 2; r += TILE_ROWS) {
        int rows = m - r < TILE_ROWS ? (int)(m - r) : TILE_ROWS, most = tile_panels(rows);
        for (int64_t p = p0; p < p1; p += most) {
            int np = p1 - p < most ? (int)(p1 - p) : most;
            tile_rows(a + r * lda, lda, rows, b, p, np, out + r * ldo + p * GEMM_B_PANEL, ldo);
        }
    }
    for (; r < m; r++) {
        const float *row = a + r * lda;
        float *o = out + r * ldo;
        int64_t p = p0;
        for (; p + ONE_ROW_PANELS <= p1; p += ONE_ROW_PANELS)
            one_row(row, b, p, o + p * GEMM_B_PANEL, ONE_ROW_PANELS);
        switch (p1 - p) {
        case 7:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 7);
            break;
        case 6:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 6);
            break;
        case 5:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 5);
            break;
        case 4:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 4);
            break;
        case 3:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 3);
            break;
        case 2:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 2);
            break;
        case 1:
            one_row(row, b, p, o + p * GEMM_B_PANEL, 1);
            break;
        default:
            break;
        }
    }
}

const rnn_isa_ops_t rnn_ops_avx512 = {
    .gemv = gemv_avx512,
    .lstm = lstm_avx512,
    .gru_fused = gru_fused_avx512,
    .gru_reset = gru_reset_avx512,
    .gru_update = gru_update_avx512,
    .rnn = rnn_avx512,
};
