/*
 * max_unpool.h - MaxUnpool: the partial inverse of MaxPool. The output is
 * zeros but for X's values, each put where its index (input I, as MaxPool
 * gives them: flat over [N, C, spatial...] of the unpooled shape the
 * attributes define, (in - 1) * stride + kernel - pads) points. An
 * output_shape input may ask for a larger output; an index then keeps its
 * coordinates (decoded in the attributes' shape), as the ONNX tests do.
 */
#ifndef INFERD_MAX_UNPOOL_H
#define INFERD_MAX_UNPOOL_H

#include "op.h"

typedef struct max_unpool_params {
    int n_dims; /* spatial dims of kernel_shape */
    int64_t kernel[TENSOR_MAX_RANK], strides[TENSOR_MAX_RANK], pads[2 * TENSOR_MAX_RANK];
} max_unpool_params_t;

extern const op_kernel_t max_unpool_kernel;

/* The unpooled shape the attributes give for X (dims of rank x_rank). */
void max_unpool_default_shape(const max_unpool_params_t *p, int x_rank, const int64_t *x_dims,
                              int64_t *out);

/*
 * y (dims y_dims, zeroed here) gets x[i] at index[i] decoded in the shape
 * def_dims. Returns -1, or the position of the first index outside y.
 */
int64_t max_unpool(const void *x, const tensor_t *indices, size_t elem_size, int rank,
                   const int64_t *def_dims, const int64_t *y_dims, void *y);

/* CPU implementation (max_unpool_cpu.c). */
status_t max_unpool_run(op_call_t *call, error_t *err);

#endif
