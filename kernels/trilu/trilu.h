/*
 * trilu.h - Trilu: keeps the upper or lower triangle of each matrix in the
 * last two dims (from diagonal k, input 1, default 0) and zeroes the rest.
 */
#ifndef INFERD_TRILU_H
#define INFERD_TRILU_H

#include "op.h"

typedef struct trilu_params {
    bool upper; /* keep column j of row i when j - i >= k; else when j - i <= k */
} trilu_params_t;

extern const op_kernel_t trilu_kernel;

/*
 * y = x with the elements outside the kept triangle zeroed, for `batch`
 * matrices of rows x cols elements of elem_size bytes. y may be x.
 */
void trilu(const void *x, void *y, size_t elem_size, int64_t batch, int64_t rows, int64_t cols,
           int64_t k, bool upper);

/* CPU implementation (trilu_cpu.c). */
status_t trilu_run(op_call_t *call, error_t *err);

#endif
