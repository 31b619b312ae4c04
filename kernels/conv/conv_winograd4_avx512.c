/*
 * conv_winograd4_avx512.c - the Winograd F(4x4, 3x3) tile transforms on
 * AVX-512: the arithmetic of conv_winograd4_generic.c (whose header derives
 * the matrices) with one channel per lane, 16 channels per step, the last
 * step under a lane mask (conv_winograd_avx512.h says why). Call only
 * where cpu_isa() >= CPU_ISA_AVX512.
 */
#include "conv_winograd_avx512.h"

#define AVX512 CONV_WINO_AVX512
#define LANES  CONV_WINO_AVX512_LANES

/* B^T on six vectors, into out[0], out[t], ... out[5 t]. */
AVX512 static inline void input_1d16(__m512 d0, __m512 d1, __m512 d2, __m512 d3, __m512 d4,
                                     __m512 d5, __m512 *out, int t)
{
    __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
    __m512 odd = _mm512_sub_ps(d4, d2), even = _mm512_mul_ps(two, _mm512_sub_ps(d1, d3));

    out[0] = _mm512_fmadd_ps(four, d0, _mm512_fnmadd_ps(five, d2, d4));
    out[t] = _mm512_fnmadd_ps(four, _mm512_add_ps(d1, d2), _mm512_add_ps(d3, d4));
    out[2 * t] = _mm512_fmadd_ps(four, _mm512_sub_ps(d1, d2), _mm512_sub_ps(d4, d3));
    out[3 * t] = _mm512_sub_ps(odd, even);
    out[4 * t] = _mm512_add_ps(odd, even);
    out[5 * t] = _mm512_fmadd_ps(four, d1, _mm512_fnmadd_ps(five, d3, d5));
}

AVX512 void conv_winograd4_input_avx512(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                        int64_t plane)
{
    for (int64_t c = c0; c < c1; c += LANES) {
        __mmask16 k = conv_winograd_mask16(c, c1);
        __m512 t[CONV_WINO4_POINTS];
        /* B^T d: down each column j (row i of t at t[i * 6 + j]). */
#pragma GCC unroll 6
        for (int j = 0; j < CONV_WINO4_IN; j++)
            input_1d16(_mm512_maskz_loadu_ps(k, src[j] + c),
                       _mm512_maskz_loadu_ps(k, src[6 + j] + c),
                       _mm512_maskz_loadu_ps(k, src[12 + j] + c),
                       _mm512_maskz_loadu_ps(k, src[18 + j] + c),
                       _mm512_maskz_loadu_ps(k, src[24 + j] + c),
                       _mm512_maskz_loadu_ps(k, src[30 + j] + c), t + j, CONV_WINO4_IN);
            /* (B^T d) B: along each row i, into points 6i .. 6i + 5. */
#pragma GCC unroll 6
        for (int i = 0; i < CONV_WINO4_IN; i++) {
            const __m512 *row = t + i * CONV_WINO4_IN;
            __m512 out[CONV_WINO4_IN];
            input_1d16(row[0], row[1], row[2], row[3], row[4], row[5], out, 1);
            for (int j = 0; j < CONV_WINO4_IN; j++)
                _mm512_mask_storeu_ps(dst + (i * CONV_WINO4_IN + j) * plane + c, k, out[j]);
        }
    }
}

/* A^T on six vectors, into out[0], out[t], ... out[3 t]. */
AVX512 static inline void output_1d16(__m512 m0, __m512 m1, __m512 m2, __m512 m3, __m512 m4,
                                      __m512 m5, __m512 *out, int t)
{
    __m512 a = _mm512_add_ps(m1, m2), b = _mm512_sub_ps(m1, m2);
    __m512 c = _mm512_add_ps(m3, m4), e = _mm512_sub_ps(m3, m4);

    out[0] = _mm512_add_ps(_mm512_add_ps(m0, a), c);
    out[t] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), e, b);
    out[2 * t] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    out[3 * t] = _mm512_fmadd_ps(_mm512_set1_ps(8.0f), e, _mm512_add_ps(b, m5));
}

