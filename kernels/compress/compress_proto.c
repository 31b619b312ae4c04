#include "compress.h"

static const op_info_t compress_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPES_BOOL},
    .layout = "any",
};

static status_t compress_infer(op_call_t *call, error_t *err)
{
    const compress_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *cond = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char text[SHAPE_TEXT_MAX];
    int axis;

    if (cond->rank != 1)
        return op_call_fail(call, err, "input 'condition' must be 1-D, got shape %s",
                            shape_format(cond->rank, cond->dims, text, sizeof text));
    y->dtype = x->dtype;
    if (!p->has_axis) {
        y->rank = 1;
        y->dims[0] = 0;
        return STATUS_OK;
    }
    if ((p->axis < 0 && !p->negative_axis) || !axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input of shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, text, sizeof text));
    *y = *x;
    y->data = NULL;
    y->dims[axis] = 0;
    return STATUS_OK;
}

const op_kernel_t compress_kernel = {
    .name = "Compress",
    .info = &compress_info,
    .params_size = sizeof(compress_params_t),
    .dynamic_outputs = 1u << 0,
    .infer = compress_infer,
    .run = compress_run,
};
