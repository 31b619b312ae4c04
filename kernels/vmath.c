/*
 * vmath.c - the AVX-512 variants take 16 lanes at a time with sleef's
 * 1-ULP functions (the GELU: vmath.h's polynomial) and finish the tail
 * with a masked load, the AVX2 ones 8
 * lanes (sleef's exp, vmath.h's erf, GELU and softmax exp) and a scalar
 * tail, the generic ones are libm loops. The variant is chosen once per
 * call from cpu_isa().
 */
#include "vmath.h"

#include <immintrin.h>
#include <math.h>
#include <sleef.h>

#include "cpu_isa.h"
#include "vmath_map.h"

/* FMA and DQ too: vmath.h's GELU uses them, and every CPU at CPU_ISA_AVX512 has both. */
#define AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#define AVX2   __attribute__((target("avx2,fma")))

/*
 * sleef.h declares its ISA-specific entry points only when the whole file
 * is compiled for that ISA (-mavx512f); the library always has them, and
 * this file compiles for the baseline with per-function targets instead.
 * The declarations carry the same targets: clang refuses a vector argument
 * whose ABI the baseline would change (GCC accepts either form).
 */
AVX512 __m512 Sleef_erff16_u10avx512f(__m512 x);
AVX512 __m512 Sleef_expf16_u10avx512f(__m512 x);
AVX2 __m256 Sleef_expf8_u10avx2(__m256 x);

/*
 * The GELU's tail table (vmath.h, vmath_gelu8_avx2): Chebyshev fits of
 * erfc(a / sqrt(2)) / 2 on a = (j + u) / VMATH_GELU_SCALE, u in [-0.01,
 * 1.01], as polynomials in u, coefficients rounded to float.
 */
const float vmath_gelu_tail[VMATH_GELU_DEGREE + 1][VMATH_GELU_PIECES] = {
    {0.5f, 0.241963655f, 0.0807566643f, 0.0178644229f, 0.00255513098f, 0.000232629085f,
     1.3345737e-05f, 4.79181665e-07f},
    {-0.279260188f, -0.218577147f, -0.104809046f, -0.0307887327f, -0.00554085476f, -0.000610855059f,
     -4.12528316e-05f, -1.70646297e-06f},
    {1.13889846e-05f, 0.0535406172f, 0.0513530076f, 0.0226334557f, 0.00543073099f, 0.000747903134f,
     6.0514496e-05f, 2.912524e-06f},
    {0.0227320995f, 0.00917134155f, -0.00819319859f, -0.00859862939f, -0.00310005574f,
     -0.000558579341f, -5.51716766e-05f, -3.10585824e-06f},
    {0.000225999887f, -0.00568000413f, -0.00225797691f, 0.00137443573f, 0.00108919595f,
     0.000274869468f, 3.35052391e-05f, 2.18982746e-06f},
    {-0.0020326986f, 0.000135901122f, 0.00116371806f, 0.000142120683f, -0.000220981732f,
     -8.57999694e-05f, -1.27876292e-05f, -9.48023342e-07f},
    {0.00028705821f, 0.000202299459f, -0.000148741456f, -7.19434902e-05f, 1.94634467e-05f,
     1.31785064e-05f, 2.32586694e-06f, 1.89531022e-07f},
};

static float gelu_scalar(float v)
{
    return 0.5f * v * (1.0f + erff(v * (float)M_SQRT1_2));
}

VMATH_MAP_F32(vmath_erf_f32, Sleef_erff16_u10avx512f, vmath_erf8_avx2, erff)
VMATH_MAP_F32(vmath_exp_f32, Sleef_expf16_u10avx512f, Sleef_expf8_u10avx2, expf)
/*
 * The GELU's AVX-512 variant is vmath.h's piecewise polynomial (the GEMM
 * epilogue's), not sleef's erf: 0.45 against 1.98 ns per element on one Zen
 * 5 core, within the same bound (test_vmath).
 */
#define VMATH_GELU16 vmath_gelu16_avx512
VMATH_MAP_F32(vmath_gelu_f32, VMATH_GELU16, vmath_gelu8_avx2, gelu_scalar)

/*
 * x - max <= 0 here, so the inline exp for non-positive arguments serves
 * (vmath_exp_neg16_avx512: 2.4 against 5.4-6.1 ns per 16 lanes for sleef's
 * Sleef_expf16_u10avx512f on a Zen 5).
 */
__attribute__((target("avx512f,avx512dq,fma"))) static float
exp_shift_sum_avx512(const float *x, float *y, int64_t n, float max)
{
    __m512 vmax = _mm512_set1_ps(max), acc = _mm512_setzero_ps();
    int64_t i = 0;

    for (; i + 16 <= n; i += 16) {
        __m512 e = vmath_exp_neg16_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + i), vmax));
        _mm512_storeu_ps(y + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 e = vmath_exp_neg16_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmax));
        _mm512_mask_storeu_ps(y + i, m, e);
        acc = _mm512_add_ps(acc, _mm512_maskz_mov_ps(m, e));
    }
    return _mm512_reduce_add_ps(acc);
}

AVX2 static float exp_shift_sum_avx2(const float *x, float *y, int64_t n, float max)
{
    __m256 vmax = _mm256_set1_ps(max), acc = _mm256_setzero_ps();
    float sum;
    int64_t i = 0;

    for (; i + 8 <= n; i += 8) {
        __m256 e = vmath_exp_neg8_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
        _mm256_storeu_ps(y + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    sum = vmath_hsum8_avx2(acc);
    for (; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += y[i];
    }
    return sum;
}

float vmath_exp_shift_sum_f32(const float *x, float *y, int64_t n, float max)
{
    float sum = 0.0f;

    if (cpu_isa() >= CPU_ISA_AVX512)
        return exp_shift_sum_avx512(x, y, n, max);
    if (cpu_isa() >= CPU_ISA_AVX2)
        return exp_shift_sum_avx2(x, y, n, max);
    for (int64_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += y[i];
    }
    return sum;
}

/* The largest of x's n elements, 8 lanes at a time and a scalar tail; n > 0. */
__attribute__((target("avx2,fma"))) static float max_avx2(const float *x, int64_t n)
{
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    float max;
    int64_t i = 0;

    for (; i + 8 <= n; i += 8)
        vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    max = vmath_hmax8_avx2(vmax);
    for (; i < n; i++)
        max = x[i] > max ? x[i] : max;
    return max;
}

/* The largest of x's n elements, 16 lanes at a time and a masked tail; n > 0. */
AVX512 static float max_avx512(const float *x, int64_t n)
{
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    int64_t i = 0;

    for (; i + 16 <= n; i += 16)
        vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + i));
    }
    return _mm512_reduce_max_ps(vmax);
}

float vmath_max_f32(const float *x, int64_t n)
{
    float max = x[0];

    if (cpu_isa() >= CPU_ISA_AVX512)
        return max_avx512(x, n);
    if (cpu_isa() >= CPU_ISA_AVX2)
        return max_avx2(x, n);
    /* A plain reduction the compiler vectorises at -O3 (no NaN ordering is promised). */
    for (int64_t i = 1; i < n; i++)
        max = x[i] > max ? x[i] : max;
    return max;
}
