#include "cumsum.h"

static const op_info_t cumsum_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPES_INDEX |
                         DTYPE_BIT(DTYPE_UINT32) | DTYPE_BIT(DTYPE_UINT64),
                     DTYPES_INDEX},
    .layout = "any",
};

/* The output is x's shape whatever the axis; the axis itself is checked when known. */
static status_t cumsum_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *axis = call->inputs[1];
    char buf[SHAPE_TEXT_MAX];
    int unused;

    if (x->rank == 0)
        return op_call_fail(call, err, "input must have at least one dim, got a scalar");
    if (tensor_numel(axis) != 1 || axis->rank > 1)
        return op_call_fail(call, err, "axis must be a scalar or one element, got shape %s",
                            shape_format(axis->rank, axis->dims, buf, sizeof buf));
    if (axis->data && !axis_normalize(tensor_get_index(axis, 0), x->rank, false, &unused))
        return op_call_fail(call, err, "axis %lld is out of range for input %s",
                            (long long)tensor_get_index(axis, 0),
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    return op_infer_same_as_input(call, err);
}

const op_kernel_t cumsum_kernel = {
    .name = "CumSum",
    .info = &cumsum_info,
    .params_size = sizeof(cumsum_params_t),
    .infer = cumsum_infer,
    .run = cumsum_run,
};
