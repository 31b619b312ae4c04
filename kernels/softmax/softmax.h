/*
 * softmax.h - Softmax, LogSoftmax and Hardmax. Before opset 13 the input is
 * coerced to 2-D at axis ([d0*..*d(axis-1), d(axis)*..*d(n-1)]) and each
 * row is normalised; from 13 only the single dim at axis is.
 */
#ifndef INFERD_SOFTMAX_H
#define INFERD_SOFTMAX_H

#include "op.h"

typedef struct softmax_params {
    int64_t axis;
    bool coerce_2d; /* opset 1-12 semantics */
} softmax_params_t;

extern const op_kernel_t softmax_kernel;
extern const op_kernel_t log_softmax_kernel;
extern const op_kernel_t hardmax_kernel;

/* Views x as [outer, n, inner] with n the normalised extent; false if the axis is out of range. */
bool softmax_geometry(const softmax_params_t *p, const tensor_t *x, int64_t *outer, int64_t *n,
                      int64_t *inner);

/* CPU implementations (softmax_cpu.c). */
status_t softmax_run(op_call_t *call, error_t *err);
status_t log_softmax_run(op_call_t *call, error_t *err);
/* hardmax_cpu.c; workspace: inner int64 indices, then inner elements of x's type. */
status_t hardmax_run(op_call_t *call, error_t *err);

/*
 * Normalises x viewed as [outer, n, inner] along n. workspace holds
 * 2 * inner floats when inner > 1 (unused otherwise). Subtracts the maximum
 * first, so large inputs do not overflow exp.
 */
void softmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, bool take_log,
                 float *workspace);
void softmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner,
                 bool take_log);

#endif
