/* ONNX adapters: Conv and ConvTranspose (one attribute form for opsets 1-21). */
#include "conv.h"

status_t conv_adapt_attrs(const op_adapt_t *a, conv_params_t *p, error_t *err)
{
    status_t st;

    if ((st = window_adapt_auto_pad(a, &p->auto_pad, err)) ||
        (st = adapt_int(a, "group", 1, &p->group, err)) ||
        (st = adapt_ints(a, "kernel_shape", WINDOW_MAX_ATTR_DIMS, p->kernel_shape,
                         &p->n_kernel_shape, err)) ||
        (st = adapt_ints(a, "strides", WINDOW_MAX_ATTR_DIMS, p->strides, &p->n_strides, err)) ||
        (st = adapt_ints(a, "dilations", WINDOW_MAX_ATTR_DIMS, p->dilations, &p->n_dilations,
                         err)) ||
        (st = adapt_ints(a, "pads", 2 * WINDOW_MAX_ATTR_DIMS, p->pads, &p->n_pads, err)))
        return st;
    p->n_output_padding = -1;
    p->n_output_shape = -1;
    return STATUS_OK;
}

static status_t adapt_conv(const op_adapt_t *a, void *params, error_t *err)
{
    return conv_adapt_attrs(a, params, err);
}

static status_t adapt_conv_transpose(const op_adapt_t *a, void *params, error_t *err)
{
    conv_params_t *p = params;
    status_t st;

    if ((st = conv_adapt_attrs(a, p, err)) ||
        (st = adapt_ints(a, "output_padding", WINDOW_MAX_ATTR_DIMS, p->output_padding,
                         &p->n_output_padding, err)) ||
        (st = adapt_ints(a, "output_shape", WINDOW_MAX_ATTR_DIMS, p->output_shape,
                         &p->n_output_shape, err)))
        return st;
    return STATUS_OK;
}

const op_schema_t op_schemas_conv[] = {
    {"Conv", 1, OPSET_MAX, adapt_conv, &conv_kernel},
    {"ConvTranspose", 1, OPSET_MAX, adapt_conv_transpose, &conv_transpose_kernel},
    {0},
};
