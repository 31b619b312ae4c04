/*
 * lp.h - the Lp-norm ops:
 *   LpPool          y = (sum over the window of |x|^p)^(1/p), padding adds 0
 *   GlobalLpPool    the same over every spatial position
 *   LpNormalization y = x / ||x||_p along one axis (p 1 or 2)
 * LpPool shares MaxPool and AveragePool's window (pool_resolve and spans).
 */
#ifndef INFERD_LP_H
#define INFERD_LP_H

#include "op.h"

#include "pool/pool.h"

typedef struct lp_params {
    pool_params_t pool; /* LpPool's window; first, so pool_resolve can read it */
    double p;
    int64_t axis; /* LpNormalization */
} lp_params_t;

extern const op_kernel_t lp_pool_kernel;
extern const op_kernel_t global_lp_pool_kernel;
extern const op_kernel_t lp_normalization_kernel;

/* y[planes][out] from x[planes][in] (dtype t, float or double). */
void lp_pool(const pool_window_t *w, const pool_span_t *spans, int64_t planes, double p, dtype_t t,
             const void *x, void *y);

/* x viewed as [outer, n, inner]: each of the outer * inner vectors divided by its p-norm. */
void lp_normalize(dtype_t t, const void *x, void *y, int64_t outer, int64_t n, int64_t inner,
                  double p);

/* CPU implementations (lp_cpu.c). */
status_t lp_pool_run(op_call_t *call, error_t *err);
status_t global_lp_pool_run(op_call_t *call, error_t *err);
status_t lp_normalization_run(op_call_t *call, error_t *err);

#endif
