/* slice.h - Slice: a strided window of a tensor of any fixed-size dtype. */
#ifndef INFERD_SLICE_H
#define INFERD_SLICE_H

#include "op.h"

typedef struct slice_params {
    bool from_inputs; /* opset 10+: starts, ends, axes, steps are inputs 1-4 */
    int64_t starts[TENSOR_MAX_RANK];
    int64_t ends[TENSOR_MAX_RANK];
    int64_t axes[TENSOR_MAX_RANK];
    int count;      /* values in starts and ends */
    int axes_count; /* -1: no axes, starts[i] applies to axis i */
} slice_params_t;

/* The window on each input axis: first element, step and number of elements taken. */
typedef struct slice_window {
    int64_t start[TENSOR_MAX_RANK];
    int64_t step[TENSOR_MAX_RANK];
    int64_t count[TENSOR_MAX_RANK];
} slice_window_t;

extern const op_kernel_t slice_kernel;

/*
 * Validates starts/ends/axes/steps (attributes or inputs) against the input
 * shape and clamps them as ONNX specifies (slice_proto.c).
 */
status_t slice_resolve(const op_call_t *call, slice_window_t *w, error_t *err);

/* CPU implementation (slice_cpu.c). */
status_t slice_run(op_call_t *call, error_t *err);

/* Copies window w of src (rank, dims, elem_size bytes per element) densely into dst. */
void slice_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                 const slice_window_t *w);

#endif
