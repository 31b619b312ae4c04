#include "where.h"

static const op_info_t where_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_BOOL, DTYPES_ALL, DTYPES_ALL},
    .layout = "any",
};

static status_t where_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[1], *y = call->inputs[2];
    status_t st;

    if (x->dtype != y->dtype)
        return op_call_fail(call, err, "Y has dtype %s but X has %s", dtype_name(y->dtype),
                            dtype_name(x->dtype));
    st = bcast_infer(call, 3, call->inputs, &call->outputs[0], err);
    if (st != STATUS_OK)
        return st;
    call->outputs[0].dtype = x->dtype;
    call->outputs[0].data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}

const op_kernel_t where_kernel = {
    .name = "Where",
    .info = &where_info,
    .infer = where_infer,
    .run = where_run,
};
