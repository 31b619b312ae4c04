/* half.c - float16 and bfloat16 conversions (half.h). */
#include "half.h"

#include <cpuid.h>
#include <immintrin.h>
#include <math.h>

#include "cpu_isa.h"

float f16_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = h & 0x7c00u, mant = h & 0x03ffu;

    if (exp ==
        0x7c00u) /* infinity, or a NaN made quiet (as vcvtph2ps does), its payload moved up */
        return half_bits_float(sign | 0x7f800000u | (mant << 13) | (mant ? 0x00400000u : 0));
    if (exp == 0) { /* zero or subnormal: mant x 2^-24, exact in float */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    return half_bits_float(sign | (((uint32_t)(h & 0x7fffu) << 13) + ((127u - 15u) << 23)));
}

uint16_t float_to_f16(float f)
{
    uint32_t u = half_float_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;

    if (a > 0x7f800000u) /* NaN: quiet, payload truncated, as vcvtps2ph does */
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) /* 65520 and up round to infinity (65504 is the largest half) */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) {
        /*
         * Below 2^-14 the result is subnormal, a multiple of 2^-24: adding
         * 0.5 (whose ulp is 2^-24) lets the FPU round to nearest even, and
         * the low bits of the sum are the half's.
         */
        float sum = half_bits_float(a) + 0.5f;
        return (uint16_t)(sign | (half_float_bits(sum) - 0x3f000000u));
    }
    /* Rebias the exponent and round the 13 dropped bits to nearest even. */
    a += ((uint32_t)(15 - 127) << 23) + 0xfffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | (a >> 13));
}

/*
 * Rounds a finite a > 0 to a binary format of mbits stored mantissa bits,
 * smallest normal exponent emin and all-ones exponent field max_field,
 * returning the bits without the sign (infinity past the largest finite).
 * nearbyint rounds to nearest even in the default rounding mode.
 */
static uint32_t round_double(double a, int mbits, int emin, uint32_t max_field)
{
    int e;
    double r;
    uint32_t biased;

    if (a == 0.0)
        return 0;
    frexp(a, &e);
    e -= 1;       /* a in [2^e, 2^(e+1)) */
    if (e < emin) /* subnormal; rounding up to 2^mbits is the smallest normal's bits */
        return (uint32_t)nearbyint(ldexp(a, mbits - emin));
    r = nearbyint(ldexp(a, mbits - e));
    if (r >= ldexp(1.0, mbits + 1)) {
        r /= 2;
        e++;
    }
    biased = (uint32_t)(e - emin + 1);
    if (biased >= max_field)
        return max_field << mbits;
    return (biased << mbits) | ((uint32_t)r - (1u << mbits));
}

uint16_t double_to_f16(double d)
{
    uint16_t sign = signbit(d) ? 0x8000u : 0;

    if (isnan(d))
        return (uint16_t)(sign | 0x7e00u);
    if (isinf(d))
        return (uint16_t)(sign | 0x7c00u);
    return (uint16_t)(sign | round_double(fabs(d), 10, -14, 31));
}

uint16_t double_to_bf16(double d)
{
    uint16_t sign = signbit(d) ? 0x8000u : 0;

    if (isnan(d))
        return (uint16_t)(sign | 0x7fc0u);
    if (isinf(d))
        return (uint16_t)(sign | 0x7f80u);
    return (uint16_t)(sign | round_double(fabs(d), 7, -126, 255));
}

#define F16C __attribute__((target("avx2,f16c")))

F16C static void f16_to_float_f16c(const uint16_t *src, float *dst, int64_t n)
{
    int64_t i = 0;

    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++)
        dst[i] = f16_to_float(src[i]);
}

F16C static void float_to_f16_f16c(const float *src, uint16_t *dst, int64_t n)
{
    int64_t i = 0;

    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        dst[i] = float_to_f16(src[i]);
}

/*
 * F16C came with AVX2 on every x86 CPU, but it is a flag of its own: both
 * are asked. CPUID is read directly: clang 14's __builtin_cpu_supports has
 * no "f16c".
 */
static bool have_f16c(void)
{
    static int known = -1;
    unsigned a, b, c, d;

    if (known < 0)
        known = cpu_isa() >= CPU_ISA_AVX2 && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    return known;
}

void half_to_float_n(dtype_t t, const uint16_t *src, float *dst, int64_t n)
{
    if (t == DTYPE_BFLOAT16) {
        for (int64_t i = 0; i < n; i++)
            dst[i] = bf16_to_float(src[i]);
    } else if (have_f16c()) {
        f16_to_float_f16c(src, dst, n);
    } else {
        for (int64_t i = 0; i < n; i++)
            dst[i] = f16_to_float(src[i]);
    }
}

void float_to_half_n(dtype_t t, const float *src, uint16_t *dst, int64_t n)
{
    if (t == DTYPE_BFLOAT16) {
        for (int64_t i = 0; i < n; i++)
            dst[i] = float_to_bf16(src[i]);
    } else if (have_f16c()) {
        float_to_f16_f16c(src, dst, n);
    } else {
        for (int64_t i = 0; i < n; i++)
            dst[i] = float_to_f16(src[i]);
    }
}
