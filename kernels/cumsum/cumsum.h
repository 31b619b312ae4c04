/*
 * cumsum.h - CumSum: running sums along one axis (given as input 1),
 * inclusive or exclusive, forwards or in reverse.
 */
#ifndef INFERD_CUMSUM_H
#define INFERD_CUMSUM_H

#include "op.h"

typedef struct cumsum_params {
    bool exclusive; /* y[k] sums x[0..k) instead of x[0..k] */
    bool reverse;   /* sums run from the end of the axis */
} cumsum_params_t;

extern const op_kernel_t cumsum_kernel;

/*
 * y = the running sums of x viewed as [outer, n, inner] along n, elements
 * of type t (float, double, int32, int64, uint32, uint64; integers wrap).
 * y must not alias x.
 */
void cumsum(dtype_t t, const void *x, void *y, int64_t outer, int64_t n, int64_t inner,
            bool exclusive, bool reverse);

/* CPU implementation (cumsum_cpu.c). */
status_t cumsum_run(op_call_t *call, error_t *err);

#endif
