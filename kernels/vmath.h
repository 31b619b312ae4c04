/*
 * vmath.h - vectorised float math over arrays (sleef), dispatched at run
 * time to AVX-512, AVX2 or plain C. Shared by the elementwise and fused
 * transformer kernels; every function accepts y == x (in place).
 */
#ifndef INFERD_VMATH_H
#define INFERD_VMATH_H

#include <immintrin.h>
#include <stdint.h>

/* y[i] = erf(x[i]) */
void vmath_erf_f32(const float *x, float *y, int64_t n);

/* y[i] = exp(x[i]) */
void vmath_exp_f32(const float *x, float *y, int64_t n);

/*
 * y[i] = f(x[i]) for the elementary functions of vmath_elem.c, within 1 ulp
 * (sleef's u10 functions) on every ISA. Each comes for float and double.
 */
#define VMATH_DECLARE(name)                                                                        \
    void vmath_##name##_f32(const float *x, float *y, int64_t n);                                  \
    void vmath_##name##_f64(const double *x, double *y, int64_t n);
VMATH_DECLARE(cos)
VMATH_DECLARE(sin)
VMATH_DECLARE(tan)
VMATH_DECLARE(acos)
VMATH_DECLARE(asin)
VMATH_DECLARE(atan)
VMATH_DECLARE(cosh)
VMATH_DECLARE(sinh)
VMATH_DECLARE(acosh)
VMATH_DECLARE(asinh)
VMATH_DECLARE(atanh)
VMATH_DECLARE(tanh)
VMATH_DECLARE(expm1)
VMATH_DECLARE(log1p)
#undef VMATH_DECLARE

/* y[i] = exp(x[i]) in double (the float one is vmath_exp_f32). */
void vmath_exp_f64(const double *x, double *y, int64_t n);

/* y[i] = x[i] / 2 * (1 + erf(x[i] / sqrt(2))), the exact (erf) GELU. */
void vmath_gelu_f32(const float *x, float *y, int64_t n);

/*
 * y[i] = exp(x[i] - max) and returns the sum of the y[i]: the middle pass
 * of a softmax row.
 */
float vmath_exp_shift_sum_f32(const float *x, float *y, int64_t n, float max);

/* The largest x[i]; n > 0. */
float vmath_max_f32(const float *x, int64_t n);

/*
 * erf on 8 lanes for AVX2 + FMA code, inline so that a kernel applies it
 * to values still in registers (a call would make it spill every live ymm
 * register, all caller-saved). About 25 cycles per vector against 100 for
 * sleef's Sleef_erff8_u10avx2 on Zen 4; at most 1.9 ulp from erf over all
 * floats (sleef: 1).
 *
 * Below VMATH_ERF_SPLIT erf(a) = a + a * P(a^2); above it erf(a) = 1 -
 * exp(Q(a)), Q fitting log erfc on [VMATH_ERF_SPLIT, VMATH_ERF_SATURATE].
 * P (relative error 1.6e-8), Q (absolute 8e-9) and the exp polynomial
 * (relative 1.9e-9 on [-ln 2 / 2, ln 2 / 2]) are minimax fits.
 */
/* Where the small-argument polynomial stops: erf(0.921875) = 0.81, erfc still 0.19. */
#define VMATH_ERF_SPLIT 0.921875f
/* erfc(3.925) = 2.8e-8, under half an ulp of 1 (2^-25): erf rounds to 1 from here on. */
#define VMATH_ERF_SATURATE 3.925f

/* The most negative y whose exp(y) is still a normal float (2^-126). */
#define VMATH_EXP_MIN -87.33654f

/* The largest of v's 8 lanes. */
__attribute__((target("avx2,fma"))) static inline float vmath_hmax8_avx2(__m256 v)
{
    __m128 half = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

    half = _mm_max_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_max_ss(half, _mm_movehdup_ps(half)));
}

/* The sum of v's 8 lanes. */
__attribute__((target("avx2,fma"))) static inline float vmath_hsum8_avx2(__m256 v)
{
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(half, _mm_movehdup_ps(half)));
}

/*
 * exp(y) on 8 lanes for y <= 0 (softmax after its shift, log erfc), at
 * most 2 ulp; 0 below VMATH_EXP_MIN (-inf included), NaN stays NaN. About
 * 10 cycles per vector against 25 for sleef's Sleef_expf8_u10avx2.
 */
