/*
 * conv_winograd_avx2.c - the Winograd F(2x2, 3x3) tile transforms on AVX2:
 * the same arithmetic as conv_winograd_generic.c with one channel per lane,
 * 8 channels per step; the last channels short of a vector go to the
 * generic code.
 */
#include "conv_winograd_avx2.h"

#define AVX2 __attribute__((target("avx2")))

/* Floats per vector. */
#define LANES 8

AVX2 void conv_winograd_input_avx2(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                   int64_t plane)
{
    int64_t c = c0;

    for (; c + LANES <= c1; c += LANES) {
        __m256 t[CONV_WINO_POINTS];
#pragma GCC unroll 4
        for (int j = 0; j < CONV_WINO_IN; j++) {
            __m256 d0 = _mm256_loadu_ps(src[j] + c), d1 = _mm256_loadu_ps(src[4 + j] + c);
            __m256 d2 = _mm256_loadu_ps(src[8 + j] + c), d3 = _mm256_loadu_ps(src[12 + j] + c);
            t[j] = _mm256_sub_ps(d0, d2);
            t[4 + j] = _mm256_add_ps(d1, d2);
            t[8 + j] = _mm256_sub_ps(d2, d1);
            t[12 + j] = _mm256_sub_ps(d1, d3);
        }
#pragma GCC unroll 4
        for (int i = 0; i < CONV_WINO_IN; i++) {
            const __m256 *row = t + 4 * i;
            float *out = dst + 4 * i * plane + c;
            _mm256_storeu_ps(out, _mm256_sub_ps(row[0], row[2]));
            _mm256_storeu_ps(out + plane, _mm256_add_ps(row[1], row[2]));
            _mm256_storeu_ps(out + 2 * plane, _mm256_sub_ps(row[2], row[1]));
            _mm256_storeu_ps(out + 3 * plane, _mm256_sub_ps(row[1], row[3]));
        }
    }
    if (c < c1)
        conv_winograd_input_generic(src, c, c1, dst, plane);
}

AVX2 void conv_winograd_output_avx2(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                    const conv_winograd_epilogue_t *ep, float *const *out,
                                    const float *const *res)
{
    int64_t c = c0;

    for (; c + LANES <= c1; c += LANES) {
        __m256 s[2 * CONV_WINO_IN], y[CONV_WINO_OUT * CONV_WINO_OUT];
        __m256 bias = _mm256_loadu_ps(ep->bias + c);
#pragma GCC unroll 4
        for (int j = 0; j < CONV_WINO_IN; j++) {
            __m256 m0 = _mm256_loadu_ps(m + j * plane + c);
            __m256 m1 = _mm256_loadu_ps(m + (4 + j) * plane + c);
            __m256 m2 = _mm256_loadu_ps(m + (8 + j) * plane + c);
            __m256 m3 = _mm256_loadu_ps(m + (12 + j) * plane + c);
            s[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
            s[4 + j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
        }
#pragma GCC unroll 2
        for (int i = 0; i < CONV_WINO_OUT; i++) {
            const __m256 *row = s + 4 * i;
            y[2 * i] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(row[0], row[1]), row[2]), bias);
            y[2 * i + 1] =
                _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(row[1], row[2]), row[3]), bias);
        }
#pragma GCC unroll 4
        for (int q = 0; q < CONV_WINO_OUT * CONV_WINO_OUT; q++) {
            conv_winograd_store8(y[q], out[q], res[q], c, ep);
        }
    }
    if (c < c1)
        conv_winograd_output_generic(m, plane, c, c1, ep, out, res);
}

/* F(2, 3)'s G on three vectors of taps, into out[0..3]. */
AVX2 static inline void weight_1d8(__m256 g0, __m256 g1, __m256 g2, __m256 *out)
{
    __m256 half = _mm256_set1_ps(0.5f);
    __m256 outer = _mm256_mul_ps(half, _mm256_add_ps(g0, g2)), inner = _mm256_mul_ps(half, g1);

    out[0] = g0;
    out[1] = _mm256_add_ps(outer, inner);
    out[2] = _mm256_sub_ps(outer, inner);
    out[3] = g2;
}

AVX2 void conv_winograd_weight_avx2(const float *taps, int64_t ic, float *const *u)
{
    int64_t slab = ic * GEMM_B_PANEL;

    for (int64_t c = 0; c < ic; c++)
#pragma GCC unroll 2
        for (int l = 0; l < GEMM_B_PANEL; l += LANES) {
            const float *g = taps + c * GEMM_B_PANEL + l;
            __m256 r[3][CONV_WINO_IN], row[CONV_WINO_IN];
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
                weight_1d8(_mm256_loadu_ps(g + kx * slab), _mm256_loadu_ps(g + (3 + kx) * slab),
                           _mm256_loadu_ps(g + (6 + kx) * slab), r[kx]);
#pragma GCC unroll 4
            for (int i = 0; i < CONV_WINO_IN; i++) {
                weight_1d8(r[0][i], r[1][i], r[2][i], row);
                for (int j = 0; j < CONV_WINO_IN; j++)
                    _mm256_storeu_ps(u[i * CONV_WINO_IN + j] + c * GEMM_B_PANEL + l, row[j]);
            }
        }
}
