/*
 * ONNX adapters of the quantization ops:
 *   QuantizeLinear, DequantizeLinear  10 (per tensor), 13 (axis: per axis),
 *                     19 (float8 types and saturate, which only float8
 *                     reads: out of scope), 21 (block_size; int16/uint16;
 *                     QuantizeLinear's output_dtype)
 *   DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearConv   10
 *   QLinearMatMul     10, 21 (float8 types only)
 */
#include "quant.h"

static status_t adapt_linear(const op_adapt_t *a, quant_params_t *p, bool has_axis, bool has_block,
                             error_t *err)
{
    status_t st;

    p->axis = 1;
    p->block_size = 0;
    p->output_dtype = DTYPE_UNDEFINED;
    p->wide_dtypes = has_block;
    p->relu = false;
    p->trans_b = false;
    if (has_axis && (st = adapt_int(a, "axis", 1, &p->axis, err)) != STATUS_OK)
        return st;
    if (has_block) {
        if ((st = adapt_int(a, "block_size", 0, &p->block_size, err)) != STATUS_OK)
            return st;
        if (p->block_size < 0 || p->block_size > TENSOR_MAX_ELEMENTS)
            return op_adapt_fail(a, err, "block_size %lld is outside [0, %lld]",
                                 (long long)p->block_size, (long long)TENSOR_MAX_ELEMENTS);
    }
    return STATUS_OK;
}

static status_t adapt_linear_10(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_linear(a, params, false, false, err);
}

static status_t adapt_linear_13(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_linear(a, params, true, false, err);
}

static status_t adapt_linear_21(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_linear(a, params, true, true, err);
}

static status_t adapt_quantize_21(const op_adapt_t *a, void *params, error_t *err)
{
    quant_params_t *p = params;
    int64_t t;
    status_t st = adapt_linear(a, p, true, true, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "output_dtype", DTYPE_UNDEFINED, &t, err);
    if (st != STATUS_OK)
        return st;
    if (t != DTYPE_UNDEFINED && (t < 0 || t > DTYPE_MAX || !dtype_in((dtype_t)t, QUANT_DTYPES)))
        return op_adapt_fail(a, err,
                             "output_dtype %lld is not int8, uint8, int16 or uint16 (the other "
                             "types it admits are not supported)",
                             (long long)t);
    p->output_dtype = (dtype_t)t;
    return STATUS_OK;
}

static status_t adapt_conv_integer(const op_adapt_t *a, void *params, error_t *err)
{
    quant_params_t *p = params;

    p->axis = 1;
    p->block_size = 0;
    p->output_dtype = DTYPE_UNDEFINED;
    p->wide_dtypes = false;
    p->relu = false;
    p->trans_b = false;
    return conv_adapt_attrs(a, &p->conv, err);
}

const op_schema_t op_schemas_quant[] = {
    {"QuantizeLinear", 10, 12, adapt_linear_10, &quantize_linear_kernel},
    {"QuantizeLinear", 13, 18, adapt_linear_13, &quantize_linear_kernel},
    {"QuantizeLinear", 19, 20, adapt_linear_13, &quantize_linear_kernel},
    {"QuantizeLinear", 21, OPSET_MAX, adapt_quantize_21, &quantize_linear_kernel},
    {"DequantizeLinear", 10, 12, adapt_linear_10, &dequantize_linear_kernel},
    {"DequantizeLinear", 13, 18, adapt_linear_13, &dequantize_linear_kernel},
    {"DequantizeLinear", 19, 20, adapt_linear_13, &dequantize_linear_kernel},
    {"DequantizeLinear", 21, OPSET_MAX, adapt_linear_21, &dequantize_linear_kernel},
    {"DynamicQuantizeLinear", 11, OPSET_MAX, NULL, &dynamic_quantize_linear_kernel},
    {"MatMulInteger", 10, OPSET_MAX, NULL, &matmul_integer_kernel},
    {"QLinearMatMul", 10, 20, NULL, &qlinear_matmul_kernel},
    {"QLinearMatMul", 21, OPSET_MAX, NULL, &qlinear_matmul_kernel},
    {"ConvInteger", 10, OPSET_MAX, adapt_conv_integer, &conv_integer_kernel},
    {"QLinearConv", 10, OPSET_MAX, adapt_conv_integer, &qlinear_conv_kernel},
    {0},
};
