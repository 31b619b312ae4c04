#include "constant.h"

static const op_info_t constant_info = {
    .min_inputs = 0,
    .max_inputs = 0,
    .min_outputs = 1,
    .max_outputs = 1,
    .layout = "any",
};

static const op_info_t constant_of_shape_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t constant_infer(op_call_t *call, error_t *err)
{
    const constant_params_t *p = call->params;

    call->outputs[0] = p->value;
    call->outputs[0].data = NULL;
    return STATUS_OK;
}

static status_t constant_of_shape_infer(op_call_t *call, error_t *err)
{
    const constant_of_shape_params_t *p = call->params;
    const tensor_t *shape = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char text[SHAPE_TEXT_MAX];
    int64_t n = tensor_numel(shape);

    if (shape->rank != 1)
        return op_call_fail(call, err, "input must be 1-D, got shape %s",
                            shape_format(shape->rank, shape->dims, text, sizeof text));
    if (n > TENSOR_MAX_RANK)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "output rank %lld exceeds %d", (long long)n, TENSOR_MAX_RANK);
    y->dtype = p->dtype;
    y->rank = (int)n;
    for (int i = 0; i < y->rank; i++)
        y->dims[i] = tensor_get_index(shape, i);
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "invalid output shape %s",
                            shape_format(y->rank, y->dims, text, sizeof text));
    return STATUS_OK;
}

const op_kernel_t constant_kernel = {
    .name = "Constant",
    .info = &constant_info,
    .params_size = sizeof(constant_params_t),
    .infer = constant_infer,
    .run = constant_run,
};

const op_kernel_t constant_of_shape_kernel = {
    .name = "ConstantOfShape",
    .info = &constant_of_shape_info,
    .params_size = sizeof(constant_of_shape_params_t),
    .value_inputs = 1u << 0,
    .infer = constant_of_shape_infer,
    .run = constant_of_shape_run,
};
