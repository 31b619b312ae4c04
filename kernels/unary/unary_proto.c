#include "unary.h"

#include <stdio.h>

#define DTYPES_SIGNED_INT                                                                          \
    (DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_INT16) | DTYPE_BIT(DTYPE_INT32) |                     \
     DTYPE_BIT(DTYPE_INT64))

#define UNARY_INFO(var, dtypes)                                                                    \
    static const op_info_t var = {                                                                 \
        .min_inputs = 1,                                                                           \
        .max_inputs = 1,                                                                           \
        .min_outputs = 1,                                                                          \
        .max_outputs = 1,                                                                          \
        .input_dtypes = {dtypes},                                                                  \
        .layout = "any",                                                                           \
    };

#define DTYPES_REAL (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

UNARY_INFO(float_info, DTYPES_FLOAT)
UNARY_INFO(real_info, DTYPES_REAL)
UNARY_INFO(signed_info, DTYPES_REAL | DTYPES_SIGNED_INT)
UNARY_INFO(all_numeric_info, DTYPES_NUMERIC | DTYPES_REAL)
UNARY_INFO(int_info, DTYPES_INT)

static const op_info_t clip_info = {
    .min_inputs = 1,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_NUMERIC | DTYPES_REAL, DTYPES_NUMERIC | DTYPES_REAL,
                     DTYPES_NUMERIC | DTYPES_REAL},
    .layout = "any",
};

static status_t clip_infer(op_call_t *call, error_t *err)
{
    static const char *const bound_names[] = {"input", "min", "max"};
    const clip_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    char text[SHAPE_TEXT_MAX];

    if (p->from_attrs && x->dtype != DTYPE_FLOAT && x->dtype != DTYPE_DOUBLE)
        return op_call_fail(call, err,
                            "min/max attributes (opset < 11) need float or double input, got %s",
                            dtype_name(x->dtype));
    for (int i = 1; i < call->n_inputs; i++) {
        const tensor_t *bound = call->inputs[i];
        if (!bound)
            continue;
        if (bound->dtype != x->dtype)
            return op_call_fail(call, err, "%s has dtype %s but input has %s", bound_names[i],
                                dtype_name(bound->dtype), dtype_name(x->dtype));
        if (tensor_numel(bound) != 1)
            return op_call_fail(call, err, "%s must be a scalar, got shape %s", bound_names[i],
                                shape_format(bound->rank, bound->dims, text, sizeof text));
    }
    return op_infer_same_as_input(call, err);
}

/* IsInf and IsNaN: input 0's shape, bool elements. */
static status_t test_infer(op_call_t *call, error_t *err)
{
    status_t st = op_infer_same_as_input(call, err);

    if (st == STATUS_OK)
        call->outputs[0].dtype = DTYPE_BOOL;
    return st;
}

#define UNARY_KERNEL(var, op_name, info_table, run_fn)                                             \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &info_table,                                                                       \
        .params_size = sizeof(unary_params_t),                                                     \
        .infer = op_infer_same_as_input,                                                           \
        .run = run_fn,                                                                             \
        .inplace_inputs = 1u << 0,                                                                 \
        .batch_inputs = 1u << 0,                                                                   \
    };