__attribute__((target("avx2,fma"))) static inline __m256 vmath_exp_neg8_avx2(__m256 y)
{
    /* max(lower, y) returns y when y is NaN, so a NaN flows through. */
    __m256 x = _mm256_max_ps(_mm256_set1_ps(VMATH_EXP_MIN), y);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* r = x - n ln 2, with ln 2 split in two so n * ln2_hi is exact. */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);
    __m256 p = _mm256_set1_ps(0.0013836846f);
    __m256i scale;

    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.008374816f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.041668225f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.1666642f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.4999999f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* 2^n built in the exponent field: n is in [-126, 0], a normal float. */
    scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    p = _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
    return _mm256_andnot_ps(_mm256_cmp_ps(y, _mm256_set1_ps(VMATH_EXP_MIN), _CMP_LT_OQ), p);
}

/*
 * vmath_exp_neg8_avx2 on 16 lanes: the same operations in the same order,
 * so each lane's result is the same.
 */
__attribute__((target("avx512f,avx512dq,fma"))) static inline __m512
vmath_exp_neg16_avx512(__m512 y)
{
    __m512 x = _mm512_max_ps(_mm512_set1_ps(VMATH_EXP_MIN), y);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), x);
    __m512 p = _mm512_set1_ps(0.0013836846f);
    __m512i scale;

    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.008374816f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.041668225f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.1666642f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.4999999f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    scale = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    p = _mm512_mul_ps(p, _mm512_castsi512_ps(scale));
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_set1_ps(VMATH_EXP_MIN), _CMP_NLT_UQ),
                               p);
}

