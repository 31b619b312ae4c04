/*
 * reshape.h - Reshape, Flatten, Squeeze and Unsqueeze: each gives the input's
 * bytes a new shape, so run is a copy (which the engine may later elide by
 * aliasing the output to the input).
 */
#ifndef INFERD_RESHAPE_H
#define INFERD_RESHAPE_H

#include "op.h"

typedef struct reshape_params {
    bool shape_from_input; /* opset 5+: the shape is input 1; before, the `shape` attribute */
    int64_t shape[TENSOR_MAX_RANK];
    int shape_count;
    bool allowzero; /* opset 14: a 0 in the shape is a real 0, not "copy the input dim" */
} reshape_params_t;

typedef struct flatten_params {
    int64_t axis;
} flatten_params_t;

/* Squeeze and Unsqueeze. */
typedef struct squeeze_params {
    bool axes_from_input; /* opset 13+: the axes are input 1; before, the `axes` attribute */
    int64_t axes[TENSOR_MAX_RANK];
    int axes_count; /* -1: no axes given (Squeeze then removes every dim of size 1) */
} squeeze_params_t;

extern const op_kernel_t reshape_kernel;
extern const op_kernel_t flatten_kernel;
extern const op_kernel_t squeeze_kernel;
extern const op_kernel_t unsqueeze_kernel;

/* CPU implementation (reshape_cpu.c), shared by the four kernels. */
status_t reshape_run(op_call_t *call, error_t *err);

#endif
