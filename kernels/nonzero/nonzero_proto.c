#include "nonzero.h"

static const op_info_t nonzero_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

/* [rank, count]: count only the run knows. A scalar counts as one element, as in numpy. */
static status_t nonzero_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];

    (void)err;
    y->dtype = DTYPE_INT64;
    y->rank = 2;
    y->dims[0] = x->rank > 0 ? x->rank : 1;
    y->dims[1] = 0;
    return STATUS_OK;
}

const op_kernel_t nonzero_kernel = {
    .name = "NonZero",
    .info = &nonzero_info,
    .dynamic_outputs = 1u << 0,
    .infer = nonzero_infer,
    .run = nonzero_run,
};
