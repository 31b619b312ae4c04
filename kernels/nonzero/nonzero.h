/*
 * nonzero.h - NonZero: the indices of the non-zero elements, one row per
 * input dim ([rank, count], int64), in row-major order. The count depends
 * on the values: the output is dynamic (op.h).
 */
#ifndef INFERD_NONZERO_H
#define INFERD_NONZERO_H

#include "op.h"

extern const op_kernel_t nonzero_kernel;

/* CPU implementation (nonzero_cpu.c). */
status_t nonzero_run(op_call_t *call, error_t *err);

/* Number of non-zero elements among n of dtype t at x. */
int64_t nonzero_count(const void *x, dtype_t t, int64_t n);

#endif
