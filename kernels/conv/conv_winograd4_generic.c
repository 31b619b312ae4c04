/*
 * conv_winograd4_generic.c - the Winograd F(4x4, 3x3) tile transforms in
 * plain C, one channel at a time: the reference for the vector variants,
 * and their remainder when the channel count is not a multiple of a vector.
 *
 * 1-D F(4, 3) by Toom-Cook at the points 0, 1, -1, 2, -2 and infinity: the
 * product of the taps' polynomial g(x) = g0 + g1 x + g2 x^2 and the
 * inputs' is evaluated at the six points, and a correlation's four outputs
 * read back from it. Row p of G is g(p) / N_p with N_p the product of
 * (p - q) over the other finite points q (N_0 = 4, N_1 = N_-1 = -6,
 * N_2 = N_-2 = 24), and g2 (the leading coefficient) at infinity:
 *   G   = ( 1/4     0      0   )     A^T = ( 1  1  1  1  1  0 )
 *         (-1/6   -1/6   -1/6  )           ( 0  1 -1  2 -2  0 )
 *         (-1/6    1/6   -1/6  )           ( 0  1  1  4  4  0 )
 *         ( 1/24   1/12   1/6  )           ( 0  1 -1  8 -8  1 )
 *         ( 1/24  -1/12   1/6  )
 *         ( 0       0      1   )
 * A^T's row i holds p^i at each finite point (and 1 at infinity for the
 * last output, where the leading term lands), and B^T is the transposed
 * interpolation that makes y = A^T [(G g) . (B^T d)] the correlation
 * y_i = d_i g0 + d_(i+1) g1 + d_(i+2) g2 (checked in double against the
 * direct sum):
 *   B^T = ( 4  0 -5  0  1  0 )
 *         ( 0 -4 -4  1  1  0 )
 *         ( 0  4 -4 -1  1  0 )
 *         ( 0 -2 -1  2  1  0 )
 *         ( 0  2 -1 -2  1  0 )
 *         ( 0  4  0 -5  0  1 )
 * The code factors the rows through shared sums: B^T d as
 *   4 d0 - 5 d2 + d4,  (d3 + d4) - 4 (d1 + d2),  (d4 - d3) + 4 (d1 - d2),
 *   (d4 - d2) - 2 (d1 - d3),  (d4 - d2) + 2 (d1 - d3),  4 d1 - 5 d3 + d5,
 * and A^T m, with a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4, as
 *   m0 + a + c,  b + 2 e,  a + 4 c,  b + 8 e + m5.
 * The 2-D transforms apply them along both axes: 36 multiplies per tile
 * and channel pair for 16 outputs, against 64 for four F(2x2, 3x3) tiles.
 */
#include "conv_winograd.h"

/* B^T applied to in[0], in[s], ... in[5 s], into out[0], out[t], ... out[5 t]. */
static void input_1d(const float *in, int64_t s, float *out, int64_t t)
{
    float d0 = in[0], d1 = in[s], d2 = in[2 * s], d3 = in[3 * s], d4 = in[4 * s], d5 = in[5 * s];
    float odd = d4 - d2, even = 2.0f * (d1 - d3);

    out[0] = 4.0f * d0 - 5.0f * d2 + d4;
    out[t] = (d3 + d4) - 4.0f * (d1 + d2);
    out[2 * t] = (d4 - d3) + 4.0f * (d1 - d2);
    out[3 * t] = odd - even;
    out[4 * t] = odd + even;
    out[5 * t] = 4.0f * d1 - 5.0f * d3 + d5;
}