AVX512 void conv_winograd4_output_avx512(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                         const conv_winograd_epilogue_t *ep, float *const *out,
                                         const float *const *res)
{
    for (int64_t c = c0; c < c1; c += LANES) {
        __mmask16 k = conv_winograd_mask16(c, c1);
        __m512 s[CONV_WINO4_OUT * CONV_WINO4_IN];
        __m512 bias = _mm512_maskz_loadu_ps(k, ep->bias + c);
        /* A^T m: down each column j (row i of s at s[i * 6 + j]). */
#pragma GCC unroll 6
        for (int j = 0; j < CONV_WINO4_IN; j++) {
            const float *col = m + j * plane + c;
            output_1d16(_mm512_maskz_loadu_ps(k, col), _mm512_maskz_loadu_ps(k, col + 6 * plane),
                        _mm512_maskz_loadu_ps(k, col + 12 * plane),
                        _mm512_maskz_loadu_ps(k, col + 18 * plane),
                        _mm512_maskz_loadu_ps(k, col + 24 * plane),
                        _mm512_maskz_loadu_ps(k, col + 30 * plane), s + j, CONV_WINO4_IN);
        }
        /* (A^T m) A: along each row i, into outputs 4i .. 4i + 3, plus the bias. */
#pragma GCC unroll 4
        for (int i = 0; i < CONV_WINO4_OUT; i++) {
            const __m512 *row = s + i * CONV_WINO4_IN;
            __m512 y[CONV_WINO4_OUT];
            output_1d16(row[0], row[1], row[2], row[3], row[4], row[5], y, 1);
            for (int j = 0; j < CONV_WINO4_OUT; j++) {
                int q = i * CONV_WINO4_OUT + j;
                conv_winograd_store16(_mm512_add_ps(y[j], bias), out[q], res[q], c, k, ep);
            }
        }
    }
}

/* G on three vectors of taps, into out[0], out[t], ... out[5 t]. */
AVX512 static inline void weight_1d16(__m512 g0, __m512 g1, __m512 g2, __m512 *out, int t)
{
    __m512 quarter = _mm512_set1_ps(0.25f), sixth = _mm512_set1_ps(1.0f / 6.0f);
    __m512 outer = _mm512_add_ps(g0, g2), q = _mm512_fmadd_ps(quarter, g0, g2);
    __m512 h = _mm512_mul_ps(_mm512_set1_ps(0.5f), g1);

    out[0] = _mm512_mul_ps(quarter, g0);
    out[t] = _mm512_mul_ps(_mm512_set1_ps(-1.0f / 6.0f), _mm512_add_ps(outer, g1));
    out[2 * t] = _mm512_mul_ps(_mm512_set1_ps(-1.0f / 6.0f), _mm512_sub_ps(outer, g1));
    out[3 * t] = _mm512_mul_ps(sixth, _mm512_add_ps(q, h));
    out[4 * t] = _mm512_mul_ps(sixth, _mm512_sub_ps(q, h));
    out[5 * t] = g2;
}

/* A panel is GEMM_B_PANEL = 16 output channels wide: one zmm per row, no tail. */
AVX512 void conv_winograd4_weight_avx512(const float *taps, int64_t ic, float *const *u)
{
    int64_t slab = ic * GEMM_B_PANEL;

    for (int64_t c = 0; c < ic; c++) {
        const float *g = taps + c * GEMM_B_PANEL;
        __m512 r[CONV_WINO4_IN * 3];
        /* G g: down each column kx of the taps (row i of r at r[i * 3 + kx]). */
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; kx++)
            weight_1d16(_mm512_loadu_ps(g + kx * slab), _mm512_loadu_ps(g + (3 + kx) * slab),
                        _mm512_loadu_ps(g + (6 + kx) * slab), r + kx, 3);
            /* (G g) G^T: along each row i, into points 6i .. 6i + 5. */
#pragma GCC unroll 6
        for (int i = 0; i < CONV_WINO4_IN; i++) {
            __m512 row[CONV_WINO4_IN];
            weight_1d16(r[i * 3], r[i * 3 + 1], r[i * 3 + 2], row, 1);
            for (int j = 0; j < CONV_WINO4_IN; j++)
                _mm512_storeu_ps(u[i * CONV_WINO4_IN + j] + c * GEMM_B_PANEL, row[j]);
        }
    }
}
