/*
 * deform_conv.h - DeformConv (opset 19): a convolution of X [N, C, H, W]
 * with W [oC, C / group, kH, kW] whose every tap reads X at its regular
 * position moved by a learned (dy, dx) from offset [N, offset_group * kH *
 * kW * 2, oH, oW], bilinearly interpolated (taps outside the image read 0)
 * and, with the optional mask [N, offset_group * kH * kW, oH, oW], scaled.
 * Channels share the offsets of their offset group (C / offset_group
 * consecutive channels). The spec allows any number of spatial dims; inferd,
 * like ONNX Runtime and torchvision, computes 2-D and refuses the others.
 *
 * Computation: per image and per tile of output pixels, a sampling plan
 * (the four taps and weights of each offset group x kernel tap x pixel,
 * mask folded in) is built once, every channel's columns are sampled from it
 * into a workspace, and one GEMM per group multiplies the weights with them.
 * float runs on inferd's packed sgemm (the columns are written straight in
 * its panel layout), double on OpenBLAS's dgemm.
 */
#ifndef INFERD_DEFORM_CONV_H
#define INFERD_DEFORM_CONV_H

#include "op.h"
#include "window.h"

/*
 * Largest input plane (H x W pixels): the sampling plan holds pixel indices
 * as int32, which halves its size; 2^31 pixels is far above any image.
 */
#define DEFORM_CONV_MAX_PLANE INT32_MAX

/*
 * Workspace a tile of output pixels may take (columns and sampling plan):
 * a layer's columns (C / group x kH x kW rows) are built this many bytes at
 * a time instead of all at once, which keeps them in the outer caches and
 * bounds the plan's memory whatever the image size.
 */
#define DEFORM_CONV_TILE_BYTES ((size_t)8 << 20)

/* Attribute lists keep their ONNX length; n_* is -1 when absent. */
typedef struct deform_conv_params {
    int64_t group, offset_group;
    int n_kernel_shape, n_strides, n_dilations, n_pads;
    int64_t kernel_shape[WINDOW_MAX_ATTR_DIMS];
    int64_t strides[WINDOW_MAX_ATTR_DIMS];
    int64_t dilations[WINDOW_MAX_ATTR_DIMS];
    int64_t pads[2 * WINDOW_MAX_ATTR_DIMS];
} deform_conv_params_t;

/* The shapes of one 2-D call, and the tile the workspace is sized for. */
typedef struct deform_conv_geom {
    int64_t n, c, h, w; /* X */
    int64_t oc, kh, kw; /* W */
    int64_t group, offset_group;
    int64_t stride[2], dilation[2], pad[2]; /* pad: the leading pads (top, left) */
    int64_t oh, ow;
    int64_t tile; /* output pixels per tile: all of them, or a multiple of 16 */
} deform_conv_geom_t;

extern const op_kernel_t deform_conv_kernel;

/*
 * Checks the call's shapes against params and fills g (tile included) and,
 * when out is not NULL, output 0's shape (prototype, deform_conv_proto.c).
 */
status_t deform_conv_resolve(const op_call_t *call, deform_conv_geom_t *g, tensor_t *out,
                             error_t *err);

/* Picks g->tile for dtype t (float or double) from the other fields. */
void deform_conv_pick_tile(deform_conv_geom_t *g, dtype_t t);

/* Workspace bytes deform_conv needs for g (tile set) and dtype t. */
size_t deform_conv_workspace_bytes(const deform_conv_geom_t *g, dtype_t t);

/*
 * y [n, oc, oh, ow] = DeformConv(x, w, offset, bias, mask), all of dtype t
 * (float or double); bias and mask may be NULL. workspace holds
 * deform_conv_workspace_bytes(g, t) bytes, 64-byte aligned. Runs on up to
 * threads OpenMP threads.
 */
void deform_conv(const deform_conv_geom_t *g, dtype_t t, const void *x, const void *w,
                 const void *offset, const void *bias, const void *mask, void *y, void *workspace,
                 int threads);

/* CPU implementation (deform_conv_cpu.c). */
status_t deform_conv_run(op_call_t *call, error_t *err);

#endif
