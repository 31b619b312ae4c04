#include "constant.h"

#include <string.h>

#include "fill.h"

status_t constant_run(op_call_t *call, error_t *err)
{
    const constant_params_t *p = call->params;
    size_t bytes = tensor_bytes(&p->value);

    if (bytes)
        memcpy(call->outputs[0].data, p->value.data, bytes);
    return STATUS_OK;
}

status_t constant_of_shape_run(op_call_t *call, error_t *err)
{
    const constant_of_shape_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];

    fill_elements(y->data, p->value, dtype_size(y->dtype), tensor_numel(y));
    return STATUS_OK;
}