UNARY_KERNEL(unary_relu_kernel, "Relu", signed_info, unary_relu_run)
UNARY_KERNEL(unary_leaky_relu_kernel, "LeakyRelu", real_info, unary_leaky_relu_run)
UNARY_KERNEL(unary_sigmoid_kernel, "Sigmoid", real_info, unary_sigmoid_run)
UNARY_KERNEL(unary_hard_sigmoid_kernel, "HardSigmoid", real_info, unary_hard_sigmoid_run)
UNARY_KERNEL(unary_hard_swish_kernel, "HardSwish", real_info, unary_hard_swish_run)
UNARY_KERNEL(unary_tanh_kernel, "Tanh", real_info, unary_tanh_run)
UNARY_KERNEL(unary_erf_kernel, "Erf", all_numeric_info, unary_erf_run)
UNARY_KERNEL(unary_exp_kernel, "Exp", real_info, unary_exp_run)
UNARY_KERNEL(unary_log_kernel, "Log", real_info, unary_log_run)
UNARY_KERNEL(unary_sqrt_kernel, "Sqrt", real_info, unary_sqrt_run)
UNARY_KERNEL(unary_abs_kernel, "Abs", all_numeric_info, unary_abs_run)
UNARY_KERNEL(unary_neg_kernel, "Neg", signed_info, unary_neg_run)
UNARY_KERNEL(unary_reciprocal_kernel, "Reciprocal", real_info, unary_reciprocal_run)
UNARY_KERNEL(unary_floor_kernel, "Floor", real_info, unary_floor_run)
UNARY_KERNEL(unary_ceil_kernel, "Ceil", real_info, unary_ceil_run)
UNARY_KERNEL(unary_cos_kernel, "Cos", real_info, unary_cos_run)
UNARY_KERNEL(unary_sin_kernel, "Sin", real_info, unary_sin_run)
UNARY_KERNEL(unary_tan_kernel, "Tan", real_info, unary_tan_run)
UNARY_KERNEL(unary_acos_kernel, "Acos", real_info, unary_acos_run)
UNARY_KERNEL(unary_asin_kernel, "Asin", real_info, unary_asin_run)
UNARY_KERNEL(unary_atan_kernel, "Atan", real_info, unary_atan_run)
UNARY_KERNEL(unary_cosh_kernel, "Cosh", real_info, unary_cosh_run)
UNARY_KERNEL(unary_sinh_kernel, "Sinh", real_info, unary_sinh_run)
UNARY_KERNEL(unary_acosh_kernel, "Acosh", real_info, unary_acosh_run)
UNARY_KERNEL(unary_asinh_kernel, "Asinh", real_info, unary_asinh_run)
UNARY_KERNEL(unary_atanh_kernel, "Atanh", real_info, unary_atanh_run)
UNARY_KERNEL(unary_round_kernel, "Round", real_info, unary_round_run)
UNARY_KERNEL(unary_sign_kernel, "Sign", all_numeric_info, unary_sign_run)
UNARY_KERNEL(unary_elu_kernel, "Elu", real_info, unary_elu_run)
UNARY_KERNEL(unary_selu_kernel, "Selu", real_info, unary_selu_run)
UNARY_KERNEL(unary_celu_kernel, "Celu", float_info, unary_celu_run)
UNARY_KERNEL(unary_softplus_kernel, "Softplus", real_info, unary_softplus_run)
UNARY_KERNEL(unary_softsign_kernel, "Softsign", real_info, unary_softsign_run)
UNARY_KERNEL(unary_thresholded_relu_kernel, "ThresholdedRelu", real_info,
             unary_thresholded_relu_run)
UNARY_KERNEL(unary_shrink_kernel, "Shrink", all_numeric_info, unary_shrink_run)
UNARY_KERNEL(unary_mish_kernel, "Mish", real_info, unary_mish_run)
UNARY_KERNEL(unary_bitwise_not_kernel, "BitwiseNot", int_info, unary_bitwise_not_run)

/* The bool output cannot take the input's buffer. */
#define TEST_KERNEL(var, op_name, run_fn)                                                          \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &real_info,                                                                        \
        .params_size = sizeof(unary_params_t),                                                     \
        .infer = test_infer,                                                                       \
        .run = run_fn,                                                                             \
        .batch_inputs = 1u << 0,                                                                   \
    };

TEST_KERNEL(unary_is_inf_kernel, "IsInf", unary_is_inf_run)
TEST_KERNEL(unary_is_nan_kernel, "IsNaN", unary_is_nan_run)

const op_kernel_t unary_clip_kernel = {
    .name = "Clip",
    .info = &clip_info,
    .params_size = sizeof(clip_params_t),
    .infer = clip_infer,
    .run = unary_clip_run,
    .inplace_inputs = 1u << 0,
    .batch_inputs = 1u << 0,
};
