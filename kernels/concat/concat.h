/* concat.h - Concat: joins tensors of any fixed-size dtype along one axis. */
#ifndef INFERD_CONCAT_H
#define INFERD_CONCAT_H

#include "op.h"

typedef struct concat_params {
    int64_t axis;
} concat_params_t;

extern const op_kernel_t concat_kernel;

/* CPU implementation (concat_cpu.c). */
status_t concat_run(op_call_t *call, error_t *err);

/*
 * Copies `outer` consecutive blocks of block_bytes from src into dst, whose
 * rows are row_bytes apart: one input's share of every output row.
 */
void concat_block(void *dst, size_t row_bytes, const void *src, size_t block_bytes, int64_t outer);

#endif
