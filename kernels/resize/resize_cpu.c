/*
 * resize_cpu.c - Resize and Upsample run: resolve the geometry from the call
 * and hand raw buffers to resize_nd.
 */
#include "resize.h"

#include <assert.h>

status_t resize_run(op_call_t *call, error_t *err)
{
    const resize_params_t *p = call->params;
    const double extrapolation = p->config.extrapolation_value; /* for double data */
    resize_geom_t g;
    tensor_t shape; /* equal to the output's: infer resolved the same call */
    status_t st = resize_resolve(call, &g, &shape, err);

    if (st)
        return st;
    assert(call->workspace_size >= resize_workspace(&g));
    /* The prototype allows extrapolation (tf_crop_and_resize) on float and double only. */
    resize_nd(&p->config, &g,
              call->inputs[0]->dtype == DTYPE_DOUBLE ? (const void *)&extrapolation
                                                     : (const void *)&p->config.extrapolation_value,
              call->inputs[0]->data, call->outputs[0].data, call->workspace);
    return STATUS_OK;
}
