/*
 * The vector map behind every elementwise math function of vmath.h: one
 * macro defines name(x, y, n) over an array, running a 16- or 8-lane function
 * on AVX-512, an 8- or 4-lane one on AVX2 and the scalar one otherwise, chosen
 * by cpu_isa() on each call. Private to vmath*.c, which include it after
 * <immintrin.h> and the declarations of the vector functions they name.
 */
#ifndef INFERD_KERNELS_VMATH_MAP_H
#define INFERD_KERNELS_VMATH_MAP_H

#include <stdint.h>

#include "cpu_isa.h"

/* One function over floats: 16 lanes, 8 lanes or one at a time. */
#define VMATH_MAP_F32(name, FN16, FN8, FN1)                                                        \
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
#define VMATH_MAP_F64(name, FN8, FN4, FN1)                                                         \
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

#endif
