/*
 * conv_winograd4_avx2.c - the Winograd F(4x4, 3x3) tile transforms on AVX2
 * and FMA: the arithmetic of conv_winograd4_generic.c (whose header derives
 * the matrices) with one channel per lane, 8 channels per step; the last
 * channels short of a vector go to the generic code.
 */
#include "conv_winograd_avx2.h"

#define AVX2 __attribute__((target("avx2,fma")))

/* Floats per vector. */
#define LANES 8

/* B^T on six vectors, into out[0], out[t], ... out[5 t]. */
AVX2 static inline void input_1d8(__m256 d0, __m256 d1, __m256 d2, __m256 d3, __m256 d4, __m256 d5,
                                  __m256 *out, int t)
{
    __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f), two = _mm256_set1_ps(2.0f);
    __m256 odd = _mm256_sub_ps(d4, d2), even = _mm256_mul_ps(two, _mm256_sub_ps(d1, d3));

    out[0] = _mm256_fmadd_ps(four, d0, _mm256_fnmadd_ps(five, d2, d4));
    out[t] = _mm256_fnmadd_ps(four, _mm256_add_ps(d1, d2), _mm256_add_ps(d3, d4));
    out[2 * t] = _mm256_fmadd_ps(four, _mm256_sub_ps(d1, d2), _mm256_sub_ps(d4, d3));
    out[3 * t] = _mm256_sub_ps(odd, even);
    out[4 * t] = _mm256_add_ps(odd, even);
    out[5 * t] = _mm256_fmadd_ps(four, d1, _mm256_fnmadd_ps(five, d3, d5));
}

AVX2 void conv_winograd4_input_avx2(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                    int64_t plane)
{
    int64_t c = c0;

    for (; c + LANES <= c1; c += LANES) {
        __m256 t[CONV_WINO4_POINTS];
        /* B^T d: down each column j (row i of t at t[i * 6 + j]). */
#pragma GCC unroll 6
        for (int j = 0; j < CONV_WINO4_IN; j++) {
            input_1d8(_mm256_loadu_ps(src[j] + c), _mm256_loadu_ps(src[6 + j] + c),
                      _mm256_loadu_ps(src[12 + j] + c), _mm256_loadu_ps(src[18 + j] + c),
                      _mm256_loadu_ps(src[24 + j] + c), _mm256_loadu_ps(src[30 + j] + c), t + j,
                      CONV_WINO4_IN);
        }
        /* (B^T d) B: along each row i, into points 6i .. 6i + 5. */
#pragma GCC unroll 6
        for (int i = 0; i < CONV_WINO4_IN; i++) {
            const __m256 *row = t + i * CONV_WINO4_IN;
            __m256 out[CONV_WINO4_IN];
            input_1d8(row[0], row[1], row[2], row[3], row[4], row[5], out, 1);
            for (int j = 0; j < CONV_WINO4_IN; j++)
                _mm256_storeu_ps(dst + (i * CONV_WINO4_IN + j) * plane + c, out[j]);
        }
    }
    if (c < c1)
        conv_winograd4_input_generic(src, c, c1, dst, plane);
}

/* A^T on six vectors, into out[0], out[t], ... out[3 t]. */
AVX2 static inline void output_1d8(__m256 m0, __m256 m1, __m256 m2, __m256 m3, __m256 m4, __m256 m5,
                                   __m256 *out, int t)
{
    __m256 a = _mm256_add_ps(m1, m2), b = _mm256_sub_ps(m1, m2);
    __m256 c = _mm256_add_ps(m3, m4), e = _mm256_sub_ps(m3, m4);

    out[0] = _mm256_add_ps(_mm256_add_ps(m0, a), c);
    out[t] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), e, b);
    out[2 * t] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a);
    out[3 * t] = _mm256_fmadd_ps(_mm256_set1_ps(8.0f), e, _mm256_add_ps(b, m5));
}

