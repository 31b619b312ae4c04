/*
 * vmath.h - vectorised float math over arrays (sleef), dispatched at run
 * time to AVX-512, AVX2 or plain C. Shared by the elementwise and fused
 * transformer kernels; every function accepts y == x (in place).
 */
#ifndef INFERD_VMATH_H
#define INFERD_VMATH_H

#include <stdint.h>

/* y[i] = erf(x[i]) */
void vmath_erf_f32(const float *x, float *y, int64_t n);

/* y[i] = exp(x[i]) */
void vmath_exp_f32(const float *x, float *y, int64_t n);

/* y[i] = x[i] / 2 * (1 + erf(x[i] / sqrt(2))), the exact (erf) GELU. */
void vmath_gelu_f32(const float *x, float *y, int64_t n);

/*
 * y[i] = exp(x[i] - max) and returns the sum of the y[i]: the middle pass
 * of a softmax row.
 */
float vmath_exp_shift_sum_f32(const float *x, float *y, int64_t n, float max);

/* The largest x[i]; n > 0. */
float vmath_max_f32(const float *x, int64_t n);

#endif
