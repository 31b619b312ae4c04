/*
 * unique.h - Unique: the distinct elements (or slices along axis) of the
 * input, sorted or in order of first occurrence, with the index of each
 * one's first occurrence, the index in the output of every input item, and
 * each one's count. Outputs 0, 1 and 3 are as long as the number of
 * distinct items, known only by running (dynamic, op.h); output 2 is as
 * long as the input's items.
 */
#ifndef INFERD_UNIQUE_H
#define INFERD_UNIQUE_H

#include "op.h"

typedef struct unique_params {
    bool has_axis;
    int64_t axis;
    bool sorted;
} unique_params_t;

extern const op_kernel_t unique_kernel;

/* CPU implementation (unique_cpu.c). */
status_t unique_run(op_call_t *call, error_t *err);

/* int64 arrays of the items' count the run uses as workspace. */
#define UNIQUE_WORK_ARRAYS 6

#endif
