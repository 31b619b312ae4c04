/*
 * gelu.h - GELU in one pass. Two ops share the CPU code:
 *
 *   inferd.Gelu  internal: the exact y = x / 2 * (1 + erf(x / sqrt(2))) on
 *                float; engine/fuse_gelu.c creates it from the decomposed
 *                pattern PyTorch exports, and models cannot name it (its
 *                schema, gelu_schema, is not in the registry).
 *   Gelu         ONNX opset 20 (gelu_onnx.c): the exact form or, with
 *                approximate="tanh", y = x / 2 * (1 + tanh(sqrt(2 / pi) *
 *                (x + 0.044715 x^3))), on float and double.
 */
#ifndef INFERD_GELU_H
#define INFERD_GELU_H

#include "op.h"

/* Elements one thread takes at a time: large enough to amortise the fork. */
#define GELU_CHUNK 16384

/* ONNX Gelu's parameters. */
typedef struct gelu_params {
    bool tanh_approximation; /* approximate="tanh" */
} gelu_params_t;

extern const op_kernel_t gelu_kernel;
extern const op_schema_t gelu_schema;
extern const op_kernel_t gelu_onnx_kernel;

status_t gelu_run(op_call_t *call, error_t *err);
status_t gelu_onnx_run(op_call_t *call, error_t *err);

/* y = gelu(x) over n floats on threads OpenMP threads; y may equal x. */
void gelu_f32(const float *x, float *y, int64_t n, int threads);
/* The tanh approximation over n floats; y may equal x. */
void gelu_tanh_f32(const float *x, float *y, int64_t n);
/* Either form over n doubles; y may equal x. */
void gelu_f64(const double *x, double *y, int64_t n, bool tanh_approximation);

#endif
