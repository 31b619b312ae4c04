#include "shape.h"

status_t shape_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    int64_t *y = call->outputs[0].data;
    int first, last;

    shape_window(call->params, x->rank, &first, &last);
    for (int i = first; i < last; i++)
        *y++ = x->dims[i];
    return STATUS_OK;
}

status_t size_run(op_call_t *call, error_t *err)
{
    *(int64_t *)call->outputs[0].data = tensor_numel(call->inputs[0]);
    return STATUS_OK;
}