__attribute__((target("avx2,fma"))) static inline __m256 vmath_erf8_avx2(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 a = _mm256_min_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(VMATH_ERF_SATURATE));
    __m256 t = _mm256_mul_ps(a, a);
    __m256 small = _mm256_set1_ps(-0.0005990853f);
    __m256 q = _mm256_set1_ps(1.6306572e-06f);
    __m256 big, r;

    small = _mm256_fmadd_ps(small, t, _mm256_set1_ps(0.0049931803f));
    small = _mm256_fmadd_ps(small, t, _mm256_set1_ps(-0.026766617f));
    small = _mm256_fmadd_ps(small, t, _mm256_set1_ps(0.11281816f));
    small = _mm256_fmadd_ps(small, t, _mm256_set1_ps(-0.37612495f));
    /* P's constant term less 1 (2 / sqrt(pi) - 1), the 1 added exactly as a. */
    small = _mm256_fmadd_ps(small, t, _mm256_set1_ps(0.1283791f));
    small = _mm256_fmadd_ps(small, a, a);
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(-4.5893714e-05f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(0.00059511245f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(-0.004750202f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(0.026390247f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(-0.11001826f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(-0.6318997f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(-1.1301857f));
    q = _mm256_fmadd_ps(q, a, _mm256_set1_ps(0.00030721098f));
    big = _mm256_sub_ps(_mm256_set1_ps(1.0f), vmath_exp_neg8_avx2(q));
    r = _mm256_blendv_ps(big, small, _mm256_cmp_ps(a, _mm256_set1_ps(VMATH_ERF_SPLIT), _CMP_LT_OQ));
    return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}

/*
 * The GELU's own evaluation, x * Phi(x) with Phi the normal distribution
 * function: by symmetry Phi(x) = 1 - T(|x|) for x >= 0 and T(|x|) below,
 * T(a) = erfc(a / sqrt(2)) / 2 its upper tail. T is a piecewise
 * polynomial: VMATH_GELU_PIECES pieces of width 1 / VMATH_GELU_SCALE, each
 * a degree-VMATH_GELU_DEGREE polynomial in the position u in [0, 1) within
 * its piece (Chebyshev fits, 1.2e-8 from T at most with the coefficients
 * rounded to float). One vpermps per coefficient picks each lane's piece,
 * so a vector costs 7 FMAs and 7 permutes instead of the erf's two
 * polynomials and an exp: vmath_gelu_f32 over an array in L1 took 5.2
 * ns per vector against 10.1 with vmath_erf8_avx2, and the GELU epilogue
 * of BERT-base's FFN GEMM (128 x 3072 x 768) fell from 8% of the GEMM's
 * time to 4%.
 *
 * The GELU needs T only to within an absolute 1e-7: for x < 0 the result
 * x T(|x|) then stays within |x| 2^-23, the rounding of 1 + erf that every
 * float evaluation of x / 2 (1 + erf(x / sqrt(2))) makes; for x >= 0,
 * x (1 - T) within a few ulp of the result.
 */
#define VMATH_GELU_PIECES 8 /* the 8 lanes one vpermps selects from */
#define VMATH_GELU_DEGREE 6 /* degree 5 misses 1e-7 (fit error 1.7e-7) */
/* float(1 / 0.7): pieces of width 0.7 cover [0, VMATH_GELU_CLAMP] in 8. */
#define VMATH_GELU_SCALE 1.42857146f
/*
 * |x| is clamped here, inside the last piece (5.59 * VMATH_GELU_SCALE <
 * 8): T(5.59) = 1.1e-8, so past it x T(|x|) is within |x| 2^-23 of 0.
 */
#define VMATH_GELU_CLAMP 5.59f

/* vmath_gelu_tail[k][j]: the coefficient of u^k in piece j's polynomial. */
extern const float vmath_gelu_tail[VMATH_GELU_DEGREE + 1][VMATH_GELU_PIECES];

/* x / 2 * (1 + erf(x / sqrt(2))) on 8 lanes; NaN stays NaN, -inf gives -inf (not 0). */
__attribute__((target("avx2,fma"))) static inline __m256 vmath_gelu8_avx2(__m256 x)
{
    const __m256 scale = _mm256_set1_ps(VMATH_GELU_SCALE);
    /* min returns its second operand when the first is NaN: a NaN x gives a = the clamp. */
    __m256 a =
        _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(VMATH_GELU_CLAMP));
    __m256 piece =
        _mm256_round_ps(_mm256_mul_ps(a, scale), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    /* u = a * scale - piece in one rounding, so the product's own rounding does not shift u. */
    __m256 u = _mm256_fmsub_ps(a, scale, piece);
    __m256i j = _mm256_cvtps_epi32(piece);
    __m256 t = _mm256_permutevar8x32_ps(_mm256_loadu_ps(vmath_gelu_tail[VMATH_GELU_DEGREE]), j);

    for (int k = VMATH_GELU_DEGREE - 1; k >= 0; k--)
        t = _mm256_fmadd_ps(t, u, _mm256_permutevar8x32_ps(_mm256_loadu_ps(vmath_gelu_tail[k]), j));
    /* blendv takes t where x's sign bit is set: Phi(x) = T(|x|) for x < 0 (and -0). */
    return _mm256_mul_ps(x, _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), t), t, x));
}

/*
 * vmath_gelu8_avx2 on 16 lanes for AVX-512 code (F and DQ), step for step
 * the same operations, so each lane's result is bit for bit the 8-lane
 * one. The 8-entry coefficient rows are loaded into both halves; the lane
 * indices (0 to 7) select from the low one.
 */
__attribute__((target("avx512f,avx512dq,fma"))) static inline __m512 vmath_gelu16_avx512(__m512 x)
{
    const __m512 scale = _mm512_set1_ps(VMATH_GELU_SCALE);
    __m512 a =
        _mm512_min_ps(_mm512_andnot_ps(_mm512_set1_ps(-0.0f), x), _mm512_set1_ps(VMATH_GELU_CLAMP));
    __m512 piece =
        _mm512_roundscale_ps(_mm512_mul_ps(a, scale), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 u = _mm512_fmsub_ps(a, scale, piece);
    __m512i j = _mm512_cvtps_epi32(piece);
    /* The lanes whose sign bit is set, where Phi(x) = T(|x|) (as the blendv above). */
    __mmask16 negative = _mm512_movepi32_mask(_mm512_castps_si512(x));
    __m512 t = _mm512_permutexvar_ps(
        j, _mm512_broadcast_f32x8(_mm256_loadu_ps(vmath_gelu_tail[VMATH_GELU_DEGREE])));

    for (int k = VMATH_GELU_DEGREE - 1; k >= 0; k--)
        t = _mm512_fmadd_ps(
            t, u,
            _mm512_permutexvar_ps(j, _mm512_broadcast_f32x8(_mm256_loadu_ps(vmath_gelu_tail[k]))));
    return _mm512_mul_ps(x,
                         _mm512_mask_blend_ps(negative, _mm512_sub_ps(_mm512_set1_ps(1.0f), t), t));
}

#endif
