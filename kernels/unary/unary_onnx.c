/*
 * ONNX adapters of the unary family. LeakyRelu, HardSigmoid, Elu, Selu,
 * Celu, ThresholdedRelu, Shrink, IsInf and Clip have attributes; Clip takes
 * min/max as attributes before opset 11 and as optional inputs from 11.
 * The consumed_inputs attribute of opset 1 is ignored (it only concerned
 * in-place execution). Versions that only added dtypes (float16, bfloat16,
 * float8) keep their own entries with the same adapter.
 */
#include "unary.h"

#include <float.h>

static status_t adapt_leaky_relu(const op_adapt_t *a, void *params, error_t *err)
{
    unary_params_t *p = params;
    return adapt_float(a, "alpha", 0.01f, &p->alpha, err);
}

static status_t adapt_hard_sigmoid(const op_adapt_t *a, void *params, error_t *err)
{
    unary_params_t *p = params;
    status_t st = adapt_float(a, "alpha", 0.2f, &p->alpha, err);

    if (st != STATUS_OK)
        return st;
    return adapt_float(a, "beta", 0.5f, &p->beta, err);
}

static status_t adapt_alpha_one(const op_adapt_t *a, void *params, error_t *err)
{
    unary_params_t *p = params;
    return adapt_float(a, "alpha", 1.0f, &p->alpha, err);
}

/* Selu's defaults, float(1.67326...) and float(1.05070...) as the spec writes them. */
#define SELU_ALPHA 1.67326319217681884765625f
#define SELU_GAMMA 1.05070102214813232421875f

static status_t adapt_selu(const op_adapt_t *a, void *params, error_t *err)
{
    unary_params_t *p = params;
    status_t st = adapt_float(a, "alpha", SELU_ALPHA, &p->alpha, err);

    if (st != STATUS_OK)
        return st;
    return adapt_float(a, "gamma", SELU_GAMMA, &p->gamma, err);
}

static status_t adapt_shrink(const op_adapt_t *a, void *params, error_t *err)
{
    unary_params_t *p = params;
    status_t st = adapt_float(a, "lambd", 0.5f, &p->lambd, err);

    if (st != STATUS_OK)
        return st;
    return adapt_float(a, "bias", 0.0f, &p->bias, err);
}

static status_t adapt_flag(const op_adapt_t *a, const char *name, bool *out, error_t *err)
{
    int64_t v;
    status_t st = adapt_int(a, name, 1, &v, err);

    if (st != STATUS_OK)
        return st;
    if (v != 0 && v != 1)
        return op_adapt_fail(a, err, "attribute '%s' must be 0 or 1, got %lld", name, (long long)v);
    *out = v != 0;
    return STATUS_OK;
}

static status_t adapt_is_inf(const op_adapt_t *a, void *params, error_t *err)
{
    unary_params_t *p = params;
    status_t st = adapt_flag(a, "detect_negative", &p->detect_negative, err);

    if (st != STATUS_OK)
        return st;
    return adapt_flag(a, "detect_positive", &p->detect_positive, err);
}

static status_t adapt_clip_attrs(const op_adapt_t *a, void *params, error_t *err)
{
    clip_params_t *p = params;
    status_t st = adapt_float(a, "min", -FLT_MAX, &p->min, err);

    p->from_attrs = true;
    if (st != STATUS_OK)
        return st;
    return adapt_float(a, "max", FLT_MAX, &p->max, err);
}

