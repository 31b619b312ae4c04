/*
 * rnn_isa_generic.c - the step loop's kernels in plain C for CPUs without
 * AVX2 (one float per "vector", libm for the transcendental functions),
 * and the choice of variant.
 */
#include <math.h>
#include <string.h>

#include "cpu_isa.h"
#include "rnn_isa.h"

#define RNN_TARGET
#define RNN_CELL_NAME(name) name##_generic
#define VL                  1
typedef float V;

static inline V v_load(const float *p, int n)
{
    (void)n;
    return *p;
}

static inline void v_store(float *p, V v, int n)
{
    (void)n;
    *p = v;
}

static inline V v_set1(float x)
{
    return x;
}

static inline V v_add(V a, V b)
{
    return a + b;
}

static inline V v_sub(V a, V b)
{
    return a - b;
}

static inline V v_mul(V a, V b)
{
    return a * b;
}

static inline V v_div(V a, V b)
{
    return a / b;
}

static inline V v_fma(V a, V b, V c)
{
    return a * b + c;
}

static inline V v_min(V a, V b)
{
    return a < b ? a : b;
}

static inline V v_max(V a, V b)
{
    return a > b ? a : b;
}

static inline V v_abs(V x)
{
    return fabsf(x);
}

static inline V v_sel_ge0(V x, V a, V b)
{
    return x >= 0.0f ? a : b;
}

static inline V v_sel_gt(V x, V t, V a, V b)
{
    return x > t ? a : b;
}

static inline V v_exp_neg(V x)
{
    return expf(x);
}

static inline V v_expm1(V x)
{
    return expm1f(x);
}

static inline V v_log1p(V x)
{
    return log1pf(x);
}

static inline V v_sigmoid(V x)
{
    float e = expf(-fabsf(x)), s = 1.0f / (1.0f + e);

    return x < 0.0f ? e * s : s;
}

static inline V v_tanh(V x)
{
    return tanhf(x);
}

#include "rnn_cell_body.h"

static void gemv_generic(const float *a, int64_t lda, int64_t m, const gemm_b_t *b, int64_t p0,
                         int64_t p1, float *out, int64_t ldo)
{
    const int64_t k = gemm_b_k(b);

    for (int64_t r = 0; r < m; r++)
        for (int64_t p = p0; p < p1; p++) {
            const float *panel = gemm_b_panel(b, p);
            float acc[GEMM_B_PANEL] = {0};
            for (int64_t q = 0; q < k; q++) {
                float av = a[r * lda + q];
                for (int j = 0; j < GEMM_B_PANEL; j++)
                    acc[j] += av * panel[q * GEMM_B_PANEL + j];
            }
            memcpy(out + r * ldo + p * GEMM_B_PANEL, acc, sizeof acc);
        }
}

const rnn_isa_ops_t rnn_ops_generic = {
    .gemv = gemv_generic,
    .lstm = lstm_generic,
    .gru_fused = gru_fused_generic,
    .gru_reset = gru_reset_generic,
    .gru_update = gru_update_generic,
    .rnn = rnn_generic,
};

const rnn_isa_ops_t *rnn_isa_ops(void)
{
    if (cpu_isa() >= CPU_ISA_AVX512)
        return &rnn_ops_avx512;
    if (cpu_isa() >= CPU_ISA_AVX2)
        return &rnn_ops_avx2;
    return &rnn_ops_generic;
}
