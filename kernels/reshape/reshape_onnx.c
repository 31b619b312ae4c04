/*
 * ONNX adapters: Reshape (shape attribute before opset 5, input after;
 * allowzero from 14), Flatten (all opsets), Squeeze and Unsqueeze (axes
 * attribute before opset 13, input after).
 */
#include "reshape.h"

/* Inputs a form takes: the attribute forms take the data only. */
static status_t check_inputs(const op_adapt_t *a, int min, int max, error_t *err)
{
    if (a->n_inputs < min || a->n_inputs > max)
        return op_adapt_fail(a, err, "opset %d takes %d to %d inputs, got %d", a->opset, min, max,
                             a->n_inputs);
    return STATUS_OK;
}

static status_t adapt_reshape_attr(const op_adapt_t *a, void *params, error_t *err)
{
    reshape_params_t *p = params;
    status_t st = check_inputs(a, 1, 1, err);

    if (st == STATUS_OK)
        st = adapt_ints(a, "shape", TENSOR_MAX_RANK, p->shape, &p->shape_count, err);
    if (st == STATUS_OK && p->shape_count < 0)
        return op_adapt_fail(a, err, "attribute 'shape' is missing");
    return st;
}

static status_t adapt_reshape_input(const op_adapt_t *a, void *params, error_t *err)
{
    reshape_params_t *p = params;
    int64_t allowzero = 0;
    status_t st = check_inputs(a, 2, 2, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "allowzero", 0, &allowzero, err);
    p->shape_from_input = true;
    p->allowzero = allowzero != 0;
    return st;
}

static status_t adapt_flatten(const op_adapt_t *a, void *params, error_t *err)
{
    flatten_params_t *p = params;
    return adapt_int(a, "axis", 1, &p->axis, err);
}

static status_t adapt_axes_attr(const op_adapt_t *a, void *params, error_t *err)
{
    squeeze_params_t *p = params;
    status_t st = check_inputs(a, 1, 1, err);

    if (st == STATUS_OK)
        st = adapt_ints(a, "axes", TENSOR_MAX_RANK, p->axes, &p->axes_count, err);
    return st;
}

static status_t adapt_unsqueeze_attr(const op_adapt_t *a, void *params, error_t *err)
{
    const squeeze_params_t *p = params;
    status_t st = adapt_axes_attr(a, params, err);

    if (st == STATUS_OK && p->axes_count < 0)
        return op_adapt_fail(a, err, "attribute 'axes' is missing");
    return st;
}

static status_t adapt_squeeze_input(const op_adapt_t *a, void *params, error_t *err)
{
    squeeze_params_t *p = params;

    p->axes_from_input = true;
    p->axes_count = -1;
    return STATUS_OK;
}

static status_t adapt_unsqueeze_input(const op_adapt_t *a, void *params, error_t *err)
{
    squeeze_params_t *p = params;

    p->axes_from_input = true;
    p->axes_count = -1;
    return check_inputs(a, 2, 2, err);
}

const op_schema_t op_schemas_reshape[] = {
    {"Reshape", 1, 4, adapt_reshape_attr, &reshape_kernel},
    /* The versions from 19 on add only float8 and 4-bit types, which import refuses. */
    {"Reshape", 5, 18, adapt_reshape_input, &reshape_kernel},
    {"Reshape", 19, 20, adapt_reshape_input, &reshape_kernel},
    {"Reshape", 21, OPSET_MAX, adapt_reshape_input, &reshape_kernel},
    {"Flatten", 1, 20, adapt_flatten, &flatten_kernel},
    {"Flatten", 21, OPSET_MAX, adapt_flatten, &flatten_kernel},
    {"Squeeze", 1, 12, adapt_axes_attr, &squeeze_kernel},
    {"Squeeze", 13, 20, adapt_squeeze_input, &squeeze_kernel},
    {"Squeeze", 21, OPSET_MAX, adapt_squeeze_input, &squeeze_kernel},
    {"Unsqueeze", 1, 12, adapt_unsqueeze_attr, &unsqueeze_kernel},
    {"Unsqueeze", 13, 20, adapt_unsqueeze_input, &unsqueeze_kernel},
    {"Unsqueeze", 21, OPSET_MAX, adapt_unsqueeze_input, &unsqueeze_kernel},
    {0},
};
