/* ONNX adapter: Col2Im (opset 18), attributes dilations, pads and strides. */
#include "col2im.h"

static status_t adapt_col2im(const op_adapt_t *a, void *params, error_t *err)
{
    col2im_params_t *p = params;
    status_t st;

    if ((st = adapt_ints(a, "dilations", COL2IM_MAX_DIMS, p->dilations, &p->n_dilations, err)) ||
        (st = adapt_ints(a, "pads", 2 * COL2IM_MAX_DIMS, p->pads, &p->n_pads, err)) ||
        (st = adapt_ints(a, "strides", COL2IM_MAX_DIMS, p->strides, &p->n_strides, err)))
        return st;
    return STATUS_OK;
}

const op_schema_t op_schemas_col2im[] = {
    {"Col2Im", 18, OPSET_MAX, adapt_col2im, &col2im_kernel},
    {0},
};
