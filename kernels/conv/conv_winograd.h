/*
 * conv_winograd.h - the tile transforms of Winograd F(2x2, 3x3) and
 * F(4x4, 3x3), shared by the driver (conv_winograd.c) and their ISA
 * variants: B^T d B of an input tile and A^T m A of a product tile, each
 * over a range of channels (contiguous in NHWC, so one vector lane per
 * channel), and G g G^T of a panel of weights.
 */
#ifndef INFERD_CONV_WINOGRAD_H
#define INFERD_CONV_WINOGRAD_H

#include "conv_nhwc.h"
#include "gemm/gemm.h"

/* F(2x2, 3x3): edge of an output tile and of the input tile it reads; transform points. */
#define CONV_WINO_OUT    2
#define CONV_WINO_IN     4
#define CONV_WINO_POINTS (CONV_WINO_IN * CONV_WINO_IN)

/* F(4x4, 3x3): the same. */
#define CONV_WINO4_OUT    4
#define CONV_WINO4_IN     6
#define CONV_WINO4_POINTS (CONV_WINO4_IN * CONV_WINO4_IN)

/* The larger of the two, what the driver's per-tile arrays hold. */
#define CONV_WINO_MAX_OUTPUTS (CONV_WINO4_OUT * CONV_WINO4_OUT)
#define CONV_WINO_MAX_POINTS  CONV_WINO4_POINTS

/* What the output transform adds and applies after A^T m A. */
typedef struct conv_winograd_epilogue {
    const float *bias; /* [channels], never NULL (zeros without a bias) */
    conv_activation_t act;
    float clip_min, clip_max;
} conv_winograd_epilogue_t;

/*
 * The end of the epilogue for output channel c of one tile point, in the
 * generic transforms of both tiles: v (bias already added) plus the
 * residual res[c] when res is not NULL, then the activation, stored to
 * out[c]; nothing when out is NULL (past the image's edge).
 */
static inline void conv_winograd_store(float v, float *out, const float *res, int64_t c,
                                       const conv_winograd_epilogue_t *ep)
{
    if (!out)
        return;
    if (res)
        v += res[c];
    if (ep->act == CONV_ACTIVATION_RELU)
        v = v > 0.0f ? v : 0.0f;
    else if (ep->act == CONV_ACTIVATION_CLIP)
        v = v < ep->clip_min ? ep->clip_min : v > ep->clip_max ? ep->clip_max : v;
    out[c] = v;
}

/*
 * B^T d B for channels [c0, c1) of one tile: src[p] points at the channels
 * of input point p (row-major, in x in; a zero row for padding); transform
 * point xi of channel c goes to dst[xi * plane + c].
 */
typedef void (*conv_winograd_input_fn)(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                       int64_t plane);

/*
 * A^T m A + bias for channels [c0, c1) of one tile, point xi of channel c
 * read from m[xi * plane + c]. Output q (row q / out, column q % out of
 * the tile) is stored to out[q][c] after adding res[q][c] (when res[q] is
 * not NULL; it may be out[q] itself) and the activation; a NULL out[q]
 * lies past the image's edge and is skipped.
 */
typedef void (*conv_winograd_output_fn)(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                        const conv_winograd_epilogue_t *ep, float *const *out,
                                        const float *const *res);

/*
 * U = G g G^T of one panel of weights: taps is a panel of the implicit
 * GEMM's packed weights (9 * ic rows of GEMM_B_PANEL floats, tap t =
 * ky * 3 + kx of input channel c in row t * ic + c, one output channel per
 * lane), and point xi of channel c goes to row c of u[xi] (ic rows of
 * GEMM_B_PANEL floats).
 */
typedef void (*conv_winograd_weight_fn)(const float *taps, int64_t ic, float *const *u);

/* F(2x2, 3x3) in plain C, any CPU (conv_winograd_generic.c). */
void conv_winograd_weight_generic(const float *taps, int64_t ic, float *const *u);
void conv_winograd_input_generic(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                 int64_t plane);
void conv_winograd_output_generic(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                  const conv_winograd_epilogue_t *ep, float *const *out,
                                  const float *const *res);

/*
 * F(2x2, 3x3) on AVX2, 8 channels per vector, the remainder on the generic
 * code (conv_winograd_avx2.c); call only where cpu_isa() >= CPU_ISA_AVX2.
 */
void conv_winograd_weight_avx2(const float *taps, int64_t ic, float *const *u);
void conv_winograd_input_avx2(const float *const *src, int64_t c0, int64_t c1, float *dst,
                              int64_t plane);
void conv_winograd_output_avx2(const float *m, int64_t plane, int64_t c0, int64_t c1,
                               const conv_winograd_epilogue_t *ep, float *const *out,
                               const float *const *res);

/* F(4x4, 3x3) in plain C, any CPU (conv_winograd4_generic.c). */
void conv_winograd4_weight_generic(const float *taps, int64_t ic, float *const *u);
void conv_winograd4_input_generic(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                  int64_t plane);
void conv_winograd4_output_generic(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                   const conv_winograd_epilogue_t *ep, float *const *out,
                                   const float *const *res);

/* F(4x4, 3x3) on AVX2 and FMA (conv_winograd4_avx2.c), the remainder as above. */
void conv_winograd4_weight_avx2(const float *taps, int64_t ic, float *const *u);
void conv_winograd4_input_avx2(const float *const *src, int64_t c0, int64_t c1, float *dst,
                               int64_t plane);
void conv_winograd4_output_avx2(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                const conv_winograd_epilogue_t *ep, float *const *out,
                                const float *const *res);

/*
 * F(2x2, 3x3) on AVX-512, 16 channels per vector, the last channels under a
 * lane mask (conv_winograd_avx512.c); call only where
 * cpu_isa() >= CPU_ISA_AVX512.
 */
void conv_winograd_weight_avx512(const float *taps, int64_t ic, float *const *u);
void conv_winograd_input_avx512(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                int64_t plane);
void conv_winograd_output_avx512(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                 const conv_winograd_epilogue_t *ep, float *const *out,
                                 const float *const *res);

/* F(4x4, 3x3) on AVX-512 (conv_winograd4_avx512.c), the same way. */
void conv_winograd4_weight_avx512(const float *taps, int64_t ic, float *const *u);
void conv_winograd4_input_avx512(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                 int64_t plane);
void conv_winograd4_output_avx512(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                  const conv_winograd_epilogue_t *ep, float *const *out,
                                  const float *const *res);

/* Output tile edge of a run: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3). */
typedef enum conv_winograd_tile {
    CONV_WINO_TILE_AUTO = 0, /* the one the layer's image size runs faster on */
    CONV_WINO_TILE_2 = CONV_WINO_OUT,
    CONV_WINO_TILE_4 = CONV_WINO4_OUT,
} conv_winograd_tile_t;

/*
 * conv_winograd_workspace and conv_winograd_run with the tile chosen by the
 * caller (the tests and tests/bench/bench_conv.c time and check each).
 */
size_t conv_winograd_workspace_tile(const op_call_t *call, const conv_geom_t *g,
                                    conv_winograd_tile_t tile);
status_t conv_winograd_run_tile(op_call_t *call, conv_winograd_tile_t tile, error_t *err);

#endif
