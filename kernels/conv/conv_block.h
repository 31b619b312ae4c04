/*
 * conv_block.h - a MobileNetV2 inverted-residual block as one step:
 *
 *   [1x1 expand + act] -> 3x3 depthwise (stride 1 or 2) + act -> 1x1 project
 *   [+ residual] [+ act]
 *
 * run over strips of output rows, so the expanded rows (which, at the
 * network's early resolutions, do not fit the L2 cache as whole tensors)
 * live in a small per-thread ring of three rows and the depthwise output
 * in a strip the projection reads at once; neither ever goes to memory.
 * Not an ONNX op: engine/fuse_block.c rewrites a chain of ConvNHWC nodes
 * (conv_nhwc.h, their activations and residual Add already fused) into it.
 *
 * The pointwise steps run on inferd's GEMM (kernels/gemm) with its bias
 * and activation epilogue, the depthwise step on conv_dw_row.h. Each
 * expanded row is computed once per thread (a thread starting mid-image
 * computes the one or two rows above its first window again).
 *
 * Inputs (all but X constant, packed by conv_block_pack):
 *   0 X [N, H, W, C] NHWC float32
 *   1 We [E, C, 1, 1], 2 Be [E]  the expansion (absent: no expansion, E = C)
 *   3 Wd [E, 1, 3, 3], 4 Bd [E]  the depthwise convolution (Bd optional)
 *   5 Wp [M, E, 1, 1], 6 Bp [M]  the projection (Bp optional)
 *   7 R [N, OH, OW, M]           the residual (present only with project.sum)
 * Output: Y [N, OH, OW, M] float32.
 */
#ifndef INFERD_CONV_BLOCK_H
#define INFERD_CONV_BLOCK_H

#include "conv_nhwc.h"

#define CONV_BLOCK_OP "inferd.ConvBlockNHWC"

enum {
    CONV_BLOCK_X = 0,
    CONV_BLOCK_EXPAND_W,
    CONV_BLOCK_EXPAND_B,
    CONV_BLOCK_DW_W,
    CONV_BLOCK_DW_B,
    CONV_BLOCK_PROJECT_W,
    CONV_BLOCK_PROJECT_B,
    CONV_BLOCK_RESIDUAL,
    CONV_BLOCK_INPUTS,
};

/* The fused convolutions' own params, epilogues included. */
typedef struct conv_block_params {
    bool expand; /* inputs 1 and 2 are the expansion */
    conv_nhwc_params_t expand_conv, depthwise, project;
} conv_block_params_t;

/* Shapes of a call, from conv_block_resolve. */
typedef struct conv_block_geom {
    int64_t n, h, w, c; /* X */
    int64_t e;          /* the depthwise convolution's channels */
    int64_t oh, ow, m;  /* Y */
    int64_t stride;     /* the depthwise convolution's, both dims */
    int64_t pad_top, pad_left;
} conv_block_geom_t;

extern const op_kernel_t conv_block_kernel;
extern const op_schema_t conv_block_schema;

/*
 * True when the three convolutions (the expansion's params NULL when there
 * is none) and the depthwise weights wd ([E, 1, kH, kW]) are a block this
 * kernel runs: 1x1 pointwise steps, a 3x3 depthwise one with stride 1 or
 * 2 in both dims and dilation 1, sums only on the projection.
 */
bool conv_block_supports(const conv_nhwc_params_t *expand, const conv_nhwc_params_t *depthwise,
                         const tensor_t *wd, const conv_nhwc_params_t *project);

/* Checks the call's shapes and fills g and the output's shape (conv_block_proto.c). */
status_t conv_block_resolve(const op_call_t *call, conv_block_geom_t *g, tensor_t *out,
                            error_t *err);

/* Scratch bytes run needs for g on threads threads (conv_block.c). */
size_t conv_block_workspace(const conv_block_geom_t *g, int threads);

/* The kernel's hooks (conv_block.c). */
status_t conv_block_pack(const op_call_t *call, void **state, error_t *err);
void conv_block_release(void *state);
bool conv_block_describe(const op_call_t *call, char *impl, size_t size);
status_t conv_block_run(op_call_t *call, error_t *err);

#endif
