/*
 * shape.h - Shape: the input's dims (optionally a start..end window of them)
 * as int64; Size: the input's element count as an int64 scalar.
 */
#ifndef INFERD_SHAPE_H
#define INFERD_SHAPE_H

#include "op.h"

typedef struct shape_params {
    int64_t start; /* opset 15; 0 before */
    int64_t end;
    bool has_end; /* no end: up to the last axis */
} shape_params_t;

extern const op_kernel_t shape_kernel;
extern const op_kernel_t size_kernel;

/* The axes [*first, *last) that p selects from a rank-`rank` input, clamped as ONNX says. */
void shape_window(const shape_params_t *p, int rank, int *first, int *last);

/* CPU implementations (shape_cpu.c). */
status_t shape_run(op_call_t *call, error_t *err);
status_t size_run(op_call_t *call, error_t *err);

#endif
