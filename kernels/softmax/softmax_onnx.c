/*
 * ONNX adapters: Softmax, LogSoftmax and Hardmax, 2-D coercion before opset
 * 13, single axis from 13 (Hardmax's version 11 only reworded axis).
 */
#include "softmax.h"

static status_t adapt_legacy(const op_adapt_t *a, void *params, error_t *err)
{
    softmax_params_t *p = params;

    p->coerce_2d = true;
    return adapt_int(a, "axis", 1, &p->axis, err);
}

static status_t adapt_single_axis(const op_adapt_t *a, void *params, error_t *err)
{
    softmax_params_t *p = params;

    p->coerce_2d = false;
    return adapt_int(a, "axis", -1, &p->axis, err);
}

const op_schema_t op_schemas_softmax[] = {
    {"Softmax", 1, 12, adapt_legacy, &softmax_kernel},
    {"Softmax", 13, OPSET_MAX, adapt_single_axis, &softmax_kernel},
    {"LogSoftmax", 1, 12, adapt_legacy, &log_softmax_kernel},
    {"LogSoftmax", 13, OPSET_MAX, adapt_single_axis, &log_softmax_kernel},
    {"Hardmax", 1, 10, adapt_legacy, &hardmax_kernel},
    {"Hardmax", 11, 12, adapt_legacy, &hardmax_kernel},
    {"Hardmax", 13, OPSET_MAX, adapt_single_axis, &hardmax_kernel},
    {0},
};
