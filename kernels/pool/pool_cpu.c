/*
 * pool_cpu.c - pooling run functions: resolve the NCHW window from the call,
 * build the span tables in the workspace, call the framework-free kernels.
 */
#include "pool.h"

#include <assert.h>

static const pool_span_t *resolve_spans(op_call_t *call, pool_window_t *w, int64_t *planes,
                                        error_t *err)
{
    tensor_t shape; /* equal to the output's: infer resolved the same call */

    if (pool_resolve(call, w, planes, &shape, err))
        return NULL;
    assert(call->workspace_size >= (size_t)pool_spans_count(w) * sizeof(pool_span_t));
    pool_spans(w, call->workspace);
    return call->workspace;
}

status_t max_pool_run(op_call_t *call, error_t *err)
{
    const pool_params_t *p = call->params;
    const void *x = call->inputs[0]->data;
    void *y = call->outputs[0].data;
    int64_t *indices = call->n_outputs > 1 ? call->outputs[1].data : NULL;
    pool_window_t w;
    int64_t planes;
    const pool_span_t *spans = resolve_spans(call, &w, &planes, err);

    if (!spans)
        return err->code;
    switch (call->inputs[0]->dtype) {
    case DTYPE_UINT8:
        pool_max_u8(&w, spans, planes, x, y, indices, p->column_major);
        break;
    case DTYPE_INT8:
        pool_max_i8(&w, spans, planes, x, y, indices, p->column_major);
        break;
    case DTYPE_DOUBLE:
        pool_max_f64(&w, spans, planes, x, y, indices, p->column_major);
        break;
    default:
        assert(call->inputs[0]->dtype == DTYPE_FLOAT);
        pool_max_f32(&w, spans, planes, x, y, indices, p->column_major);
        break;
    }
    return STATUS_OK;
}

status_t average_pool_run(op_call_t *call, error_t *err)
{
    const pool_params_t *p = call->params;
    pool_window_t w;
    int64_t planes;
    const pool_span_t *spans = resolve_spans(call, &w, &planes, err);

    if (!spans)
        return err->code;
    if (call->inputs[0]->dtype == DTYPE_DOUBLE)
        pool_average_f64(&w, spans, planes, p->count_include_pad, call->inputs[0]->data,
                         call->outputs[0].data);
    else
        pool_average_f32(&w, spans, planes, p->count_include_pad, call->inputs[0]->data,
                         call->outputs[0].data);
    return STATUS_OK;
}

static int64_t plane_size(const tensor_t *x)
{
    int64_t size = 1;
    for (int i = 2; i < x->rank; i++)
        size *= x->dims[i];
    return size;
}

status_t global_max_pool_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    if (x->dtype == DTYPE_DOUBLE)
        pool_global_max_f64(x->dims[0] * x->dims[1], plane_size(x), x->data, call->outputs[0].data);
    else
        pool_global_max_f32(x->dims[0] * x->dims[1], plane_size(x), x->data, call->outputs[0].data);
    return STATUS_OK;
}

status_t global_average_pool_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    if (x->dtype == DTYPE_DOUBLE)
        pool_global_average_f64(x->dims[0] * x->dims[1], plane_size(x), x->data,
                                call->outputs[0].data);
    else
        pool_global_average_f32(x->dims[0] * x->dims[1], plane_size(x), x->data,
                                call->outputs[0].data);
    return STATUS_OK;
}
