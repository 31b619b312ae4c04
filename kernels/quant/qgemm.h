/*
 * qgemm.h - the 8-bit integer GEMM under the quantized ops:
 *
 *   out[m][n] = epilogue( sum_k (R[m][k] - zr[m]) * (V[k][n] - zv[n]) )
 *
 * R is the "rows" operand, one row of 4 bytes broadcast at a time; V the
 * "vector" operand, stored in panels of QGEMM_NR columns. One of them holds
 * unsigned bytes and the other signed ones, as the CPU's dot-product
 * instructions want (vpdpbusd multiplies u8 by s8): MatMul puts the
 * activations in R (unsigned) and the weights in V (signed), a
 * convolution puts the weights in R (signed) and its patches in V
 * (unsigned), so its output comes out in NCHW order. Operands of the other
 * signedness are shifted by 128 on the way in (qgemm_*_pack) and their zero
 * points with them, which leaves every difference unchanged.
 *
 * The raw products run in int32 (exact: K < QGEMM_MAX_K); the zero points
 * are applied in the epilogue through row and column sums, and the sums
 * wrap like ONNX Runtime's int32 accumulation does.
 *
 * Variants, picked at run time below cpu_isa()'s cap:
 *   avx512-vnni   vpdpbusd on zmm (AVX-512 VNNI), 6 rows x 64 columns
 *   avx2          bytes widened to int16 and multiplied by vpmaddwd: exact,
 *                 where vpmaddubsw would saturate its int16 pair sums
 *   generic       plain C over the same packed layout
 * (an AVX-512 CPU without VNNI takes the AVX2 kernel). Each kernel names
 * its epilogue: the VNNI one the AVX-512 loop (qgemm_epilogue_avx512.c),
 * the others the plain C one, with the same results bit for bit.
 */
#ifndef INFERD_QGEMM_H
#define INFERD_QGEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_isa.h"
#include "dtype.h"

/* Columns per packed panel: one zmm of int32 accumulators. */
#define QGEMM_NR 16
/* k values interleaved per column in a panel: vpdpbusd's group of 4 bytes. */
#define QGEMM_KU 4
/* Bytes of one panel row group (QGEMM_NR columns x QGEMM_KU k values). */
#define QGEMM_GROUP_BYTES (QGEMM_NR * QGEMM_KU)
/*
 * Largest K: 255 * 128 * K must stay inside int32 for the raw sums to be
 * exact (and the corrections then wrap exactly as ONNX Runtime's do).
 */
#define QGEMM_MAX_K ((int64_t)1 << 16)
/* Largest tile of any variant: rows x panels (the local tile buffer's size). */
#define QGEMM_MAX_MR 6
#define QGEMM_MAX_NP 4

typedef enum qgemm_variant {
    QGEMM_GENERIC = 0,
    QGEMM_AVX2,
    QGEMM_AVX512_VNNI,
} qgemm_variant_t;

/*
 * One micro-kernel call: c[r][j] (row stride ldc) = sum over g < kg of the
 * 4 bytes rows[r * ld + 4g ..] dotted with column j's 4 bytes of k group
 * g, for r < mr and j < np * QGEMM_NR; panel p starts p * pstride bytes
 * after panels. rows_signed: R holds s8 and V u8 (else R u8, V s8).
 */
typedef void (*qgemm_tile_fn)(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                              const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                              int64_t ldc);

/* What is done with each int32 sum. */
typedef enum qgemm_output {
    QGEMM_OUT_I32 = 0, /* stored as is */
    QGEMM_OUT_Q8,      /* requantized to int8/uint8 */
    QGEMM_OUT_F32,     /* dequantized to float */
    QGEMM_OUT_F32_Q8,  /* dequantized to float, then quantized as QuantizeLinear does */
} qgemm_output_t;

/* The activation of the float outputs. */
typedef enum qgemm_act {
    QGEMM_ACT_NONE = 0,
    QGEMM_ACT_RELU, /* max(v, 0) */
    QGEMM_ACT_GELU, /* v / 2 * (1 + erf(v / sqrt 2)), vmath_gelu_f32 */
} qgemm_act_t;

/*
 * The epilogue: with S the raw sum of stored bytes,
 *   acc = S + row_off[m] + col_off[n] + row_f[m] * col_f[n]   (int32, wrapping)
 * (each array may be NULL: 0), which the caller sets up from the zero
 * points and sums (see qgemm.c), an int32 bias included. Then
 *   I32:    out = acc
 *   Q8:     out = clamp(round_half_even(float(acc) * mult) + zy, lo, hi)
 *   F32:    out = act(float(acc) * mult + fbias) [+ float(res - res_zp) * res_scale]
 *   F32_Q8: out = clamp(round_half_even(F32's value / y_scale) + zy, lo, hi)
 * with mult per row (mult_per_row) or per column (mult_n values; 1: one
 * for all), and fbias per column (may be NULL). lo/hi are the dtype's
 * range, for Q8 raised to zy for a fused Relu (F32_Q8 applies act in
 * float). F32_Q8 is the unfused graph's arithmetic: a float MatMul's
 * result, its bias and activation, then QuantizeLinear's division. The
 * residual (res, may be NULL; F32 only) is the unfused graph's
 * DequantizeLinear of an 8-bit tensor and the Add of it, in that order.
 */
