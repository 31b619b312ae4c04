/*
 * ONNX adapters of the compare family. Equal, Less, Greater, And, Or and
 * Xor take the broadcast/axis attributes before opset 7 and numpy
 * broadcasting after; LessOrEqual and GreaterOrEqual (opset 12) and Not
 * have no attributes.
 */
#include "compare.h"

static status_t adapt_legacy(const op_adapt_t *a, void *params, error_t *err)
{
    compare_params_t *p = params;
    return bcast_legacy_adapt(a, &p->legacy, err);
}

const op_schema_t op_schemas_compare[] = {
    {"Equal", 1, 6, adapt_legacy, &compare_equal_kernel},
    /* Equal-19 adds only string inputs, which the kernel refuses by dtype. */
    {"Equal", 7, 18, NULL, &compare_equal_kernel},
    {"Equal", 19, OPSET_MAX, NULL, &compare_equal_kernel},
    {"Less", 1, 6, adapt_legacy, &compare_less_kernel},
    {"Less", 7, OPSET_MAX, NULL, &compare_less_kernel},
    {"Greater", 1, 6, adapt_legacy, &compare_greater_kernel},
    {"Greater", 7, OPSET_MAX, NULL, &compare_greater_kernel},
    {"LessOrEqual", 12, OPSET_MAX, NULL, &compare_less_equal_kernel},
    {"GreaterOrEqual", 12, OPSET_MAX, NULL, &compare_greater_equal_kernel},
    {"And", 1, 6, adapt_legacy, &compare_and_kernel},
    {"And", 7, OPSET_MAX, NULL, &compare_and_kernel},
    {"Or", 1, 6, adapt_legacy, &compare_or_kernel},
    {"Or", 7, OPSET_MAX, NULL, &compare_or_kernel},
    {"Xor", 1, 6, adapt_legacy, &compare_xor_kernel},
    {"Xor", 7, OPSET_MAX, NULL, &compare_xor_kernel},
    {"Not", 1, OPSET_MAX, NULL, &compare_not_kernel},
    {0},
};
