/*
 * ONNX adapters: Pad with the pads as the `paddings` (opset 1) or `pads`
 * (opsets 2-10) attribute and a float `value`, with pads and
 * constant_value as inputs (opset 11 on), the optional axes input (18 on)
 * and mode "wrap" (19 on). Pad-21 only adds 4-bit types.
 */
#include "pad.h"

#include <string.h>

static status_t adapt_mode(const op_adapt_t *a, pad_params_t *p, error_t *err)
{
    const char *mode;
    status_t st = adapt_string(a, "mode", "constant", &mode, err);

    if (st != STATUS_OK)
        return st;
    if (strcmp(mode, "constant") == 0)
        p->mode = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        p->mode = PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        p->mode = PAD_EDGE;
    else if (strcmp(mode, "wrap") == 0 && a->opset >= 19)
        p->mode = PAD_WRAP;
    else
        return op_adapt_fail(a, err, "unknown mode '%s' at opset %d", mode, a->opset);
    return STATUS_OK;
}

static status_t adapt_pad_attr(const op_adapt_t *a, void *params, error_t *err)
{
    pad_params_t *p = params;
    const char *name = a->opset < 2 ? "paddings" : "pads";
    status_t st;

    if (a->n_inputs != 1)
        return op_adapt_fail(a, err, "opset %d takes 1 input, got %d", a->opset, a->n_inputs);
    st = adapt_mode(a, p, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, name, 2 * TENSOR_MAX_RANK, p->pads, &p->pads_count, err);
    if (st == STATUS_OK)
        st = adapt_float(a, "value", 0.0f, &p->value, err);
    if (st == STATUS_OK && p->pads_count < 0)
        return op_adapt_fail(a, err, "attribute '%s' is missing", name);
    return st;
}

static status_t adapt_pad_input(const op_adapt_t *a, void *params, error_t *err)
{
    pad_params_t *p = params;

    if (a->n_inputs < 2 || a->n_inputs > 3)
        return op_adapt_fail(a, err, "opset %d takes 2 or 3 inputs, got %d", a->opset, a->n_inputs);
    p->from_inputs = true;
    return adapt_mode(a, p, err);
}

static status_t adapt_pad_axes(const op_adapt_t *a, void *params, error_t *err)
{
    pad_params_t *p = params;

    if (a->n_inputs < 2)
        return op_adapt_fail(a, err, "opset %d takes 2 to 4 inputs, got %d", a->opset, a->n_inputs);
    p->from_inputs = true;
    p->axes_input = true;
    return adapt_mode(a, p, err);
}

const op_schema_t op_schemas_pad[] = {
    {"Pad", 1, 10, adapt_pad_attr, &pad_kernel},
    {"Pad", 11, 17, adapt_pad_input, &pad_kernel},
    {"Pad", 18, OPSET_MAX, adapt_pad_axes, &pad_kernel},
    {0},
};
