/* split.h - Split: cuts a tensor of any fixed-size dtype into parts along one axis. */
#ifndef INFERD_SPLIT_H
#define INFERD_SPLIT_H

#include "op.h"

typedef struct split_params {
    int64_t axis;
    const int64_t *split; /* the `split` attribute (in attribute storage), or NULL */
    int split_count;
    /*
     * Split-18's `num_outputs`, or 0: parts of ceil(dim / num_outputs), the
     * last one smaller when the axis does not divide evenly.
     */
    int64_t num_outputs;
} split_params_t;

extern const op_kernel_t split_kernel;

/* CPU implementation (split_cpu.c). */
status_t split_run(op_call_t *call, error_t *err);

/*
 * Copies `outer` blocks of block_bytes into dst back to back, taking them
 * from src, whose rows are row_bytes apart: one output's share of each row.
 */
void split_block(void *dst, size_t block_bytes, const void *src, size_t row_bytes, int64_t outer);

#endif
