/*
 * gather_elements.h - GatherElements: y[i][j][k] = x[indices[i][j][k]][j][k]
 * (for axis 0; likewise along any axis). The output has the indices' shape.
 */
#ifndef INFERD_GATHER_ELEMENTS_H
#define INFERD_GATHER_ELEMENTS_H

#include "op.h"

typedef struct gather_elements_params {
    int64_t axis;
} gather_elements_params_t;

extern const op_kernel_t gather_elements_kernel;

/*
 * y (the shape of indices, elem_size-byte elements) from x (rank
 * indices->rank, dims x_dims, each dim but axis at least the indices' dim).
 * Returns -1, or the position of the first index outside
 * [-x_dims[axis], x_dims[axis]) (y is then partly written).
 */
int64_t gather_elements(const void *x, const int64_t *x_dims, int axis, const tensor_t *indices,
                        void *y, size_t elem_size);

/* CPU implementation (gather_elements_cpu.c). */
status_t gather_elements_run(op_call_t *call, error_t *err);

#endif
