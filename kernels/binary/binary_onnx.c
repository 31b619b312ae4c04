/*
 * ONNX adapters of the binary family. Add, Sub, Mul, Div and Pow take the
 * broadcast/axis attributes before opset 7 and numpy broadcasting after;
 * PRelu, Sum, Min and Max broadcast numpy-style at every opset (their early
 * same-shape rule is a special case).
 */
#include "binary.h"

static status_t adapt_legacy(const op_adapt_t *a, void *params, error_t *err)
{
    binary_params_t *p = params;
    return bcast_legacy_adapt(a, &p->legacy, err);
}

const op_schema_t op_schemas_binary[] = {
    {"Add", 1, 6, adapt_legacy, &binary_add_kernel},
    {"Add", 7, OPSET_MAX, NULL, &binary_add_kernel},
    {"Sub", 1, 6, adapt_legacy, &binary_sub_kernel},
    {"Sub", 7, OPSET_MAX, NULL, &binary_sub_kernel},
    {"Mul", 1, 6, adapt_legacy, &binary_mul_kernel},
    {"Mul", 7, OPSET_MAX, NULL, &binary_mul_kernel},
    {"Div", 1, 6, adapt_legacy, &binary_div_kernel},
    {"Div", 7, OPSET_MAX, NULL, &binary_div_kernel},
    {"Pow", 1, 6, adapt_legacy, &binary_pow_kernel},
    {"Pow", 7, OPSET_MAX, NULL, &binary_pow_kernel},
    {"PRelu", 1, OPSET_MAX, NULL, &binary_prelu_kernel},
    {"Sum", 1, OPSET_MAX, NULL, &binary_sum_kernel},
    {"Min", 1, OPSET_MAX, NULL, &binary_min_kernel},
    {"Max", 1, OPSET_MAX, NULL, &binary_max_kernel},
    {0},
};
