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

UNARY_INFO(float_info, DTYPES_FLOAT)
UNARY_INFO(signed_info, DTYPES_FLOAT | DTYPES_SIGNED_INT)
UNARY_INFO(numeric_info, DTYPES_NUMERIC)

static const op_info_t clip_info = {
    .min_inputs = 1,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_NUMERIC, DTYPES_NUMERIC, DTYPES_NUMERIC},
    .layout = "any",
};

static status_t clip_infer(op_call_t *call, error_t *err)
{
    static const char *const bound_names[] = {"input", "min", "max"};
    const clip_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    char text[SHAPE_TEXT_MAX];

    if (p->from_attrs && x->dtype != DTYPE_FLOAT)
        return op_call_fail(call, err, "min/max attributes (opset < 11) need float input, got %s",
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
UNARY_KERNEL(unary_leaky_relu_kernel, "LeakyRelu", float_info, unary_leaky_relu_run)
UNARY_KERNEL(unary_sigmoid_kernel, "Sigmoid", float_info, unary_sigmoid_run)
UNARY_KERNEL(unary_hard_sigmoid_kernel, "HardSigmoid", float_info, unary_hard_sigmoid_run)
UNARY_KERNEL(unary_hard_swish_kernel, "HardSwish", float_info, unary_hard_swish_run)
UNARY_KERNEL(unary_tanh_kernel, "Tanh", float_info, unary_tanh_run)
UNARY_KERNEL(unary_erf_kernel, "Erf", float_info, unary_erf_run)
UNARY_KERNEL(unary_exp_kernel, "Exp", float_info, unary_exp_run)
UNARY_KERNEL(unary_log_kernel, "Log", float_info, unary_log_run)
UNARY_KERNEL(unary_sqrt_kernel, "Sqrt", float_info, unary_sqrt_run)
UNARY_KERNEL(unary_abs_kernel, "Abs", numeric_info, unary_abs_run)
UNARY_KERNEL(unary_neg_kernel, "Neg", signed_info, unary_neg_run)
UNARY_KERNEL(unary_reciprocal_kernel, "Reciprocal", float_info, unary_reciprocal_run)
UNARY_KERNEL(unary_floor_kernel, "Floor", float_info, unary_floor_run)
UNARY_KERNEL(unary_ceil_kernel, "Ceil", float_info, unary_ceil_run)

const op_kernel_t unary_clip_kernel = {
    .name = "Clip",
    .info = &clip_info,
    .params_size = sizeof(clip_params_t),
    .infer = clip_infer,
    .run = unary_clip_run,
    .inplace_inputs = 1u << 0,
    .batch_inputs = 1u << 0,
};
