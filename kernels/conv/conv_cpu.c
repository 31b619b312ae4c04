/*
 * conv_cpu.c - Conv and ConvTranspose run: resolve the NCHW geometry from the
 * call, then hand raw buffers to the framework-free kernels in conv_f32.c
 * (float) or conv_f64.c (double).
 */
#include "conv.h"

static const void *bias_data(const op_call_t *call)
{
    return call->n_inputs > 2 && call->inputs[2] ? call->inputs[2]->data : NULL;
}

status_t conv_run(op_call_t *call, error_t *err)
{
    conv_geom_t g;
    tensor_t shape; /* equal to the output's: infer resolved the same call */
    status_t st = conv_resolve(call, false, &g, &shape, err);

    if (st)
        return st;
    if (tensor_numel(&shape) == 0)
        return STATUS_OK;
    if (call->inputs[0]->dtype == DTYPE_DOUBLE)
        conv_f64(&g, call->inputs[0]->data, call->inputs[1]->data, bias_data(call),
                 call->outputs[0].data, call->workspace);
    else
        conv_f32(&g, call->inputs[0]->data, call->inputs[1]->data, bias_data(call),
                 call->outputs[0].data, call->workspace);
    return STATUS_OK;
}

status_t conv_transpose_run(op_call_t *call, error_t *err)
{
    conv_geom_t g;
    tensor_t shape; /* equal to the output's: infer resolved the same call */
    status_t st = conv_resolve(call, true, &g, &shape, err);

    if (st)
        return st;
    if (tensor_numel(&shape) == 0)
        return STATUS_OK;
    if (call->inputs[0]->dtype == DTYPE_DOUBLE)
        conv_transpose_f64(&g, call->inputs[0]->data, call->inputs[1]->data, bias_data(call),
                           call->outputs[0].data, call->workspace);
    else
        conv_transpose_f32(&g, call->inputs[0]->data, call->inputs[1]->data, bias_data(call),
                           call->outputs[0].data, call->workspace);
    return STATUS_OK;
}