const op_schema_t op_schemas_unary[] = {
    {"Relu", 1, OPSET_MAX, NULL, &unary_relu_kernel},
    {"LeakyRelu", 1, OPSET_MAX, adapt_leaky_relu, &unary_leaky_relu_kernel},
    {"Sigmoid", 1, OPSET_MAX, NULL, &unary_sigmoid_kernel},
    {"HardSigmoid", 1, OPSET_MAX, adapt_hard_sigmoid, &unary_hard_sigmoid_kernel},
    {"HardSwish", 14, OPSET_MAX, NULL, &unary_hard_swish_kernel},
    {"Tanh", 1, OPSET_MAX, NULL, &unary_tanh_kernel},
    {"Erf", 9, OPSET_MAX, NULL, &unary_erf_kernel},
    {"Exp", 1, OPSET_MAX, NULL, &unary_exp_kernel},
    {"Log", 1, OPSET_MAX, NULL, &unary_log_kernel},
    {"Sqrt", 1, OPSET_MAX, NULL, &unary_sqrt_kernel},
    {"Abs", 1, OPSET_MAX, NULL, &unary_abs_kernel},
    {"Neg", 1, OPSET_MAX, NULL, &unary_neg_kernel},
    {"Reciprocal", 1, OPSET_MAX, NULL, &unary_reciprocal_kernel},
    {"Floor", 1, OPSET_MAX, NULL, &unary_floor_kernel},
    {"Ceil", 1, OPSET_MAX, NULL, &unary_ceil_kernel},
    {"Cos", 7, OPSET_MAX, NULL, &unary_cos_kernel},
    {"Sin", 7, OPSET_MAX, NULL, &unary_sin_kernel},
    {"Tan", 7, OPSET_MAX, NULL, &unary_tan_kernel},
    {"Acos", 7, OPSET_MAX, NULL, &unary_acos_kernel},
    {"Asin", 7, OPSET_MAX, NULL, &unary_asin_kernel},
    {"Atan", 7, OPSET_MAX, NULL, &unary_atan_kernel},
    {"Cosh", 9, OPSET_MAX, NULL, &unary_cosh_kernel},
    {"Sinh", 9, OPSET_MAX, NULL, &unary_sinh_kernel},
    {"Acosh", 9, OPSET_MAX, NULL, &unary_acosh_kernel},
    {"Asinh", 9, OPSET_MAX, NULL, &unary_asinh_kernel},
    {"Atanh", 9, OPSET_MAX, NULL, &unary_atanh_kernel},
    {"Round", 11, OPSET_MAX, NULL, &unary_round_kernel},
    {"Sign", 9, 12, NULL, &unary_sign_kernel},
    {"Sign", 13, OPSET_MAX, NULL, &unary_sign_kernel},
    {"IsInf", 10, 19, adapt_is_inf, &unary_is_inf_kernel},
    {"IsInf", 20, OPSET_MAX, adapt_is_inf, &unary_is_inf_kernel},
    {"IsNaN", 9, 12, NULL, &unary_is_nan_kernel},
    {"IsNaN", 13, 19, NULL, &unary_is_nan_kernel},
    {"IsNaN", 20, OPSET_MAX, NULL, &unary_is_nan_kernel},
    {"Elu", 1, 5, adapt_alpha_one, &unary_elu_kernel},
    {"Elu", 6, OPSET_MAX, adapt_alpha_one, &unary_elu_kernel},
    {"Selu", 1, 5, adapt_selu, &unary_selu_kernel},
    {"Selu", 6, OPSET_MAX, adapt_selu, &unary_selu_kernel},
    {"Celu", 12, OPSET_MAX, adapt_alpha_one, &unary_celu_kernel},
    {"Softplus", 1, OPSET_MAX, NULL, &unary_softplus_kernel},
    {"Softsign", 1, OPSET_MAX, NULL, &unary_softsign_kernel},
    {"ThresholdedRelu", 10, OPSET_MAX, adapt_alpha_one, &unary_thresholded_relu_kernel},
    {"Shrink", 9, OPSET_MAX, adapt_shrink, &unary_shrink_kernel},
    {"Mish", 18, OPSET_MAX, NULL, &unary_mish_kernel},
    {"BitwiseNot", 18, OPSET_MAX, NULL, &unary_bitwise_not_kernel},
    {"Clip", 1, 10, adapt_clip_attrs, &unary_clip_kernel},
    {"Clip", 11, OPSET_MAX, NULL, &unary_clip_kernel},
    {0},
};
