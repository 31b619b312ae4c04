/*
 * compress.h - Compress: the slices of input along axis (or its elements,
 * flattened, without an axis) whose condition entry is true. Entries past
 * the condition's end count as false. The output is dynamic (op.h).
 */
#ifndef INFERD_COMPRESS_H
#define INFERD_COMPRESS_H

#include "op.h"

typedef struct compress_params {
    bool has_axis;
    int64_t axis;
    bool negative_axis; /* opset 11 on: axis may count from the end */
} compress_params_t;

extern const op_kernel_t compress_kernel;

/* CPU implementation (compress_cpu.c). */
status_t compress_run(op_call_t *call, error_t *err);

#endif
