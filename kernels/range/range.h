/* range.h - Range: start, start + delta, ... up to (excluding) limit. */
#ifndef INFERD_RANGE_H
#define INFERD_RANGE_H

#include "op.h"

extern const op_kernel_t range_kernel;

/* CPU implementation (range_cpu.c). */
status_t range_run(op_call_t *call, error_t *err);

/* dst[i] = start + i * delta for i < n, per dtype. */
void range_float(float *dst, float start, float delta, int64_t n);
void range_double(double *dst, double start, double delta, int64_t n);
void range_int64(int64_t *dst, int64_t start, int64_t delta, int64_t n);
void range_int32(int32_t *dst, int32_t start, int32_t delta, int64_t n);
void range_int16(int16_t *dst, int16_t start, int16_t delta, int64_t n);

#endif
