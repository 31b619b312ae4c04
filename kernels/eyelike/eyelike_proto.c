#include "eyelike.h"

#include "half.h"

/* Every numeric type and bool, for the input and for the dtype attribute. */
#define EYELIKE_DTYPES (DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE) | DTYPES_BOOL | DTYPES_HALF)

static const op_info_t eyelike_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {EYELIKE_DTYPES},
    .layout = "any",
};

static status_t eyelike_infer(op_call_t *call, error_t *err)
{
    const eyelike_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    char buf[SHAPE_TEXT_MAX];

    if (x->rank != 2)
        return op_call_fail(call, err, "input must be 2-D, got shape %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    if (p->dtype != DTYPE_UNDEFINED && !dtype_in(p->dtype, EYELIKE_DTYPES))
        return op_call_fail(call, err, "dtype %s is not supported", dtype_name(p->dtype));
    op_infer_same_as_input(call, err);
    if (p->dtype != DTYPE_UNDEFINED)
        call->outputs[0].dtype = p->dtype;
    return STATUS_OK;
}

const op_kernel_t eyelike_kernel = {
    .name = "EyeLike",
    .info = &eyelike_info,
    .params_size = sizeof(eyelike_params_t),
    .infer = eyelike_infer,
    .run = eyelike_run,
};
