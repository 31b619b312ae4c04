#include "cast.h"

/*
 * Types a model may name that inferd holds no tensors of. The info table
 * admits them so that the prototype, not a generic dtype check, explains.
 */
#define DTYPES_UNHELD                                                                              \
    (DTYPE_BIT(DTYPE_FLOAT16) | DTYPE_BIT(DTYPE_BFLOAT16) | DTYPE_BIT(DTYPE_STRING))

static const op_info_t cast_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL | DTYPES_UNHELD},
    .layout = "any",
};

static const op_info_t cast_like_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL | DTYPES_UNHELD, DTYPES_ALL | DTYPES_UNHELD},
    .layout = "any",
};

static status_t infer_cast_to(op_call_t *call, dtype_t to, error_t *err)
{
    const dtype_t from = call->inputs[0]->dtype;

    if (!cast_function(from, to))
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "cast from %s to %s is not supported: inferd holds no %s tensors",
                       dtype_name(from), dtype_name(to), dtype_name(dtype_size(from) ? to : from));
    call->outputs[0] = *call->inputs[0];
    call->outputs[0].dtype = to;
    call->outputs[0].data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}

static status_t cast_infer(op_call_t *call, error_t *err)
{
    const cast_params_t *p = call->params;
    return infer_cast_to(call, p->to, err);
}

static status_t cast_like_infer(op_call_t *call, error_t *err)
{
    return infer_cast_to(call, call->inputs[1]->dtype, err);
}

const op_kernel_t cast_kernel = {
    .name = "Cast",
    .info = &cast_info,
    .params_size = sizeof(cast_params_t),
    .infer = cast_infer,
    .run = cast_run,
    .batch_inputs = 1u << 0,
};

const op_kernel_t cast_like_kernel = {
    .name = "CastLike",
    .info = &cast_like_info,
    .infer = cast_like_infer,
    .run = cast_run,
};
