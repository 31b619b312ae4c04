/*
 * ONNX adapters of the unary family. Only LeakyRelu, HardSigmoid and Clip
 * have attributes; Clip takes min/max as attributes before opset 11 and as
 * optional inputs from 11. The consumed_inputs attribute of opset 1 is
 * ignored (it only concerned in-place execution).
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
    {"Clip", 1, 10, adapt_clip_attrs, &unary_clip_kernel},
    {"Clip", 11, OPSET_MAX, NULL, &unary_clip_kernel},
    {0},
};
