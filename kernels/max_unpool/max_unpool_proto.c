#include "max_unpool.h"

static const op_info_t max_unpool_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE), DTYPE_BIT(DTYPE_INT64),
                     DTYPE_BIT(DTYPE_INT64)},
    .layout = "NCHW",
};

static status_t max_unpool_infer(op_call_t *call, error_t *err)
{
    const max_unpool_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1];
    const tensor_t *shape = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    int64_t def[TENSOR_MAX_RANK];

    if (x->rank != p->n_dims + 2)
        return op_call_fail(call, err, "X %s must be [N, C] and the %d dims of kernel_shape",
                            shape_format(x->rank, x->dims, a, sizeof a), p->n_dims);
    if (!shape_equal(x->rank, x->dims, indices->rank, indices->dims))
        return op_call_fail(call, err, "I %s must have X's shape %s",
                            shape_format(indices->rank, indices->dims, a, sizeof a),
                            shape_format(x->rank, x->dims, b, sizeof b));
    max_unpool_default_shape(p, x->rank, x->dims, def);
    for (int d = 2; d < x->rank; d++)
        if (def[d] < 0 || (def[d] == 0 && x->dims[d] > 0))
            return op_call_fail(call, err, "the pads leave no output along dim %d of X %s", d,
                                shape_format(x->rank, x->dims, a, sizeof a));
    y->dtype = x->dtype;
    y->rank = x->rank;
    for (int d = 0; d < x->rank; d++)
        y->dims[d] = def[d];
    if (shape) {
        if (!shape->data)
            return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                           "output_shape must be known while planning");
        if (shape->rank != 1 || shape->dims[0] != x->rank)
            return op_call_fail(call, err, "output_shape %s must hold %d dims",
                                shape_format(shape->rank, shape->dims, a, sizeof a), x->rank);
        for (int d = 0; d < x->rank; d++) {
            const int64_t v = ((const int64_t *)shape->data)[d];
            if (d < 2 ? v != def[d] : v < 0)
                return op_call_fail(call, err, "output_shape dim %d is %lld; it must be %s", d,
                                    (long long)v, d < 2 ? "X's" : "non-negative");
            y->dims[d] = v;
        }
    }
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(y->rank, y->dims, a, sizeof a));
    return STATUS_OK;
}

const op_kernel_t max_unpool_kernel = {
    .name = "MaxUnpool",
    .info = &max_unpool_info,
    .params_size = sizeof(max_unpool_params_t),
    .value_inputs = 1u << 2,
    .infer = max_unpool_infer,
    .run = max_unpool_run,
};
