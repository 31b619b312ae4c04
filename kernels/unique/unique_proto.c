#include "unique.h"

#include "sort.h"

static const op_info_t unique_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 4,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

static status_t unique_infer(op_call_t *call, error_t *err)
{
    const unique_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    char text[SHAPE_TEXT_MAX];
    int64_t items;
    int axis = 0;

    if (!sort_elem_cmp(x->dtype))
        return op_call_fail(call, err, "input has dtype %s, which Unique cannot order",
                            dtype_name(x->dtype));
    if (p->has_axis && !axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input of shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, text, sizeof text));
    items = p->has_axis ? x->dims[axis] : tensor_numel(x);
    call->outputs[0] = *x;
    call->outputs[0].data = NULL;
    if (p->has_axis) {
        call->outputs[0].dims[axis] = 0;
    } else {
        call->outputs[0].rank = 1;
        call->outputs[0].dims[0] = 0;
    }
    for (int k = 1; k < call->n_outputs; k++) {
        call->outputs[k].dtype = DTYPE_INT64;
        call->outputs[k].rank = 1;
        call->outputs[k].dims[0] = k == 2 ? items : 0;
    }
    call->workspace_size = UNIQUE_WORK_ARRAYS * (size_t)items * sizeof(int64_t);
    return STATUS_OK;
}

const op_kernel_t unique_kernel = {
    .name = "Unique",
    .info = &unique_info,
    .params_size = sizeof(unique_params_t),
    .dynamic_outputs = (1u << 0) | (1u << 1) | (1u << 3),
    .infer = unique_infer,
    .run = unique_run,
};
