/*
 * mvn.h - MeanVarianceNormalization: y = (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9),
 * the expectations taken over `axes` (default [0, 2, 3]), as the op's ONNX
 * function body computes them.
 */
#ifndef INFERD_MVN_H
#define INFERD_MVN_H

#include "op.h"

/* The epsilon of the ONNX function body, added to the standard deviation. */
#define MVN_EPSILON 1e-9

typedef struct mvn_params {
    int64_t axes[TENSOR_MAX_RANK];
    int n_axes;
} mvn_params_t;

extern const op_kernel_t mvn_kernel;

/*
 * x and y of rank `rank` and dims; reduced[d] marks the axes to average
 * over. stats is scratch of 2 * (elements of the kept dims) doubles.
 */
void mvn(dtype_t t, const void *x, void *y, int rank, const int64_t *dims, const bool *reduced,
         double *stats);

/* CPU implementation (mvn_cpu.c). */
status_t mvn_run(op_call_t *call, error_t *err);

#endif
