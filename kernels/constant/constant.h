/*
 * constant.h - Constant (a tensor stored in the node) and ConstantOfShape
 * (a tensor of a given shape filled with one value).
 */
#ifndef INFERD_CONSTANT_H
#define INFERD_CONSTANT_H

#include "op.h"

/* Largest element ConstantOfShape can fill with (int64, double). */
#define CONSTANT_MAX_ELEMENT_SIZE 8

typedef struct constant_params {
    tensor_t value; /* data points into attribute storage */
} constant_params_t;

typedef struct constant_of_shape_params {
    dtype_t dtype;
    unsigned char value[CONSTANT_MAX_ELEMENT_SIZE]; /* one element of dtype */
} constant_of_shape_params_t;

extern const op_kernel_t constant_kernel;
extern const op_kernel_t constant_of_shape_kernel;

/* CPU implementations (constant_cpu.c). */
status_t constant_run(op_call_t *call, error_t *err);
status_t constant_of_shape_run(op_call_t *call, error_t *err);

/* Writes count copies of the elem_size-byte element value to dst. */
void constant_fill(void *dst, const void *value, size_t elem_size, int64_t count);

#endif
