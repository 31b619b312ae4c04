/*
 * conv_nhwc.h - the engine's channels-last 2-D convolution (oneDNN, an
 * implicit GEMM or Winograd), with its fused epilogue. Not an ONNX op:
 * engine/layout.c turns an ONNX Conv into this node inside a channels-last
 * region and engine/fuse_conv.c folds a following residual Add and
 * Relu/Clip into it.
 *
 * Inputs: 0 X [N, H, W, C] (NHWC; float32, or bf16 on a layer packed in
 * bf16, see conv_nhwc_packed_bf16), 1 W [M, C/group, kH, kW] (ONNX OIHW,
 * constant), 2 B [M] (optional), 3 R [N, OH, OW, M] (the residual added
 * before the activation; present only when params.sum is set).
 * Output: Y [N, OH, OW, M] = act(conv(X, W) + B (+ R)), float32 (bf16 with
 * params.bf16_out).
 */
#ifndef INFERD_CONV_NHWC_H
#define INFERD_CONV_NHWC_H

#include "conv.h"
#include "gemm/gemm.h"

#define CONV_NHWC_OP "ConvNHWC"

/* Input index of the residual R. */
#define CONV_NHWC_RESIDUAL 3

typedef enum conv_activation {
    CONV_ACTIVATION_NONE = 0,
    CONV_ACTIVATION_RELU,
    CONV_ACTIVATION_CLIP, /* clamp to [clip_min, clip_max] */
} conv_activation_t;

typedef struct conv_nhwc_params {
    conv_params_t conv; /* the ONNX Conv's attributes */
    bool sum;           /* input 3 is added after the bias */
    conv_activation_t activation;
    float clip_min, clip_max;
    /*
     * Y is bf16, not float32: set by the engine in the bf16 precision mode
     * (graph_conv_bf16_outputs) where every reader of Y is a bf16
     * convolution's X, which would round it to bf16 anyway. Never with sum.
     */
    bool bf16_out;
} conv_nhwc_params_t;

extern const op_kernel_t conv_nhwc_kernel;
extern const op_schema_t conv_nhwc_schema;

/*
 * The NCHW geometry of a call on NHWC tensors, through conv_resolve; out
 * gets the NHWC output shape (conv_nhwc_proto.c).
 */
status_t conv_nhwc_resolve(const op_call_t *call, conv_geom_t *g, tensor_t *out, error_t *err);

/*
 * The kernel's hooks (conv_nhwc.c): each convolution runs on oneDNN, on the
 * packed-B GEMM as an implicit GEMM or as Winograd, chosen once
 * at pack time from the weights' shape and the attributes; the state holds
 * one packed copy of the weights (Winograd's is the GEMM's).
 */
status_t conv_nhwc_pack(const op_call_t *call, void **state, error_t *err);
void conv_nhwc_release(void *state);
/*
 * True when state (conv_nhwc_pack's) runs on oneDNN's bf16 convolution:
 * the layer takes a bf16 X and can write a bf16 Y (params.bf16_out).
 */
bool conv_nhwc_packed_bf16(const void *state);
/* Raises call->workspace_size to the scratch run needs on call->threads. */
void conv_nhwc_workspace(op_call_t *call, const conv_geom_t *g);
status_t conv_nhwc_prepare(op_call_t *call, void **prepared, error_t *err);
void conv_nhwc_unprepare(void *prepared);
bool conv_nhwc_describe(const op_call_t *call, char *impl, size_t size);
status_t conv_nhwc_run(op_call_t *call, error_t *err);

/*
 * oneDNN implementation (conv_dnnl.c): call->state is its own packed state,
 * *prepared a primitive.
 */
status_t conv_dnnl_pack(const op_call_t *call, void **state, error_t *err);
/*
 * conv_dnnl_pack with the weights packed in oneDNN format tag format_tag (a
 * dnnl_format_tag_t) instead of the one oneDNN picks: lets a test start
 * from a format the real shapes' best implementation does not take.
 */
status_t conv_dnnl_pack_as(const op_call_t *call, int format_tag, void **state, error_t *err);
/* True when state (conv_dnnl_pack's) holds bf16 weights for a bf16 convolution. */
bool conv_dnnl_packed_bf16(const void *state);
/*
 * How many copies of the weights (one per format) state holds now, and how
 * many reorders made copies since it was packed.
 */
void conv_dnnl_pack_info(void *state, int *formats, int *reorders);
/*
 * The implementation a prepared call runs (op_kernel_t.describe): oneDNN's
 * name for it; true when that is oneDNN's reference code.
 */
bool conv_dnnl_describe(const op_call_t *call, char *impl, size_t size);
void conv_dnnl_release(void *state);
status_t conv_dnnl_prepare(op_call_t *call, void **prepared, error_t *err);
void conv_dnnl_unprepare(void *prepared);
status_t conv_dnnl_run(op_call_t *call, error_t *err);

/*
 * Implicit-GEMM implementation (conv_gemm.c), group 1 only: call->state is
 * the gemm_b_t of the weights as [KH][KW][IC] x OC; nothing is prepared.
 */
bool conv_gemm_supports(const conv_nhwc_params_t *p, const tensor_t *w);
status_t conv_gemm_pack(const op_call_t *call, void **state, error_t *err);
void conv_gemm_release(void *state);
/* Scratch bytes conv_gemm_run needs on call->threads threads. */
size_t conv_gemm_workspace(const op_call_t *call, const conv_geom_t *g);
status_t conv_gemm_run(op_call_t *call, error_t *err);
/* The GEMM epilogue of p's bias and activation (no residual: the caller sets it). */
gemm_epilogue_t conv_gemm_epilogue(const conv_nhwc_params_t *p, const float *bias);

/*
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) implementation (conv_winograd.c),
 * 3x3 windows with stride 1, dilation 1 and group 1 only: call->state is
 * the implicit GEMM's packed weights (conv_gemm_pack), from which each run
 * derives the 16 or 36 transformed weight matrices in its workspace; each
 * run picks its tile from its output's size; nothing is prepared.
 */
bool conv_winograd_supports(const conv_nhwc_params_t *p, const tensor_t *w);
/*
 * True when the transforms of weights w fit the cap on what they add to
 * the workspace, a block of output channels at a time.
 */
bool conv_winograd_fits(const tensor_t *w);
/*
 * True when batch output images of oh x ow have enough tiles to pay for
 * deriving the transforms.
 */
bool conv_winograd_worth(int64_t batch, int64_t oh, int64_t ow);
/* Scratch bytes conv_winograd_run needs on call->threads threads. */
size_t conv_winograd_workspace(const op_call_t *call, const conv_geom_t *g);
status_t conv_winograd_run(op_call_t *call, error_t *err);

#endif
