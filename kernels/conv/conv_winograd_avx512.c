/*
 * conv_winograd_avx512.c - the Winograd F(2x2, 3x3) tile transforms on
 * AVX-512: the arithmetic of conv_winograd_generic.c with one channel per
 * lane, 16 channels per step, the last step under a lane mask
 * (conv_winograd_avx512.h says why). Call only where
 * cpu_isa() >= CPU_ISA_AVX512.
 */
#include "conv_winograd_avx512.h"

#define AVX512 CONV_WINO_AVX512
#define LANES  CONV_WINO_AVX512_LANES

AVX512 void conv_winograd_input_avx512(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                       int64_t plane)
{
    for (int64_t c = c0; c < c1; c += LANES) {
        __mmask16 k = conv_winograd_mask16(c, c1);
        __m512 t[CONV_WINO_POINTS];
        /* B^T d: rows (1 0 -1 0) (0 1 1 0) (0 -1 1 0) (0 1 0 -1) down each column j. */
#pragma GCC unroll 4
        for (int j = 0; j < CONV_WINO_IN; j++) {
            __m512 d0 = _mm512_maskz_loadu_ps(k, src[j] + c);
            __m512 d1 = _mm512_maskz_loadu_ps(k, src[4 + j] + c);
            __m512 d2 = _mm512_maskz_loadu_ps(k, src[8 + j] + c);
            __m512 d3 = _mm512_maskz_loadu_ps(k, src[12 + j] + c);
            t[j] = _mm512_sub_ps(d0, d2);
            t[4 + j] = _mm512_add_ps(d1, d2);
            t[8 + j] = _mm512_sub_ps(d2, d1);
            t[12 + j] = _mm512_sub_ps(d1, d3);
        }
        /* (B^T d) B: the same along each row, into points 4i .. 4i + 3. */
#pragma GCC unroll 4
        for (int i = 0; i < CONV_WINO_IN; i++) {
            const __m512 *row = t + 4 * i;
            float *out = dst + 4 * i * plane + c;
            _mm512_mask_storeu_ps(out, k, _mm512_sub_ps(row[0], row[2]));
            _mm512_mask_storeu_ps(out + plane, k, _mm512_add_ps(row[1], row[2]));
            _mm512_mask_storeu_ps(out + 2 * plane, k, _mm512_sub_ps(row[2], row[1]));
            _mm512_mask_storeu_ps(out + 3 * plane, k, _mm512_sub_ps(row[1], row[3]));
        }
    }
}

AVX512 void conv_winograd_output_avx512(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                        const conv_winograd_epilogue_t *ep, float *const *out,
                                        const float *const *res)
{
    for (int64_t c = c0; c < c1; c += LANES) {
        __mmask16 k = conv_winograd_mask16(c, c1);
        __m512 s[2 * CONV_WINO_IN], y[CONV_WINO_OUT * CONV_WINO_OUT];
        __m512 bias = _mm512_maskz_loadu_ps(k, ep->bias + c);
        /* A^T m: rows (1 1 1 0) and (0 1 -1 -1) down each column j. */
#pragma GCC unroll 4
        for (int j = 0; j < CONV_WINO_IN; j++) {
            __m512 m0 = _mm512_maskz_loadu_ps(k, m + j * plane + c);
            __m512 m1 = _mm512_maskz_loadu_ps(k, m + (4 + j) * plane + c);
            __m512 m2 = _mm512_maskz_loadu_ps(k, m + (8 + j) * plane + c);
            __m512 m3 = _mm512_maskz_loadu_ps(k, m + (12 + j) * plane + c);
            s[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
            s[4 + j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
        }
        /* (A^T m) A along each of the two rows, plus the bias. */
#pragma GCC unroll 2
        for (int i = 0; i < CONV_WINO_OUT; i++) {
            const __m512 *row = s + 4 * i;
            y[2 * i] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(row[0], row[1]), row[2]), bias);
            y[2 * i + 1] =
                _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(row[1], row[2]), row[3]), bias);
        }
#pragma GCC unroll 4
        for (int q = 0; q < CONV_WINO_OUT * CONV_WINO_OUT; q++)
            conv_winograd_store16(y[q], out[q], res[q], c, k, ep);
    }
}

/* F(2, 3)'s G on three vectors of taps, into out[0..3]. */
AVX512 static inline void weight_1d16(__m512 g0, __m512 g1, __m512 g2, __m512 *out)
{
    __m512 half = _mm512_set1_ps(0.5f);
    __m512 outer = _mm512_mul_ps(half, _mm512_add_ps(g0, g2)), inner = _mm512_mul_ps(half, g1);

    out[0] = g0;
    out[1] = _mm512_add_ps(outer, inner);
    out[2] = _mm512_sub_ps(outer, inner);
    out[3] = g2;
}

/* A panel is GEMM_B_PANEL = 16 output channels wide: one zmm per row, no tail. */
AVX512 void conv_winograd_weight_avx512(const float *taps, int64_t ic, float *const *u)
{
    int64_t slab = ic * GEMM_B_PANEL;

    for (int64_t c = 0; c < ic; c++) {
        const float *g = taps + c * GEMM_B_PANEL;
        __m512 r[3][CONV_WINO_IN], row[CONV_WINO_IN];
        /* G g: down each column kx of the 3x3 taps. */
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; kx++)
            weight_1d16(_mm512_loadu_ps(g + kx * slab), _mm512_loadu_ps(g + (3 + kx) * slab),
                        _mm512_loadu_ps(g + (6 + kx) * slab), r[kx]);
            /* (G g) G^T: along each row i, into points 4i .. 4i + 3. */
#pragma GCC unroll 4
        for (int i = 0; i < CONV_WINO_IN; i++) {
            weight_1d16(r[0][i], r[1][i], r[2][i], row);
            for (int j = 0; j < CONV_WINO_IN; j++)
                _mm512_storeu_ps(u[i * CONV_WINO_IN + j] + c * GEMM_B_PANEL, row[j]);
        }
    }
}
