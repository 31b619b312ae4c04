/*
 * ONNX adapters of the binary family. Add, Sub, Mul, Div and Pow take the
 * broadcast/axis attributes before opset 7 and numpy broadcasting after;
 * PRelu, Sum, Min, Max and Mean broadcast numpy-style at every opset
 * (their early same-shape rule is a special case). Mod reads fmod, BitShift
 * its direction; the bitwise ops (opset 18) have no attributes.
 */
#include "binary.h"

#include <string.h>

static status_t adapt_legacy(const op_adapt_t *a, void *params, error_t *err)
{
    binary_params_t *p = params;
    return bcast_legacy_adapt(a, &p->legacy, err);
}

static status_t adapt_mod(const op_adapt_t *a, void *params, error_t *err)
{
    binary_params_t *p = params;
    int64_t fmod;
    status_t st = adapt_int(a, "fmod", 0, &fmod, err);

    if (st != STATUS_OK)
        return st;
    if (fmod != 0 && fmod != 1)
        return op_adapt_fail(a, err, "attribute 'fmod' must be 0 or 1, got %lld", (long long)fmod);
    p->fmod = fmod != 0;
    return STATUS_OK;
}

static status_t adapt_bit_shift(const op_adapt_t *a, void *params, error_t *err)
{
    binary_params_t *p = params;
    const char *direction;
    status_t st = adapt_string(a, "direction", NULL, &direction, err);

    if (st != STATUS_OK)
        return st;
    if (!direction || (strcmp(direction, "LEFT") != 0 && strcmp(direction, "RIGHT") != 0))
        return op_adapt_fail(a, err, "attribute 'direction' must be LEFT or RIGHT, got %s",
                             direction ? direction : "none");
    p->shift_left = strcmp(direction, "LEFT") == 0;
    return STATUS_OK;
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
    {"Mean", 1, 5, NULL, &binary_mean_kernel},
    {"Mean", 6, 7, NULL, &binary_mean_kernel},
    {"Mean", 8, 12, NULL, &binary_mean_kernel},
    {"Mean", 13, OPSET_MAX, NULL, &binary_mean_kernel},
    {"Mod", 10, 12, adapt_mod, &binary_mod_kernel},
    {"Mod", 13, OPSET_MAX, adapt_mod, &binary_mod_kernel},
    {"BitShift", 11, OPSET_MAX, adapt_bit_shift, &binary_bit_shift_kernel},
    {"BitwiseAnd", 18, OPSET_MAX, NULL, &binary_bitwise_and_kernel},
    {"BitwiseOr", 18, OPSET_MAX, NULL, &binary_bitwise_or_kernel},
    {"BitwiseXor", 18, OPSET_MAX, NULL, &binary_bitwise_xor_kernel},
    {0},
};
