/*
 * deform_conv.h - DeformConv (opset 19): a convolution of X [N, C, D1..Dn]
 * with W [oC, C / group, k1..kn] whose every tap reads X at its regular
 * position moved by a learned offset (one value per spatial axis, in axis
 * order) from offset [N, offset_group * k1 * .. * kn * n, o1..on],
 * interpolated linearly along each axis (the 2^n neighbours of the point;
 * those outside X read 0) and, with the optional mask [N, offset_group *
 * k1 * .. * kn, o1..on], scaled. Channels share the offsets of their offset
 * group (C / offset_group consecutive channels). Every spatial rank the
 * spec allows (1 to TENSOR_MAX_RANK - 2) is computed; ONNX Runtime and
 * torchvision stop at 2-D.
 *
 * Computation: per image and per tile of output positions, a sampling plan
 * (the 2^n neighbours and weights of each offset group x kernel tap x
 * position, mask folded in) is built once, every channel's columns are
 * sampled from it into a workspace, and one GEMM per group multiplies the
 * weights with them. float runs on inferd's packed sgemm (the columns are
 * written straight in its panel layout), double on OpenBLAS's dgemm.
 */
#ifndef INFERD_DEFORM_CONV_H
#define INFERD_DEFORM_CONV_H

#include "op.h"
#include "window.h"

/* Spatial axes DeformConv computes: every count an X of rank <= TENSOR_MAX_RANK has. */
#define DEFORM_CONV_MAX_SPATIAL (TENSOR_MAX_RANK - 2)

/*
 * Largest input volume (D1 x .. x Dn elements of a channel): the sampling
 * plan holds element indices as int32, which halves its size; 2^31 elements
 * per channel is far above any image or volume.
 */
#define DEFORM_CONV_MAX_PLANE INT32_MAX

/*
 * Workspace a tile of output positions may take (columns and sampling
 * plan): a layer's columns (C / group x k1 x .. x kn rows) are built this
 * many bytes at a time instead of all at once, which keeps them in the
 * outer caches and bounds the plan's memory whatever the input size.
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

/* The shapes of one call, and the tile the workspace is sized for. */
typedef struct deform_conv_geom {
    int spatial;      /* n: X is [N, C, in[0] .. in[n - 1]] */
    int64_t n, c, oc; /* N, C; oC from W */
    int64_t group, offset_group;
    int64_t in[DEFORM_CONV_MAX_SPATIAL];
    int64_t kernel[DEFORM_CONV_MAX_SPATIAL]; /* W's trailing dims */
    int64_t out[DEFORM_CONV_MAX_SPATIAL];
    int64_t stride[DEFORM_CONV_MAX_SPATIAL], dilation[DEFORM_CONV_MAX_SPATIAL];
    int64_t pad[DEFORM_CONV_MAX_SPATIAL]; /* the leading pads */
    int64_t tile; /* output positions per tile: all of them, or a multiple of 16 */
} deform_conv_geom_t;

/* Product of the first `spatial` of dims: an input volume, kernel taps or output positions. */
static inline int64_t deform_conv_volume(const int64_t *dims, int spatial)
{
    int64_t v = 1;
    for (int d = 0; d < spatial; d++)
        v *= dims[d];
    return v;
}

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
 * y [n, oc, out..] = DeformConv(x, w, offset, bias, mask), all of dtype t
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
