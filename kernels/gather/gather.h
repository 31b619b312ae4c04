/* gather.h - Gather: picks slices of a tensor of any fixed-size dtype along one axis by index. */
#ifndef INFERD_GATHER_H
#define INFERD_GATHER_H

#include "op.h"

typedef struct gather_params {
    int64_t axis;
} gather_params_t;

extern const op_kernel_t gather_kernel;

/*
 * Checks every index against an axis of size axis_dim, naming the first bad
 * one, and stores them made non-negative in out (which may be NULL to only
 * check) (gather_proto.c).
 */
status_t gather_indices(const op_call_t *call, int64_t axis_dim, int64_t *out, error_t *err);

/* CPU implementation (gather_cpu.c); the workspace holds the checked indices. */
status_t gather_run(op_call_t *call, error_t *err);

/*
 * For each of `outer` rows of src (axis_dim blocks of block_bytes each),
 * appends the blocks indices[0..n) to dst. Indices are in [0, axis_dim).
 */
void gather_blocks(void *dst, const void *src, size_t block_bytes, int64_t outer, int64_t axis_dim,
                   const int64_t *indices, int64_t n);

#endif
