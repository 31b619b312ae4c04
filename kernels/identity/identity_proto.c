#include "identity.h"

static const op_info_t identity_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

static const op_info_t dropout_info = {
    .min_inputs = 1,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 2,
    /* data T and ratio T1 are float or double, independently (dropout_ratio) */
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE), DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE),
                     DTYPES_BOOL},
    .layout = "any",
};

static status_t dropout_infer(op_call_t *call, error_t *err)
{
    const dropout_params_t *p = call->params;
    const tensor_t *ratio_input = call->n_inputs > 1 ? call->inputs[1] : NULL;
    const tensor_t *training = call->n_inputs > 2 ? call->inputs[2] : NULL;
    float ratio = p->ratio;

    if (ratio_input)
        ratio = dropout_ratio(ratio_input);
    /* The kept elements are scaled by 1 / (1 - ratio): ratio 1 has no scale. */
    if (training && *(const bool *)training->data && !(ratio >= 0.0f && ratio < 1.0f))
        return op_fail(err, STATUS_INVALID_ARGUMENT, call->op_type, call->node,
                       "ratio %g is outside [0, 1) in training mode", ratio);
    call->outputs[0] = *call->inputs[0];
    call->outputs[0].data = NULL;
    if (call->n_outputs > 1) {
        call->outputs[1] = call->outputs[0];
        call->outputs[1].dtype = p->legacy_mask ? call->inputs[0]->dtype : DTYPE_BOOL;
    }
    return STATUS_OK;
}

const op_kernel_t identity_kernel = {
    .name = "Identity",
    .info = &identity_info,
    .infer = op_infer_same_as_input,
    .run = identity_run,
};

const op_kernel_t dropout_kernel = {
    .name = "Dropout",
    .info = &dropout_info,
    .params_size = sizeof(dropout_params_t),
    /* ratio and training_mode are checked when planning. */
    .value_inputs = (1u << 1) | (1u << 2),
    /* In training mode it draws a mask; inference Dropout is removed before folding. */
    .random = true,
    .infer = dropout_infer,
    .run = dropout_run,
};