AVX2 void conv_winograd4_output_avx2(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                     const conv_winograd_epilogue_t *ep, float *const *out,
                                     const float *const *res)
{
    int64_t c = c0;

    for (; c + LANES <= c1; c += LANES) {
        __m256 s[CONV_WINO4_OUT * CONV_WINO4_IN];
        __m256 bias = _mm256_loadu_ps(ep->bias + c);
        /* A^T m: down each column j (row i of s at s[i * 6 + j]). */
#pragma GCC unroll 6
        for (int j = 0; j < CONV_WINO4_IN; j++) {
            const float *col = m + j * plane + c;
            output_1d8(_mm256_loadu_ps(col), _mm256_loadu_ps(col + 6 * plane),
                       _mm256_loadu_ps(col + 12 * plane), _mm256_loadu_ps(col + 18 * plane),
                       _mm256_loadu_ps(col + 24 * plane), _mm256_loadu_ps(col + 30 * plane), s + j,
                       CONV_WINO4_IN);
        }
        /* (A^T m) A: along each row i, into outputs 4i .. 4i + 3. */
#pragma GCC unroll 4
        for (int i = 0; i < CONV_WINO4_OUT; i++) {
            const __m256 *row = s + i * CONV_WINO4_IN;
            __m256 y[CONV_WINO4_OUT];
            output_1d8(row[0], row[1], row[2], row[3], row[4], row[5], y, 1);
            for (int j = 0; j < CONV_WINO4_OUT; j++) {
                int q = i * CONV_WINO4_OUT + j;
                conv_winograd_store8(_mm256_add_ps(y[j], bias), out[q], res[q], c, ep);
            }
        }
    }
    if (c < c1)
        conv_winograd4_output_generic(m, plane, c, c1, ep, out, res);
}

/* G on three vectors of taps, into out[0], out[t], ... out[5 t]. */
AVX2 static inline void weight_1d8(__m256 g0, __m256 g1, __m256 g2, __m256 *out, int t)
{
    __m256 quarter = _mm256_set1_ps(0.25f), sixth = _mm256_set1_ps(1.0f / 6.0f);
    __m256 outer = _mm256_add_ps(g0, g2), q = _mm256_fmadd_ps(quarter, g0, g2);
    __m256 h = _mm256_mul_ps(_mm256_set1_ps(0.5f), g1);

    out[0] = _mm256_mul_ps(quarter, g0);
    out[t] = _mm256_mul_ps(_mm256_set1_ps(-1.0f / 6.0f), _mm256_add_ps(outer, g1));
    out[2 * t] = _mm256_mul_ps(_mm256_set1_ps(-1.0f / 6.0f), _mm256_sub_ps(outer, g1));
    out[3 * t] = _mm256_mul_ps(sixth, _mm256_add_ps(q, h));
    out[4 * t] = _mm256_mul_ps(sixth, _mm256_sub_ps(q, h));
    out[5 * t] = g2;
}

AVX2 void conv_winograd4_weight_avx2(const float *taps, int64_t ic, float *const *u)
{
    int64_t slab = ic * GEMM_B_PANEL;

    for (int64_t c = 0; c < ic; c++)
#pragma GCC unroll 2
        for (int l = 0; l < GEMM_B_PANEL; l += LANES) {
            const float *g = taps + c * GEMM_B_PANEL + l;
            __m256 r[CONV_WINO4_IN * 3];
            /* G g: down each column kx of the taps (row i of r at r[i * 3 + kx]). */
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
                weight_1d8(_mm256_loadu_ps(g + kx * slab), _mm256_loadu_ps(g + (3 + kx) * slab),
                           _mm256_loadu_ps(g + (6 + kx) * slab), r + kx, 3);
                /* (G g) G^T: along each row i, into points 6i .. 6i + 5. */
#pragma GCC unroll 6
            for (int i = 0; i < CONV_WINO4_IN; i++) {
                __m256 row[CONV_WINO4_IN];
                weight_1d8(r[i * 3], r[i * 3 + 1], r[i * 3 + 2], row, 1);
                for (int j = 0; j < CONV_WINO4_IN; j++)
                    _mm256_storeu_ps(u[i * CONV_WINO4_IN + j] + c * GEMM_B_PANEL + l, row[j]);
            }
        }
}
