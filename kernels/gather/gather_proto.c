#include "gather.h"

#include "half.h"

#include <string.h>

static const op_info_t gather_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPES_INDEX},
    .layout = "any",
};

status_t gather_indices(const op_call_t *call, int64_t axis_dim, int64_t *out, error_t *err)
{
    const tensor_t *indices = call->inputs[1];
    int64_t n = tensor_numel(indices);

    for (int64_t k = 0; k < n; k++) {
        int64_t v = tensor_get_index(indices, k);
        if (v < -axis_dim || v >= axis_dim)
            return op_call_fail(call, err,
                                "index %lld (element %lld of 'indices') is out of range for an "
                                "axis of size %lld",
                                (long long)v, (long long)k, (long long)axis_dim);
        if (out)
            out[k] = v < 0 ? v + axis_dim : v;
    }
    return STATUS_OK;
}

static status_t gather_infer(op_call_t *call, error_t *err)
{
    const gather_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *indices = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char text[SHAPE_TEXT_MAX];
    int axis;

    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for data of shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, text, sizeof text));
    if (x->rank - 1 + indices->rank > TENSOR_MAX_RANK)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "output rank %d exceeds %d", x->rank - 1 + indices->rank, TENSOR_MAX_RANK);
    /* Known indices fail while planning rather than on the first request. */
    if (indices->data) {
        status_t st = gather_indices(call, x->dims[axis], NULL, err);
        if (st != STATUS_OK)
            return st;
    }
    /* A half table (an embedding the half pass kept half: half_inputs) gives float rows. */
    y->dtype = dtype_is_half(x->dtype) ? DTYPE_FLOAT : x->dtype;
    y->rank = 0;
    for (int i = 0; i < axis; i++)
        y->dims[y->rank++] = x->dims[i];
    for (int i = 0; i < indices->rank; i++)
        y->dims[y->rank++] = indices->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        y->dims[y->rank++] = x->dims[i];
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s exceeds %lld elements",
                            shape_format(y->rank, y->dims, text, sizeof text),
                            (long long)TENSOR_MAX_ELEMENTS);
    call->workspace_size = (size_t)tensor_numel(indices) * sizeof(int64_t);
    return STATUS_OK;
}

/*
 * Rows of the indices are rows of the output when gathering along axis 0
 * from a known table (an embedding): the output is indices.shape + the
 * table's other dims.
 */
static bool gather_batch_rows(const op_call_t *call)
{
    const gather_params_t *p = call->params;
    const tensor_t *data = call->inputs[0];
    int axis;

    return data->data && axis_normalize(p->axis, data->rank, false, &axis) && axis == 0;
}

const op_kernel_t gather_kernel = {
    .name = "Gather",
    .info = &gather_info,
    .params_size = sizeof(gather_params_t),
    .infer = gather_infer,
    .run = gather_run,
    .batch_inputs = 1u << 1,
    .batch_rows = gather_batch_rows,
    /*
     * A half table stays half (an embedding at half size) and its rows are
     * widened as they are gathered; engine/half.c makes every value a half
     * model computes float, so a half Gather output would be the odd one.
     */
    .half_inputs = 1u << 0,
};
