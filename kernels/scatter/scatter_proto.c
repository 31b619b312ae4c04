/* Prototypes of ScatterElements (Scatter) and ScatterND. */
#include "scatter.h"

#include "gather_nd/gather_nd.h"

static const op_info_t scatter_elements_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPES_INDEX, DTYPES_ALL},
    .layout = "any",
};

static const op_info_t scatter_nd_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64), DTYPES_ALL},
    .layout = "any",
};

/* Checks what both ops share: the updates' dtype and the reduction's on it. */
static status_t check_updates(op_call_t *call, error_t *err)
{
    const scatter_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *updates = call->inputs[2];

    if (updates->dtype != x->dtype)
        return op_call_fail(call, err, "updates have dtype %s, data %s", dtype_name(updates->dtype),
                            dtype_name(x->dtype));
    if (!scatter_combine_function(x->dtype, p->reduction))
        return op_call_fail(call, err, "the reduction does not apply to dtype %s",
                            dtype_name(x->dtype));
    return STATUS_OK;
}

static status_t scatter_elements_infer(op_call_t *call, error_t *err)
{
    const scatter_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    status_t st = check_updates(call, err);
    int axis;

    if (st != STATUS_OK)
        return st;
    if (x->rank < 1 || indices->rank != x->rank)
        return op_call_fail(call, err, "indices %s must have the rank of data %s (at least 1)",
                            shape_format(indices->rank, indices->dims, a, sizeof a),
                            shape_format(x->rank, x->dims, b, sizeof b));
    if (!shape_equal(indices->rank, indices->dims, updates->rank, updates->dims))
        return op_call_fail(call, err, "updates %s must have the shape of indices %s",
                            shape_format(updates->rank, updates->dims, a, sizeof a),
                            shape_format(indices->rank, indices->dims, b, sizeof b));
    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for data of shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, a, sizeof a));
    for (int d = 0; d < x->rank; d++)
        if (d != axis && indices->dims[d] > x->dims[d])
            return op_call_fail(call, err,
                                "indices %s exceed data %s along dim %d (not the axis %d)",
                                shape_format(indices->rank, indices->dims, a, sizeof a),
                                shape_format(x->rank, x->dims, b, sizeof b), d, axis);
    /* Known indices fail while planning rather than on the first request. */
    if (indices->data) {
        const int64_t n = tensor_numel(indices), dim = x->dims[axis];
        for (int64_t i = 0; i < n; i++) {
            int64_t v = tensor_get_index(indices, i);
            if (v < -dim || v >= dim)
                return op_call_fail(call, err,
                                    "index %lld (element %lld of 'indices') is out of range for "
                                    "an axis of size %lld",
                                    (long long)v, (long long)i, (long long)dim);
        }
    }
    return op_infer_same_as_input(call, err);
}

static status_t scatter_nd_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX], c[SHAPE_TEXT_MAX];
    int64_t want[TENSOR_MAX_RANK];
    int want_rank = 0;
    status_t st = check_updates(call, err);
    int64_t k;

    if (st != STATUS_OK)
        return st;
    if (x->rank < 1 || indices->rank < 1)
        return op_call_fail(call, err, "data %s and indices %s must have rank 1 or more",
                            shape_format(x->rank, x->dims, a, sizeof a),
                            shape_format(indices->rank, indices->dims, b, sizeof b));
    k = indices->dims[indices->rank - 1];
    if (k < 1 || k > x->rank)
        return op_call_fail(call, err,
                            "the last dim of indices %s (%lld) must be in [1, %d] for data %s",
                            shape_format(indices->rank, indices->dims, b, sizeof b), (long long)k,
                            x->rank, shape_format(x->rank, x->dims, a, sizeof a));
    /* updates = indices.shape[:-1] + data.shape[k:] */
    for (int d = 0; d < indices->rank - 1; d++)
        want[want_rank++] = indices->dims[d];
    for (int64_t d = k; d < x->rank && want_rank < TENSOR_MAX_RANK; d++)
        want[want_rank++] = x->dims[d];
    if (indices->rank - 1 + x->rank - k > TENSOR_MAX_RANK ||
        !shape_equal(updates->rank, updates->dims, want_rank, want))
        return op_call_fail(call, err,
                            "updates %s must be indices.shape[:-1] + data.shape[%lld:] for "
                            "indices %s and data %s",
                            shape_format(updates->rank, updates->dims, c, sizeof c), (long long)k,
                            shape_format(indices->rank, indices->dims, b, sizeof b),
                            shape_format(x->rank, x->dims, a, sizeof a));
    if (indices->data) {
        nd_index_plan_t plan;
        nd_index_plan_init(&plan, x->rank, x->dims, indices->rank, indices->dims, 0);
        for (int64_t row = 0; row < plan.tuples; row++) {
            int64_t bad = -1;
            if (nd_index_offset(&plan, indices, row, &bad) < 0)
                return op_call_fail(call, err,
                                    "index %lld (element %lld of 'indices') is out of range for "
                                    "dim %lld of data %s",
                                    (long long)tensor_get_index(indices, bad), (long long)bad,
                                    (long long)(bad % k),
                                    shape_format(x->rank, x->dims, a, sizeof a));
        }
    }
    return op_infer_same_as_input(call, err);
}

/* The output starts as a copy of data, which it may simply be. */
const op_kernel_t scatter_elements_kernel = {
    .name = "ScatterElements",
    .info = &scatter_elements_info,
    .params_size = sizeof(scatter_params_t),
    .infer = scatter_elements_infer,
    .run = scatter_elements_run,
    .inplace_inputs = 1u << 0,
};

const op_kernel_t scatter_nd_kernel = {
    .name = "ScatterND",
    .info = &scatter_nd_info,
    .params_size = sizeof(scatter_params_t),
    .infer = scatter_nd_infer,
    .run = scatter_nd_run,
    .inplace_inputs = 1u << 0,
};
