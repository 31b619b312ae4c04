/*
 * lrn.h - LRN (local response normalisation across channels) on [N, C, ...]:
 *   y[n][c][s] = x[n][c][s] / (bias + alpha / size * sum_{c'} x[n][c'][s]^2)^beta
 * where c' runs over [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)]
 * clipped to [0, C).
 */
#ifndef INFERD_LRN_H
#define INFERD_LRN_H

#include "op.h"

typedef struct lrn_params {
    float alpha, beta, bias;
    int64_t size;
} lrn_params_t;

extern const op_kernel_t lrn_kernel;

/* x and y [n, c, spatial], float32 or float64 (sums in double either way). */
void lrn_f32(const lrn_params_t *p, const float *x, float *y, int64_t n, int64_t c,
             int64_t spatial);
void lrn_f64(const lrn_params_t *p, const double *x, double *y, int64_t n, int64_t c,
             int64_t spatial);

/* CPU implementation (lrn_cpu.c). */
status_t lrn_run(op_call_t *call, error_t *err);

#endif
