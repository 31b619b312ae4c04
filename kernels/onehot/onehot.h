/*
 * onehot.h - OneHot: indices -> a tensor with one more dim (of size depth,
 * input 1) at axis, holding values[1] where the dim's position equals the
 * index and values[0] elsewhere.
 */
#ifndef INFERD_ONEHOT_H
#define INFERD_ONEHOT_H

#include "op.h"

typedef struct onehot_params {
    int64_t axis;
    bool negative_wraps; /* opset 11: index -i means depth - i; before, it is off everywhere */
} onehot_params_t;

extern const op_kernel_t onehot_kernel;

/*
 * y viewed as [outer, depth, inner] and indices as [outer, inner]: y[o][d][j]
 * = on where d == indices[o][j] (normalised), else off; elem_size-byte
 * elements. Indices outside [0, depth) after normalisation give off only.
 */
void onehot(const int64_t *indices, void *y, size_t elem_size, int64_t outer, int64_t depth,
            int64_t inner, const void *off, const void *on, bool negative_wraps);

/* The depth input's one value (any numeric dtype) as an int64; reals truncate. */
int64_t onehot_depth(const tensor_t *depth);

/* CPU implementation (onehot_cpu.c); workspace: the indices as int64. */
status_t onehot_run(op_call_t *call, error_t *err);

#endif
