/*
 * ONNX adapter: DeformConv 19 (20 and 21 left it unchanged; 22 only adds
 * types). The window attributes are read at any length, so the prototype
 * can refuse other ranks as unsupported rather than as a bad model.
 */
#include "deform_conv.h"

static status_t adapt_deform_conv(const op_adapt_t *a, void *params, error_t *err)
{
    deform_conv_params_t *p = params;
    status_t st = adapt_int(a, "group", 1, &p->group, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "offset_group", 1, &p->offset_group, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "kernel_shape", WINDOW_MAX_ATTR_DIMS, p->kernel_shape,
                        &p->n_kernel_shape, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "strides", WINDOW_MAX_ATTR_DIMS, p->strides, &p->n_strides, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "dilations", WINDOW_MAX_ATTR_DIMS, p->dilations, &p->n_dilations, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "pads", 2 * WINDOW_MAX_ATTR_DIMS, p->pads, &p->n_pads, err);
    if (st != STATUS_OK)
        return st;
    /* Both divide the channel count, which bounds them; the prototype checks that. */
    if (p->group < 1)
        return op_adapt_fail(a, err, "group %lld must be at least 1", (long long)p->group);
    if (p->offset_group < 1)
        return op_adapt_fail(a, err, "offset_group %lld must be at least 1",
                             (long long)p->offset_group);
    return STATUS_OK;
}

const op_schema_t op_schemas_deform_conv[] = {
    {"DeformConv", 19, OPSET_MAX, adapt_deform_conv, &deform_conv_kernel},
    {0},
};