void conv_winograd4_input_generic(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                  int64_t plane)
{
    for (int64_t c = c0; c < c1; c++) {
        float d[CONV_WINO4_POINTS], t[CONV_WINO4_POINTS], out[CONV_WINO4_IN];
        for (int p = 0; p < CONV_WINO4_POINTS; p++)
            d[p] = src[p][c];
        /* B^T d: down each column j. */
        for (int j = 0; j < CONV_WINO4_IN; j++)
            input_1d(d + j, CONV_WINO4_IN, t + j, CONV_WINO4_IN);
        /* (B^T d) B: along each row i, into points 6i .. 6i + 5. */
        for (int i = 0; i < CONV_WINO4_IN; i++) {
            input_1d(t + i * CONV_WINO4_IN, 1, out, 1);
            for (int j = 0; j < CONV_WINO4_IN; j++)
                dst[(i * CONV_WINO4_IN + j) * plane + c] = out[j];
        }
    }
}

/* A^T applied to in[0], in[s], ... in[5 s], into out[0], out[t], ... out[3 t]. */
static void output_1d(const float *in, int64_t s, float *out, int64_t t)
{
    float a = in[s] + in[2 * s], b = in[s] - in[2 * s];
    float c = in[3 * s] + in[4 * s], e = in[3 * s] - in[4 * s];

    out[0] = in[0] + a + c;
    out[t] = b + 2.0f * e;
    out[2 * t] = a + 4.0f * c;
    out[3 * t] = b + 8.0f * e + in[5 * s];
}

void conv_winograd4_output_generic(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                   const conv_winograd_epilogue_t *ep, float *const *out,
                                   const float *const *res)
{
    for (int64_t c = c0; c < c1; c++) {
        float v[CONV_WINO4_POINTS], s[CONV_WINO4_OUT * CONV_WINO4_IN];
        float y[CONV_WINO4_OUT * CONV_WINO4_OUT];
        for (int p = 0; p < CONV_WINO4_POINTS; p++)
            v[p] = m[p * plane + c];
        /* A^T m: down each column j (row i of s at s[i * 6 + j]). */
        for (int j = 0; j < CONV_WINO4_IN; j++)
            output_1d(v + j, CONV_WINO4_IN, s + j, CONV_WINO4_IN);
        /* (A^T m) A: along each of the four rows. */
        for (int i = 0; i < CONV_WINO4_OUT; i++)
            output_1d(s + i * CONV_WINO4_IN, 1, y + i * CONV_WINO4_OUT, 1);
        for (int q = 0; q < CONV_WINO4_OUT * CONV_WINO4_OUT; q++) {
            conv_winograd_store(y[q] + ep->bias[c], out[q], res[q], c, ep);
        }
    }
}

/* G applied to g[0], g[s], g[2 s], into out[0], out[t], ... out[5 t]. */
static void weight_1d(const float *g, int64_t s, float *out, int64_t t)
{
    float g0 = g[0], g1 = g[s], g2 = g[2 * s];
    float outer = g0 + g2, quarter = g0 * 0.25f + g2;

    out[0] = g0 * 0.25f;
    out[t] = -(outer + g1) / 6.0f;
    out[2 * t] = -(outer - g1) / 6.0f;
    out[3 * t] = (quarter + g1 * 0.5f) / 6.0f;
    out[4 * t] = (quarter - g1 * 0.5f) / 6.0f;
    out[5 * t] = g2;
}

void conv_winograd4_weight_generic(const float *taps, int64_t ic, float *const *u)
{
    int64_t slab = ic * GEMM_B_PANEL;

    for (int64_t c = 0; c < ic; c++)
        for (int l = 0; l < GEMM_B_PANEL; l++) {
            const float *g = taps + c * GEMM_B_PANEL + l;
            float r[CONV_WINO4_IN * 3], row[CONV_WINO4_IN];
            /* G g: down each column kx of the taps (row i of r at r[i * 3 + kx]). */
            for (int kx = 0; kx < 3; kx++)
                weight_1d(g + kx * slab, 3 * slab, r + kx, 3);
            /* (G g) G^T: along each row i, into points 6i .. 6i + 5. */
            for (int i = 0; i < CONV_WINO4_IN; i++) {
                weight_1d(r + i * 3, 1, row, 1);
                for (int j = 0; j < CONV_WINO4_IN; j++)
                    u[i * CONV_WINO4_IN + j][c * GEMM_B_PANEL + l] = row[j];
            }
        }
}
