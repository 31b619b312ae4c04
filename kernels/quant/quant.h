/*
 * quant.h - the linear quantization ops of the default domain, on int8 and
 * uint8 (int16/uint16 too where opset 21 allows them):
 *   QuantizeLinear        y = saturate(round_half_even(x / scale) + zero_point)
 *   DequantizeLinear      y = (x - zero_point) * scale
 *                         scale and zero_point per tensor, per axis (13) or
 *                         per block along the axis (21)
 *   DynamicQuantizeLinear uint8 y, scale and zero point from x's range
 *   MatMulInteger         int32 (a - a_zp) x (b - b_zp), per-row / per-column
 *                         zero points
 *   ConvInteger           int32 conv(x - x_zp, w - w_zp), per-channel w_zp
 *   QLinearMatMul         requantized: saturate(round(acc * sa * sb / sy) + zy)
 *   QLinearConv           likewise, with an int32 bias added to acc
 * The integer products run as int32 GEMMs (matmul_i32) on operands widened
 * with their zero points subtracted; padding therefore contributes 0.
 */
#ifndef INFERD_QUANT_H
#define INFERD_QUANT_H

#include "op.h"

#include "conv/conv.h"

/* The quantized dtypes (opset 21's int16/uint16 included). */
#define QUANT_DTYPES                                                                               \
    (DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_UINT8) | DTYPE_BIT(DTYPE_INT16) |                     \
     DTYPE_BIT(DTYPE_UINT16))
#define QUANT_DTYPES_8 (DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_UINT8))

typedef struct quant_params {
    int64_t axis;         /* per-axis and blocked scales (opset 13+; default 1) */
    int64_t block_size;   /* opset 21; 0: per tensor or per axis */
    dtype_t output_dtype; /* QuantizeLinear 21; DTYPE_UNDEFINED: the zero point's, else uint8 */
    bool wide_dtypes;     /* opset 21: int16 and uint16 too */
    conv_params_t conv;   /* ConvInteger and QLinearConv */
    /* The fused QDQ ops only (engine/fuse_qdq.c): */
    bool relu;    /* a Relu before the output's Q (or on the float output) */
    bool gelu;    /* inferd.QLinearMatMul: the exact GELU after the float bias, before any Q */
    bool trans_b; /* inferd.QLinearMatMul: w is [N, K] (Gemm's transB) */
    /* inferd.QLinearConvNHWC with a residual (engine/fuse_conv.c): a Relu after the Add. */
    bool residual_relu;
} quant_params_t;

extern const op_kernel_t quantize_linear_kernel;
extern const op_kernel_t dequantize_linear_kernel;
extern const op_kernel_t dynamic_quantize_linear_kernel;
extern const op_kernel_t matmul_integer_kernel;
extern const op_kernel_t qlinear_matmul_kernel;
extern const op_kernel_t conv_integer_kernel;
extern const op_kernel_t qlinear_conv_kernel;

/* The fused QDQ ops (quant_fused.c), made only by engine/fuse_qdq.c. */
extern const op_schema_t quant_fused_conv_schema;
extern const op_schema_t quant_fused_matmul_schema;
/*
 * inferd.QLinearMatMul with a float output may end in a residual Add
 * (engine/fuse_qdq.c): inputs QUANT_MATMUL_RESIDUAL.. are an 8-bit tensor
 * of the output's shape, its scale and zero point (per tensor), and the op
 * writes its float result plus their DequantizeLinear.
 */
