#include "onehot.h"

#define ONEHOT_NUMERIC (DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t onehot_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {ONEHOT_NUMERIC, ONEHOT_NUMERIC, DTYPES_ALL},
    .layout = "any",
};

static status_t onehot_infer(op_call_t *call, error_t *err)
{
    const onehot_params_t *p = call->params;
    const tensor_t *indices = call->inputs[0], *depth_t = call->inputs[1];
    const tensor_t *values = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];
    int64_t depth;
    int axis;

    if (depth_t->rank > 1 || tensor_numel(depth_t) != 1)
        return op_call_fail(call, err, "depth must hold one value, got shape %s",
                            shape_format(depth_t->rank, depth_t->dims, buf, sizeof buf));
    if (values->rank != 1 || values->dims[0] != 2)
        return op_call_fail(call, err, "values must be [off, on], got shape %s",
                            shape_format(values->rank, values->dims, buf, sizeof buf));
    if (indices->rank + 1 > TENSOR_MAX_RANK)
        return op_call_fail(call, err, "indices of rank %d: the output would exceed rank %d",
                            indices->rank, TENSOR_MAX_RANK);
    if (!axis_normalize(p->axis, indices->rank, true, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for indices %s",
                            (long long)p->axis,
                            shape_format(indices->rank, indices->dims, buf, sizeof buf));
    depth = onehot_depth(depth_t);
    if (depth <= 0)
        return op_call_fail(call, err, "depth must be positive, got %lld", (long long)depth);
    y->dtype = values->dtype;
    y->rank = indices->rank + 1;
    y->data = NULL;
    for (int i = 0, j = 0; i < y->rank; i++)
        y->dims[i] = i == axis ? depth : indices->dims[j++];
    if (!shape_valid(y->rank, y->dims, &depth))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(y->rank, y->dims, buf, sizeof buf));
    call->workspace_size = (size_t)tensor_numel(indices) * sizeof(int64_t);
    return STATUS_OK;
}

/* The depth decides the output shape. */
const op_kernel_t onehot_kernel = {
    .name = "OneHot",
    .info = &onehot_info,
    .params_size = sizeof(onehot_params_t),
    .value_inputs = 1u << 1,
    .infer = onehot_infer,
    .run = onehot_run,
};
