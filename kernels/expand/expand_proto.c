#include "expand.h"

#include <assert.h>

static const op_info_t expand_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t expand_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *shape = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    int64_t dims[TENSOR_MAX_RANK] = {0};
    char in_text[SHAPE_TEXT_MAX], shape_text[SHAPE_TEXT_MAX];
    int n;

    assert(shape->data);
    if (shape->rank != 1)
        return op_call_fail(call, err, "input 'shape' must be 1-D, got shape %s",
                            shape_format(shape->rank, shape->dims, shape_text, sizeof shape_text));
    if (shape->dims[0] > TENSOR_MAX_RANK)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "input 'shape' has %lld dims, at most %d supported",
                       (long long)shape->dims[0], TENSOR_MAX_RANK);
    n = (int)shape->dims[0];
    for (int i = 0; i < n; i++)
        dims[i] = tensor_get_index(shape, i);
    shape_format(n, dims, shape_text, sizeof shape_text);
    for (int i = 0; i < n; i++)
        if (dims[i] < 0)
            return op_call_fail(call, err, "shape %s has a negative dim", shape_text);
    y->dtype = x->dtype;
    if (!shape_broadcast(x->rank, x->dims, n, dims, &y->rank, y->dims))
        return op_call_fail(call, err, "input of shape %s cannot be broadcast to shape %s",
                            shape_format(x->rank, x->dims, in_text, sizeof in_text), shape_text);
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "shape %s exceeds %lld elements", shape_text,
                            (long long)TENSOR_MAX_ELEMENTS);
    return STATUS_OK;
}

const op_kernel_t expand_kernel = {
    .name = "Expand",
    .info = &expand_info,
    .value_inputs = 1u << 1,
    .infer = expand_infer,
    .run = expand_run,
};