enum {
    QUANT_MATMUL_RESIDUAL = 9, /* after x, x_s, x_zp, w, w_s, w_zp, y_s, y_zp, bias */
    QUANT_MATMUL_RESIDUAL_SCALE,
    QUANT_MATMUL_RESIDUAL_ZERO_POINT,
    QUANT_MATMUL_INPUTS_MAX
};
/* inferd.QLinearAdd (quant_add.c): DQ(a), DQ(b) -> Add [-> Relu] -> Q, equal shapes. */
extern const op_schema_t quant_fused_add_schema;
/* Its inputs: each addend with its scale and zero point, then the sum's. */
enum {
    QUANT_ADD_A,
    QUANT_ADD_AS,
    QUANT_ADD_AZ,
    QUANT_ADD_B,
    QUANT_ADD_BS,
    QUANT_ADD_BZ,
    QUANT_ADD_YS,
    QUANT_ADD_YZ,
    QUANT_ADD_COUNT
};
/*
 * inferd.QLinearConvNHWC (quant_dnnl.c): inferd.QLinearConv with an 8-bit
 * output on channels-last tensors, made by engine/layout.c; oneDNN's int8
 * convolution, or inferd's qgemm where oneDNN has only reference code.
 * engine/fuse_conv.c may append the inferd.QLinearAdd that reads its output
 * as inputs QUANT_NHWC_RESIDUAL.. (the other addend, its scale and zero
 * point, the sum's scale and zero point): the op then writes the sum.
 */
extern const op_schema_t quant_nhwc_conv_schema;
enum {
    QUANT_NHWC_RESIDUAL = 9, /* after x, x_s, x_zp, w, w_s, w_zp, y_s, y_zp, bias */
    QUANT_NHWC_RESIDUAL_SCALE,
    QUANT_NHWC_RESIDUAL_ZERO_POINT,
    QUANT_NHWC_SUM_SCALE,
    QUANT_NHWC_SUM_ZERO_POINT,
    QUANT_NHWC_INPUTS_MAX
};

/*
 * y = saturate(round_half_even((sa (a - za) + sb (b - zb)) / sy) + zy) over
 * n 8-bit elements (inferd.QLinearAdd's arithmetic, quant_add.c), a Relu
 * raising the low clamp to zy; scales and zero points are one-element
 * tensors of the ops' types; runs on up to threads threads.
 */
void quant_add_8bit(const tensor_t *a, const tensor_t *a_scale, const tensor_t *a_zero_point,
                    const tensor_t *b, const tensor_t *b_scale, const tensor_t *b_zero_point,
                    const tensor_t *y_scale, const tensor_t *y_zero_point, bool relu, tensor_t *y,
                    int threads);

/*
 * How each element of x finds its scale and zero point: x viewed as
 * [outer, dim, inner] around the axis, element (o, a, r) takes index
 * o * outer_step + (a / block) * axis_step + r * inner_step. Per tensor:
 * every step 0; per axis: axis_step 1; blocked (scale of x's rank, its
 * axis dim ceil(dim / block)): the scale's own row-major steps.
 */
typedef struct quant_layout {
    int64_t outer, dim, inner;
    int64_t block;
    int64_t outer_step, axis_step, inner_step;
} quant_layout_t;

/*
 * Checks scale (and zero point, may be NULL) against x for axis and
 * block_size and fills the layout (quant_proto.c); fails naming the call.
 */
status_t quant_layout_resolve(op_call_t *call, const tensor_t *x, const tensor_t *scale,
                              const tensor_t *zero_point, int64_t axis, int64_t block_size,
                              quant_layout_t *l, error_t *err);

/* Saturating conversion of a rounded real to dtype t (int8/uint8/int16/uint16). */
void quant_store(dtype_t t, void *y, int64_t i, float v);
/* Element i of an integer tensor's data as int32 (int8/uint8/int16/uint16/int32). */
int32_t quant_load(dtype_t t, const void *x, int64_t i);

/*
 * out = x - zp as int32, zp broadcast numpy-style to x's shape (zp_rank 0
 * or zp == NULL: no zero point). The caller checked that it broadcasts.
 */
void quant_widen(const tensor_t *x, const tensor_t *zp, int zp_rank, const int64_t *zp_dims,
                 int32_t *out);

/* CPU implementations. */
status_t quantize_linear_run(op_call_t *call, error_t *err);
status_t dequantize_linear_run(op_call_t *call, error_t *err);
status_t dynamic_quantize_linear_run(op_call_t *call, error_t *err);
status_t matmul_integer_run(op_call_t *call, error_t *err);
status_t qlinear_matmul_run(op_call_t *call, error_t *err);
status_t conv_integer_run(op_call_t *call, error_t *err);
status_t qlinear_conv_run(op_call_t *call, error_t *err);

#endif
