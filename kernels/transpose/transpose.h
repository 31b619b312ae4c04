/* transpose.h - Transpose: permutes the axes of a tensor of any fixed-size dtype. */
#ifndef INFERD_TRANSPOSE_H
#define INFERD_TRANSPOSE_H

#include "op.h"

typedef struct transpose_params {
    int64_t perm[TENSOR_MAX_RANK];
    int perm_count; /* -1: no perm, the axes are reversed */
} transpose_params_t;

extern const op_kernel_t transpose_kernel;

/* perm as given, or reversed axes when absent. The params must have passed infer. */
void transpose_resolve_perm(const transpose_params_t *p, int rank, int *perm);

/* CPU implementation (transpose_cpu.c). */
status_t transpose_run(op_call_t *call, error_t *err);

/*
 * dst = src with its axes permuted: output axis k is input axis perm[k].
 * elem_size is 1, 2, 4 or 8 bytes; dims are the input's.
 */
void transpose_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                     const int *perm);

#endif
