#include "gather_elements.h"

static const op_info_t gather_elements_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPES_INDEX},
    .layout = "any",
};

static status_t gather_elements_infer(op_call_t *call, error_t *err)
{
    const gather_elements_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    int axis;

    if (x->rank < 1 || indices->rank != x->rank)
        return op_call_fail(call, err, "indices %s must have the rank of data %s (at least 1)",
                            shape_format(indices->rank, indices->dims, a, sizeof a),
                            shape_format(x->rank, x->dims, b, sizeof b));
    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for data of shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, a, sizeof a));
    /* Every coordinate but the axis's is used as is, so it must exist in data. */
    for (int d = 0; d < x->rank; d++)
        if (d != axis && indices->dims[d] > x->dims[d])
            return op_call_fail(call, err,
                                "indices %s exceed data %s along dim %d (not the axis %d)",
                                shape_format(indices->rank, indices->dims, a, sizeof a),
                                shape_format(x->rank, x->dims, b, sizeof b), d, axis);
    if (x->dims[axis] == 0 && tensor_numel(indices) > 0)
        return op_call_fail(call, err, "indices into an empty axis %d of data %s", axis,
                            shape_format(x->rank, x->dims, b, sizeof b));
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
    y->dtype = x->dtype;
    y->rank = indices->rank;
    for (int d = 0; d < y->rank; d++)
        y->dims[d] = indices->dims[d];
    return STATUS_OK;
}

const op_kernel_t gather_elements_kernel = {
    .name = "GatherElements",
    .info = &gather_elements_info,
    .params_size = sizeof(gather_elements_params_t),
    .infer = gather_elements_infer,
    .run = gather_elements_run,
};
