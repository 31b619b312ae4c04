#include "gather_nd.h"

static const op_info_t gather_nd_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t gather_nd_infer(op_call_t *call, error_t *err)
{
    const gather_nd_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    const int r = x->rank, q = indices->rank;
    int64_t k;

    if (r < 1 || q < 1)
        return op_call_fail(call, err, "data %s and indices %s must have rank 1 or more",
                            shape_format(r, x->dims, a, sizeof a),
                            shape_format(q, indices->dims, b, sizeof b));
    if (p->batch_dims < 0 || p->batch_dims >= (r < q ? r : q))
        return op_call_fail(call, err,
                            "batch_dims %lld must be below the ranks of data (%d) and indices (%d)",
                            (long long)p->batch_dims, r, q);
    for (int d = 0; d < p->batch_dims; d++)
        if (x->dims[d] != indices->dims[d])
            return op_call_fail(call, err, "batch dim %d differs: data %s, indices %s", d,
                                shape_format(r, x->dims, a, sizeof a),
                                shape_format(q, indices->dims, b, sizeof b));
    k = indices->dims[q - 1];
    if (k < 1 || k > r - p->batch_dims)
        return op_call_fail(call, err,
                            "the last dim of indices %s (%lld) must be in [1, %lld] for data %s "
                            "and batch_dims %lld",
                            shape_format(q, indices->dims, b, sizeof b), (long long)k,
                            (long long)(r - p->batch_dims), shape_format(r, x->dims, a, sizeof a),
                            (long long)p->batch_dims);
    if (q - 1 + r - k - p->batch_dims > TENSOR_MAX_RANK)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "output rank %lld exceeds %d", (long long)(q - 1 + r - k - p->batch_dims),
                       TENSOR_MAX_RANK);
    y->dtype = x->dtype;
    y->rank = 0;
    for (int d = 0; d < q - 1; d++)
        y->dims[y->rank++] = indices->dims[d];
    for (int64_t d = p->batch_dims + k; d < r; d++)
        y->dims[y->rank++] = x->dims[d];
    /* Known indices fail while planning rather than on the first request. */
    if (indices->data) {
        nd_index_plan_t plan;
        nd_index_plan_init(&plan, r, x->dims, q, indices->dims, (int)p->batch_dims);
        for (int64_t row = 0; row < plan.batches * plan.tuples; row++) {
            int64_t bad = -1;
            if (nd_index_offset(&plan, indices, row, &bad) < 0)
                return op_call_fail(call, err,
                                    "index %lld (element %lld of 'indices') is out of range for "
                                    "dim %lld of data %s",
                                    (long long)tensor_get_index(indices, bad), (long long)bad,
                                    (long long)(p->batch_dims + bad % k),
                                    shape_format(r, x->dims, a, sizeof a));
        }
    }
    return STATUS_OK;
}

const op_kernel_t gather_nd_kernel = {
    .name = "GatherND",
    .info = &gather_nd_info,
    .params_size = sizeof(gather_nd_params_t),
    .infer = gather_nd_infer,
    .run = gather_nd_run,
};
