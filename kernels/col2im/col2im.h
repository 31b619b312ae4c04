/*
 * col2im.h - Col2Im (opset 18): the inverse layout of im2col. Each column
 * of the input holds one block (a window of block_shape over the padded
 * image, taps dilations apart, blocks strides apart); every tap is added
 * back into the image position it came from, so overlapping blocks sum.
 */
#ifndef INFERD_COL2IM_H
#define INFERD_COL2IM_H

#include "op.h"

/* Spatial dims an image may have: the input rank is 3, any count of image dims fits. */
#define COL2IM_MAX_DIMS (TENSOR_MAX_RANK - 2)

typedef struct col2im_params {
    int n_dilations, n_pads, n_strides; /* -1: absent (all 1, or 0 for pads) */
    int64_t dilations[COL2IM_MAX_DIMS];
    int64_t pads[2 * COL2IM_MAX_DIMS]; /* begins, then ends */
    int64_t strides[COL2IM_MAX_DIMS];
} col2im_params_t;

/* The geometry of one call, resolved from the inputs and params. */
typedef struct col2im_geom {
    int dims;
    int64_t image[COL2IM_MAX_DIMS], block[COL2IM_MAX_DIMS], blocks[COL2IM_MAX_DIMS];
    int64_t dilation[COL2IM_MAX_DIMS], stride[COL2IM_MAX_DIMS], pad_begin[COL2IM_MAX_DIMS];
    int64_t batch, channels;
    int64_t block_size; /* taps per block: the product of block */
    int64_t n_blocks;   /* columns: the product of blocks */
} col2im_geom_t;

extern const op_kernel_t col2im_kernel;

/* Checks the call and fills the geometry (prototype, col2im_proto.c). */
status_t col2im_resolve(const op_call_t *call, col2im_geom_t *g, error_t *err);

/* CPU implementation (col2im_cpu.c). */
status_t col2im_run(op_call_t *call, error_t *err);

/* y [batch, channels, image...] = the blocks of x [batch, channels * block_size, n_blocks] summed.
 */
void col2im_f32(const col2im_geom_t *g, const float *x, float *y);
/* The same for any other dtype (sums wrap for integers; bool ors). */
void col2im_any(const col2im_geom_t *g, dtype_t t, const void *x, void *y);

#endif