typedef struct qgemm_epilogue {
    qgemm_output_t output;
    dtype_t out_dtype; /* Q8 and F32_Q8: DTYPE_INT8 or DTYPE_UINT8 */
    const int32_t *row_off, *col_off, *row_f, *col_f;
    const float *mult;
    bool mult_per_row;
    bool mult_one; /* one multiplier for every element */
    const float *fbias;
    float y_scale; /* F32_Q8 */
    int32_t zy, lo, hi;
    qgemm_act_t act;    /* F32 and F32_Q8 */
    const uint8_t *res; /* element (m, n) at res[m * res_ld + n], int8 (res_signed) or uint8 */
    bool res_signed;
    int64_t res_ld;
    float res_scale;
    int32_t res_zp;
} qgemm_epilogue_t;

/*
 * The epilogue on one tile of raw sums c (row stride ldc): rows m0..,
 * columns n0.. of out (row stride ldo, of the epilogue's type).
 */
typedef void (*qgemm_epilogue_fn)(const qgemm_epilogue_t *ep, const int32_t *c, int64_t ldc,
                                  int64_t m0, int64_t rows, int64_t n0, int64_t cols, void *out,
                                  int64_t ldo);

typedef struct qgemm_kernel {
    qgemm_variant_t variant;
    const char *name;
    int mr; /* rows per tile */
    int np; /* panels per tile */
    qgemm_tile_fn tile;
    qgemm_epilogue_fn epilogue; /* the one at the same ISA level */
} qgemm_kernel_t;

/* The best kernel at or below cpu_isa(). */
const qgemm_kernel_t *qgemm_kernel(void);

void qgemm_tile_generic(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                        const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                        int64_t ldc);
void qgemm_tile_avx2(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                     const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                     int64_t ldc);
void qgemm_tile_avx512_vnni(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                            const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                            int64_t ldc);

/* k rounded up to whole groups, and the bytes of a packed V of k x n. */
static inline int64_t qgemm_k_padded(int64_t k)
{
    return (k + QGEMM_KU - 1) / QGEMM_KU * QGEMM_KU;
}
static inline int64_t qgemm_panels(int64_t n)
{
    return (n + QGEMM_NR - 1) / QGEMM_NR;
}
static inline size_t qgemm_packed_bytes(int64_t k, int64_t n)
{
    return (size_t)qgemm_panels(n) * (size_t)qgemm_k_padded(k) * QGEMM_NR;
}

/*
 * Packs V[k][n] (element (kk, j) at src[kk * ks + j * ns], any strides, so a
 * transposed matrix packs too) into panels; bytes of dtype src_type are
 * stored with the signedness `want_signed` asks for (xor 0x80 when it
 * differs). Padding rows and columns are 0. col_sums (may be NULL) gets
 * each column's sum of the stored values.
 */
void qgemm_pack_v(const void *src, dtype_t src_type, int64_t k, int64_t n, int64_t ks, int64_t ns,
                  bool want_signed, uint8_t *dst, int32_t *col_sums);

/*
 * Copies R[m][k] (row stride lds) into rows of qgemm_k_padded(k) bytes with
 * the signedness asked for, zero padded; row_sums (may be NULL) gets each
 * row's sum of the stored values.
 */
void qgemm_pack_r(const void *src, dtype_t src_type, int64_t m, int64_t k, int64_t lds,
                  bool want_signed, uint8_t *dst, int32_t *row_sums);

/*
 * out (element (m, n) at m * ldo + n, of the epilogue's type) for R of m
 * rows (packed by qgemm_pack_r or any rows of ld >= k padded bytes) and V
 * packed for k x n. rows_signed as for qgemm_tile_fn. Runs on up to
 * `threads` OpenMP threads.
 */
void qgemm_run(const qgemm_kernel_t *kern, int64_t m, int64_t n, int64_t k, const uint8_t *rows,
               int64_t ld, const uint8_t *packed_v, bool rows_signed, const qgemm_epilogue_t *ep,
               void *out, int64_t ldo, int threads);

/*
 * The epilogue (a qgemm_epilogue_fn): plain C, and on AVX-512 (F, BW, DQ,
 * VL) with the same results bit for bit.
 */
void qgemm_epilogue_apply(const qgemm_epilogue_t *ep, const int32_t *c, int64_t ldc, int64_t m0,
                          int64_t rows, int64_t n0, int64_t cols, void *out, int64_t ldo);
void qgemm_epilogue_avx512(const qgemm_epilogue_t *ep, const int32_t *c, int64_t ldc, int64_t m0,
                           int64_t rows, int64_t n0, int64_t cols, void *out, int64_t ldo);

/* True when the CPU (capped) takes the VNNI kernel. */
bool qgemm_has_vnni(void);

#endif
