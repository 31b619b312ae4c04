/*
 * conv_winograd_generic.c - the Winograd F(2x2, 3x3) tile transforms in
 * plain C, one channel at a time: the reference for the vector variants,
 * and their remainder when the channel count is not a multiple of a vector.
 */
#include "conv_winograd.h"

void conv_winograd_input_generic(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                 int64_t plane)
{
    for (int64_t c = c0; c < c1; c++) {
        float t[CONV_WINO_POINTS];
        /* B^T d: each column j of d combined down its rows. */
        for (int j = 0; j < CONV_WINO_IN; j++) {
            float d0 = src[j][c], d1 = src[4 + j][c], d2 = src[8 + j][c], d3 = src[12 + j][c];
            t[j] = d0 - d2;
            t[4 + j] = d1 + d2;
            t[8 + j] = d2 - d1;
            t[12 + j] = d1 - d3;
        }
        /* (B^T d) B: the same combination along each row. */
        for (int i = 0; i < CONV_WINO_IN; i++) {
            const float *row = t + 4 * i;
            float *out = dst + 4 * i * plane + c;
            out[0] = row[0] - row[2];
            out[plane] = row[1] + row[2];
            out[2 * plane] = row[2] - row[1];
            out[3 * plane] = row[1] - row[3];
        }
    }
}

void conv_winograd_output_generic(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                  const conv_winograd_epilogue_t *ep, float *const *out,
                                  const float *const *res)
{
    for (int64_t c = c0; c < c1; c++) {
        float s[2 * CONV_WINO_IN], y[CONV_WINO_OUT * CONV_WINO_OUT];
        /* A^T m: rows (1 1 1 0) and (0 1 -1 -1) down each column j. */
        for (int j = 0; j < CONV_WINO_IN; j++) {
            float m0 = m[j * plane + c], m1 = m[(4 + j) * plane + c];
            float m2 = m[(8 + j) * plane + c], m3 = m[(12 + j) * plane + c];
            s[j] = m0 + m1 + m2;
            s[4 + j] = m1 - m2 - m3;
        }
        /* (A^T m) A: the same along each of the two rows. */
        for (int i = 0; i < CONV_WINO_OUT; i++) {
            const float *row = s + 4 * i;
            y[2 * i] = row[0] + row[1] + row[2] + ep->bias[c];
            y[2 * i + 1] = row[1] - row[2] - row[3] + ep->bias[c];
        }
        for (int q = 0; q < CONV_WINO_OUT * CONV_WINO_OUT; q++) {
            conv_winograd_store(y[q], out[q], res[q], c, ep);
        }
    }
}

/*
 * F(2, 3)'s G applied to three taps: (g0, (g0 + g1 + g2) / 2,
 * (g0 - g1 + g2) / 2, g2).
 */
static void weight_1d(float g0, float g1, float g2, float *out, int64_t stride)
{
    float outer = 0.5f * (g0 + g2), inner = 0.5f * g1;

    out[0] = g0;
    out[stride] = outer + inner;
    out[2 * stride] = outer - inner;
    out[3 * stride] = g2;
}

void conv_winograd_weight_generic(const float *taps, int64_t ic, float *const *u)
{
    int64_t slab = ic * GEMM_B_PANEL;

    for (int64_t c = 0; c < ic; c++)
        for (int l = 0; l < GEMM_B_PANEL; l++) {
            const float *g = taps + c * GEMM_B_PANEL + l;
            float r[CONV_WINO_IN * 3];
            /* G g: down each column kx of the taps (row i of r at r[i * 3 + kx]). */
            for (int kx = 0; kx < 3; kx++)
                weight_1d(g[kx * slab], g[(3 + kx) * slab], g[(6 + kx) * slab], r + kx, 3);
            /* (G g) G^T: along each row i, into points 4i .. 4i + 3. */
            for (int i = 0; i < CONV_WINO_IN; i++) {
                float row[CONV_WINO_IN];
                weight_1d(r[i * 3], r[i * 3 + 1], r[i * 3 + 2], row, 1);
                for (int j = 0; j < CONV_WINO_IN; j++)
                    u[i * CONV_WINO_IN + j][c * GEMM_B_PANEL + l] = row[j];
            }
        }
}
