/*
 * vmath_elem.c - the elementary functions of the unary family (circular and
 * hyperbolic functions and their inverses, exp, expm1, log1p, tanh) over
 * float and double arrays: sleef's 1-ULP vector functions at AVX-512 (16
 * or 8 lanes, masked tail) and AVX2 (8 or 4 lanes, libm tail), libm loops
 * otherwise. The variant is chosen once per call from cpu_isa().
 */
#include "vmath.h"

#include <immintrin.h>
#include <math.h>

#include "cpu_isa.h"

#define AVX512 __attribute__((target("avx512f")))
#define AVX2   __attribute__((target("avx2,fma")))

/*
 * sleef.h declares its ISA-specific entry points only when the whole file
 * is compiled for that ISA; the library always has them (see vmath.c).
 * Each declaration carries its ISA: clang refuses vector arguments whose
 * ABI the file's own target does not have.
 */
#define DECLARE_SLEEF(fn)                                                                          \
    AVX512 __m512 Sleef_##fn##f16_u10avx512f(__m512 x);                                            \
    AVX2 __m256 Sleef_##fn##f8_u10avx2(__m256 x);                                                  \
    AVX512 __m512d Sleef_##fn##d8_u10avx512f(__m512d x);                                           \
    AVX2 __m256d Sleef_##fn##d4_u10avx2(__m256d x);

/* X(vmath name, sleef name, libm float function, libm double function) */
#define FOR_ELEMENTARY(X)                                                                          \
    X(cos, cos, cosf, cos)                                                                         \
    X(sin, sin, sinf, sin)                                                                         \
    X(tan, tan, tanf, tan)                                                                         \
    X(acos, acos, acosf, acos)                                                                     \
    X(asin, asin, asinf, asin)                                                                     \
    X(atan, atan, atanf, atan)                                                                     \
    X(cosh, cosh, coshf, cosh)                                                                     \
    X(sinh, sinh, sinhf, sinh)                                                                     \
    X(acosh, acosh, acoshf, acosh)                                                                 \
    X(asinh, asinh, asinhf, asinh)                                                                 \
    X(atanh, atanh, atanhf, atanh)                                                                 \
    X(tanh, tanh, tanhf, tanh)                                                                     \
    X(expm1, expm1, expm1f, expm1)                                                                 \
    X(log1p, log1p, log1pf, log1p)

#define DECLARE_ENTRY(name, sl, f1, d1) DECLARE_SLEEF(sl)
FOR_ELEMENTARY(DECLARE_ENTRY)
AVX512 __m512d Sleef_expd8_u10avx512f(__m512d x);
AVX2 __m256d Sleef_expd4_u10avx2(__m256d x);

/* One function over floats: 16 lanes, 8 lanes or one at a time. */
#define MAP_F32(name, FN16, FN8, FN1)                                                              \
    AVX512 static void name##_avx512(const float *x, float *y, int64_t n)                          \
    {                                                                                              \
        int64_t i = 0;                                                                             \
        for (; i + 16 <= n; i += 16)                                                               \
            _mm512_storeu_ps(y + i, FN16(_mm512_loadu_ps(x + i)));                                 \
        if (i < n) {                                                                               \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1);                                        \
            _mm512_mask_storeu_ps(y + i, m, FN16(_mm512_maskz_loadu_ps(m, x + i)));                \
        }                                                                                          \
    }                                                                                              \
    AVX2 static void name##_avx2(const float *x, float *y, int64_t n)                              \
    {                                                                                              \
        int64_t i = 0;                                                                             \
        for (; i + 8 <= n; i += 8)                                                                 \
            _mm256_storeu_ps(y + i, FN8(_mm256_loadu_ps(x + i)));                                  \
        for (; i < n; i++)                                                                         \
            y[i] = FN1(x[i]);                                                                      \
    }                                                                                              \
    void name(const float *x, float *y, int64_t n)                                                 \
    {                                                                                              \
        cpu_isa_t isa = cpu_isa();                                                                 \
        if (isa >= CPU_ISA_AVX512) {                                                               \
            name##_avx512(x, y, n);                                                                \
        } else if (isa >= CPU_ISA_AVX2) {                                                          \
            name##_avx2(x, y, n);                                                                  \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = FN1(x[i]);                                                                  \
        }                                                                                          \
    }

/* One function over doubles: 8 lanes, 4 lanes or one at a time. */
#define MAP_F64(name, FN8, FN4, FN1)                                                               \
    AVX512 static void name##_avx512(const double *x, double *y, int64_t n)                        \
    {                                                                                              \
        int64_t i = 0;                                                                             \
        for (; i + 8 <= n; i += 8)                                                                 \
            _mm512_storeu_pd(y + i, FN8(_mm512_loadu_pd(x + i)));                                  \
        if (i < n) {                                                                               \
            __mmask8 m = (__mmask8)((1u << (n - i)) - 1);                                          \
            _mm512_mask_storeu_pd(y + i, m, FN8(_mm512_maskz_loadu_pd(m, x + i)));                 \
        }                                                                                          \
    }                                                                                              \
    AVX2 static void name##_avx2(const double *x, double *y, int64_t n)                            \
    {                                                                                              \
        int64_t i = 0;                                                                             \
        for (; i + 4 <= n; i += 4)                                                                 \
            _mm256_storeu_pd(y + i, FN4(_mm256_loadu_pd(x + i)));                                  \
        for (; i < n; i++)                                                                         \
            y[i] = FN1(x[i]);                                                                      \
    }                                                                                              \
    void name(const double *x, double *y, int64_t n)                                               \
    {                                                                                              \
        cpu_isa_t isa = cpu_isa();                                                                 \
        if (isa >= CPU_ISA_AVX512) {                                                               \
            name##_avx512(x, y, n);                                                                \
        } else if (isa >= CPU_ISA_AVX2) {                                                          \
            name##_avx2(x, y, n);                                                                  \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = FN1(x[i]);                                                                  \
        }                                                                                          \
    }

#define DEFINE_ENTRY(name, sl, f1, d1)                                                             \
    MAP_F32(vmath_##name##_f32, Sleef_##sl##f16_u10avx512f, Sleef_##sl##f8_u10avx2, f1)            \
    MAP_F64(vmath_##name##_f64, Sleef_##sl##d8_u10avx512f, Sleef_##sl##d4_u10avx2, d1)
FOR_ELEMENTARY(DEFINE_ENTRY)
MAP_F64(vmath_exp_f64, Sleef_expd8_u10avx512f, Sleef_expd4_u10avx2, exp)
