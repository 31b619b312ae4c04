/*
 * conv_winograd.h - the tile transforms of Winograd F(2x2, 3x3), shared by
 * the driver (conv_winograd.c) and their ISA variants: B^T d B of a 4x4
 * input tile and A^T m A of a 4x4 product tile, each over a range of
 * channels (contiguous in NHWC, so one vector lane per channel).
 */
#ifndef INFERD_CONV_WINOGRAD_H
#define INFERD_CONV_WINOGRAD_H

#include "conv_nhwc.h"
#include "gemm/gemm.h"

/* Edge of an output tile and of the input tile it reads; transform points. */
#define CONV_WINO_OUT    2
#define CONV_WINO_IN     4
#define CONV_WINO_POINTS (CONV_WINO_IN * CONV_WINO_IN)

/* What the output transform adds and applies after A^T m A. */
typedef struct conv_winograd_epilogue {
    const float *bias; /* [channels], never NULL (zeros without a bias) */
    conv_activation_t act;
    float clip_min, clip_max;
} conv_winograd_epilogue_t;

/*
 * B^T d B for channels [c0, c1) of one tile: src[p] points at the channels
 * of input point p (row-major 4x4; a zero row for padding); transform point
 * xi of channel c goes to dst[xi * plane + c].
 */
typedef void (*conv_winograd_input_fn)(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                       int64_t plane);

/*
 * A^T m A + bias for channels [c0, c1) of one tile, point xi of channel c
 * read from m[xi * plane + c]. Output q (row q / 2, column q % 2 of the
 * tile) is stored to out[q][c] after adding res[q][c] (when res[q] is not
 * NULL; it may be out[q] itself) and the activation; a NULL out[q] lies
 * past the image's edge and is skipped.
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

/* Plain C, any CPU (conv_winograd_generic.c). */
void conv_winograd_weight_generic(const float *taps, int64_t ic, float *const *u);
void conv_winograd_input_generic(const float *const *src, int64_t c0, int64_t c1, float *dst,
                                 int64_t plane);
void conv_winograd_output_generic(const float *m, int64_t plane, int64_t c0, int64_t c1,
                                  const conv_winograd_epilogue_t *ep, float *const *out,
                                  const float *const *res);

/*
 * AVX2, 8 channels per vector, the remainder on the generic code
 * (conv_winograd_avx2.c); call only where __builtin_cpu_supports("avx2").
 */
void conv_winograd_weight_avx2(const float *taps, int64_t ic, float *const *u);
void conv_winograd_input_avx2(const float *const *src, int64_t c0, int64_t c1, float *dst,
                              int64_t plane);
void conv_winograd_output_avx2(const float *m, int64_t plane, int64_t c0, int64_t c1,
                               const conv_winograd_epilogue_t *ep, float *const *out,
                               const float *const *res);

#endif
