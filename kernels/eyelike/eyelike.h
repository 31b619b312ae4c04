/*
 * eyelike.h - EyeLike: a 2-D tensor of the input's shape with ones on
 * diagonal k (column - row == k) and zeros elsewhere, in the dtype
 * attribute's type or the input's.
 */
#ifndef INFERD_EYELIKE_H
#define INFERD_EYELIKE_H

#include "op.h"

typedef struct eyelike_params {
    int64_t k;
    dtype_t dtype; /* DTYPE_UNDEFINED: the input's */
} eyelike_params_t;

extern const op_kernel_t eyelike_kernel;

/* y (rows x cols elements of elem_size bytes) = zeros with *one on diagonal k. */
void eyelike(void *y, size_t elem_size, int64_t rows, int64_t cols, int64_t k, const void *one);

/* CPU implementation (eyelike_cpu.c). */
status_t eyelike_run(op_call_t *call, error_t *err);

#endif
