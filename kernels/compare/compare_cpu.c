#include "compare.h"

#include <assert.h>

/* out = a op b (swapped: b op a), a and b broadcast to out's shape. */
static status_t compare_apply(op_call_t *call, compare_op_t op, bool swapped, error_t *err)
{
    const compare_params_t *p = call->params;
    tensor_t *out = &call->outputs[0];
    const tensor_t *pair[2];
    tensor_t b_view;
    bcast_plan_t plan;
    bcast_row_fn row;
    status_t st = bcast_pair_inputs(call, &p->legacy, &b_view, pair, err);

    if (st != STATUS_OK)
        return st;
    if (swapped) {
        const tensor_t *t = pair[0];
        pair[0] = pair[1];
        pair[1] = t;
    }
    const void *data[2] = {pair[0]->data, pair[1]->data};
    const size_t size = dtype_size(pair[0]->dtype);
    const size_t sizes[2] = {size, size};
    bcast_plan_init(&plan, 2, pair, out);
    row = compare_row(op, pair[0]->dtype, bcast_kind(&plan));
    assert(row != NULL); /* the info table admits only dtypes with rows */
    bcast_walk(&plan, row, NULL, out->data, sizeof(bool), data, sizes);
    return STATUS_OK;
}

status_t compare_equal_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_EQUAL, false, err);
}

status_t compare_less_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_LESS, false, err);
}

status_t compare_greater_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_LESS, true, err);
}

status_t compare_less_equal_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_LESS_EQUAL, false, err);
}

status_t compare_greater_equal_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_LESS_EQUAL, true, err);
}

status_t compare_and_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_AND, false, err);
}

status_t compare_or_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_OR, false, err);
}

status_t compare_xor_run(op_call_t *call, error_t *err)
{
    return compare_apply(call, COMPARE_XOR, false, err);
}

status_t compare_not_run(op_call_t *call, error_t *err)
{
    compare_not(call->inputs[0]->data, call->outputs[0].data, tensor_numel(call->inputs[0]));
    return STATUS_OK;
}
