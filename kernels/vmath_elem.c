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
#include "vmath_map.h"

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

#define DEFINE_ENTRY(name, sl, f1, d1)                                                             \
    VMATH_MAP_F32(vmath_##name##_f32, Sleef_##sl##f16_u10avx512f, Sleef_##sl##f8_u10avx2, f1)      \
    VMATH_MAP_F64(vmath_##name##_f64, Sleef_##sl##d8_u10avx512f, Sleef_##sl##d4_u10avx2, d1)
FOR_ELEMENTARY(DEFINE_ENTRY)
VMATH_MAP_F64(vmath_exp_f64, Sleef_expd8_u10avx512f, Sleef_expd4_u10avx2, exp)
