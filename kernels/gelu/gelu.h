/*
 * gelu.h - inferd.Gelu, an internal op (no ONNX adapter): the exact GELU
 * y = x / 2 * (1 + erf(x / sqrt(2))) in one pass. engine/fuse_gelu.c
 * creates it from the decomposed pattern PyTorch exports; models cannot
 * name it, since its schema is not in the registry.
 */
#ifndef INFERD_GELU_H
#define INFERD_GELU_H

#include "op.h"

/* Elements one thread takes at a time: large enough to amortise the fork. */
#define GELU_CHUNK 16384

extern const op_kernel_t gelu_kernel;
extern const op_schema_t gelu_schema;

status_t gelu_run(op_call_t *call, error_t *err);

/* y = gelu(x) over n floats on threads OpenMP threads; y may equal x. */
void gelu_f32(const float *x, float *y, int64_t n, int threads);

#endif
