/*
 * constant.h - Constant (a tensor stored in the node) and ConstantOfShape
 * (a tensor of a given shape filled with one value).
 */
#ifndef INFERD_CONSTANT_H
#define INFERD_CONSTANT_H

#include "op.h"

typedef struct constant_params {
    tensor_t value; /* data points into attribute storage */
} constant_params_t;

typedef struct constant_of_shape_params {
    dtype_t dtype;
    unsigned char value[DTYPE_MAX_SIZE]; /* one element of dtype */
} constant_of_shape_params_t;

extern const op_kernel_t constant_kernel;
extern const op_kernel_t constant_of_shape_kernel;

/* CPU implementations (constant_cpu.c). */
status_t constant_run(op_call_t *call, error_t *err);
status_t constant_of_shape_run(op_call_t *call, error_t *err);

#endif
