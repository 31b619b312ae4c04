#include "binary.h"

#include <assert.h>

/* out = a op b, a and b broadcast to out's shape. out may be a itself. */
static void binary_pair(binary_op_t op, const tensor_t *a, const tensor_t *b, tensor_t *out)
{
    const tensor_t *pair[2] = {a, b};
    const void *data[2] = {a->data, b->data};
    const size_t size = dtype_size(out->dtype);
    const size_t sizes[2] = {size, size};
    bcast_plan_t plan;
    bcast_row_fn row;

    bcast_plan_init(&plan, 2, pair, out);
    row = binary_row(op, out->dtype, bcast_kind(&plan));
    assert(row != NULL); /* the info table admits only dtypes with rows */
    bcast_walk(&plan, row, NULL, out->data, size, data, sizes);
}

static status_t binary_apply(op_call_t *call, binary_op_t op, error_t *err)
{
    const binary_params_t *p = call->params;
    const tensor_t *pair[2];
    tensor_t b_view;
    status_t st = bcast_pair_inputs(call, &p->legacy, &b_view, pair, err);

    if (st != STATUS_OK)
        return st;
    binary_pair(op, pair[0], pair[1], &call->outputs[0]);
    return STATUS_OK;
}

/*
 * Sum, Min, Max: accumulate into the output. The first pair goes straight
 * to the output when it already has the output's shape; otherwise input 0
 * is broadcast into the output first.
 */
static status_t binary_fold(op_call_t *call, binary_op_t op)
{
    tensor_t *out = &call->outputs[0];
    int64_t dims[TENSOR_MAX_RANK];
    int rank, k = 1;

    if (call->n_inputs >= 2 &&
        shape_broadcast(call->inputs[0]->rank, call->inputs[0]->dims, call->inputs[1]->rank,
                        call->inputs[1]->dims, &rank, dims) &&
        shape_equal(rank, dims, out->rank, out->dims)) {
        binary_pair(op, call->inputs[0], call->inputs[1], out);
        k = 2;
    } else {
        bcast_copy(call->inputs[0], out);
    }
    for (; k < call->n_inputs; k++)
        binary_pair(op, out, call->inputs[k], out);
    return STATUS_OK;
}

status_t binary_add_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_ADD, err);
}

status_t binary_sub_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_SUB, err);
}

status_t binary_mul_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_MUL, err);
}

status_t binary_div_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_DIV, err);
}

status_t binary_prelu_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_PRELU, err);
}

status_t binary_sum_run(op_call_t *call, error_t *err)
{
    return binary_fold(call, BINARY_ADD);
}

status_t binary_min_run(op_call_t *call, error_t *err)
{
    return binary_fold(call, BINARY_MIN);
}

status_t binary_max_run(op_call_t *call, error_t *err)
{
    return binary_fold(call, BINARY_MAX);
}

/* Mean: the inputs' sum, then one division by their count. */
status_t binary_mean_run(op_call_t *call, error_t *err)
{
    tensor_t *out = &call->outputs[0];
    const int64_t n = tensor_numel(out);

    binary_fold(call, BINARY_ADD);
    if (out->dtype == DTYPE_FLOAT) {
        float *y = out->data;
        const float count = (float)call->n_inputs;
        for (int64_t i = 0; i < n; i++)
            y[i] /= count;
    } else {
        double *y = out->data;
        const double count = call->n_inputs;
        assert(out->dtype == DTYPE_DOUBLE); /* mean_info admits float and double */
        for (int64_t i = 0; i < n; i++)
            y[i] /= count;
    }
    return STATUS_OK;
}

status_t binary_mod_run(op_call_t *call, error_t *err)
{
    const binary_params_t *p = call->params;
    return binary_apply(call, p->fmod ? BINARY_FMOD : BINARY_MOD, err);
}

status_t binary_bit_shift_run(op_call_t *call, error_t *err)
{
    const binary_params_t *p = call->params;
    return binary_apply(call, p->shift_left ? BINARY_SHIFT_LEFT : BINARY_SHIFT_RIGHT, err);
}

status_t binary_bitwise_and_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_BITWISE_AND, err);
}

status_t binary_bitwise_or_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_BITWISE_OR, err);
}

status_t binary_bitwise_xor_run(op_call_t *call, error_t *err)
{
    return binary_apply(call, BINARY_BITWISE_XOR, err);
}

status_t binary_pow_run(op_call_t *call, error_t *err)
{
    const binary_params_t *p = call->params;
    tensor_t *out = &call->outputs[0];
    const tensor_t *pair[2];
    tensor_t b_view;
    bcast_plan_t plan;
    bcast_row_fn row;
    status_t st = bcast_pair_inputs(call, &p->legacy, &b_view, pair, err);

    if (st != STATUS_OK)
        return st;
    const void *data[2] = {pair[0]->data, pair[1]->data};
    const size_t sizes[2] = {dtype_size(pair[0]->dtype), dtype_size(pair[1]->dtype)};
    bcast_plan_init(&plan, 2, pair, out);
    row = binary_pow_row(pair[0]->dtype, pair[1]->dtype);
    assert(row != NULL);
    bcast_walk(&plan, row, plan.inner_step, out->data, sizes[0], data, sizes);
    return STATUS_OK;
}
