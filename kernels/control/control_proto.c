/*
 * Prototypes of If, Loop and Scan: every output is dynamic, and its dtype
 * too is only known once a subgraph ran (subgraph outputs may leave their
 * types undeclared), so infer checks the formal inputs and leaves the rest
 * to the run.
 */
#include "control.h"

static const op_info_t control_info = {
    .min_inputs = 0,
    .max_inputs = -1, /* formal inputs, then the outer-scope values subgraphs read */
    .min_outputs = 0,
    .max_outputs = -1,
    .layout = "any",
};

static status_t control_infer_outputs(op_call_t *call)
{
    for (int k = 0; k < call->n_outputs; k++) {
        call->outputs[k].dtype = DTYPE_UNDEFINED;
        call->outputs[k].rank = 0;
    }
    return STATUS_OK;
}

static status_t if_infer(op_call_t *call, error_t *err)
{
    const tensor_t *cond = call->inputs[0];
    char text[SHAPE_TEXT_MAX];

    if (!cond || cond->dtype != DTYPE_BOOL || tensor_numel(cond) != 1)
        return op_call_fail(call, err, "input 'cond' must be one bool, got shape %s",
                            cond ? shape_format(cond->rank, cond->dims, text, sizeof text)
                                 : "none");
    return control_infer_outputs(call);
}

static status_t loop_infer(op_call_t *call, error_t *err)
{
    const tensor_t *m = call->n_inputs > 0 ? call->inputs[0] : NULL;
    const tensor_t *cond = call->n_inputs > 1 ? call->inputs[1] : NULL;

    if (m && (m->dtype != DTYPE_INT64 || tensor_numel(m) != 1))
        return op_call_fail(call, err, "input 'M' must be one int64");
    if (cond && (cond->dtype != DTYPE_BOOL || tensor_numel(cond) != 1))
        return op_call_fail(call, err, "input 'cond' must be one bool");
    return control_infer_outputs(call);
}

static status_t scan_infer(op_call_t *call, error_t *err)
{
    (void)err;
    return control_infer_outputs(call);
}

#define ALL_OUTPUTS 0xffffffffu

const op_kernel_t if_kernel = {
    .name = "If",
    .info = &control_info,
    .params_size = sizeof(if_params_t),
    .dynamic_outputs = ALL_OUTPUTS,
    .subgraphs = true,
    .infer = if_infer,
    .run = if_run,
};

const op_kernel_t loop_kernel = {
    .name = "Loop",
    .info = &control_info,
    .params_size = sizeof(loop_params_t),
    .dynamic_outputs = ALL_OUTPUTS,
    .subgraphs = true,
    .infer = loop_infer,
    .run = loop_run,
};

const op_kernel_t scan_kernel = {
    .name = "Scan",
    .info = &control_info,
    .params_size = sizeof(scan_params_t),
    .dynamic_outputs = ALL_OUTPUTS,
    .subgraphs = true,
    .infer = scan_infer,
    .run = scan_run,
};
