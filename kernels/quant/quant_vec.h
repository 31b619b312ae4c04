/*
 * quant_vec.h - the per-tensor 8-bit elementwise loops of the quant family
 * (QuantizeLinear, DequantizeLinear, inferd.QLinearAdd): one thread's
 * share of elements each, the callers split the work. Each has an AVX-512
 * variant (16 lanes, masked tail) and a plain C one, chosen from cpu_isa();
 * both do the same float32 operations in the same order (no fused
 * multiply-add: the build does not contract), so their results are
 * identical bit for bit.
 *
 * Rounding is half to even by the magic number 1.5 * 2^23 on a value
 * already clamped to the output's range (as ONNX Runtime's cvtps2dq
 * rounds in the default mode); NaN goes to the low end of the clamp.
 */
#ifndef INFERD_QUANT_VEC_H
#define INFERD_QUANT_VEC_H

#include <stdbool.h>
#include <stdint.h>

/* 1.5 * 2^23: adding and subtracting it rounds a float of magnitude < 2^22 half to even. */
#define QUANT_ROUND_MAGIC 12582912.0f

/*
 * The output side shared by every loop: a float v becomes
 * clamp(v, lo - zy, hi - zy) rounded half to even, plus zy, stored as
 * int8 (is_signed) or uint8. lo and hi are the dtype's range, or raised to
 * zy for a fused Relu.
 */
typedef struct quant_vec_out {
    int32_t zy, lo, hi;
    bool is_signed;
} quant_vec_out_t;

/* The dtype's whole range (no Relu). */
quant_vec_out_t quant_vec_out(int32_t zy, bool is_signed);

/* y[i] = Q(x[i] / scale) for i < n. */
void quant_vec_quantize(const float *x, int64_t n, float scale, const quant_vec_out_t *out,
                        void *y);

/* y[i] = (float)(x[i] - zp) * scale for i < n; x int8 (is_signed) or uint8. */
void quant_vec_dequantize(const void *x, bool is_signed, int64_t n, float scale, int32_t zp,
                          float *y);

/* One 8-bit operand of quant_vec_add: (float)x[i] - z, times s. */
typedef struct quant_vec_in {
    const void *x;
    bool is_signed;
    float s, z;
} quant_vec_in_t;

/* y[i] = Q((a.s * (a[i] - a.z) + b.s * (b[i] - b.z)) / sy) for i < n. */
void quant_vec_add(const quant_vec_in_t *a, const quant_vec_in_t *b, float sy,
                   const quant_vec_out_t *out, int64_t n, void *y);

#endif
