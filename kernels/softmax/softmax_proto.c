#include "softmax.h"

#include <assert.h>

static const op_info_t softmax_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

static const op_info_t hardmax_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

bool softmax_geometry(const softmax_params_t *p, const tensor_t *x, int64_t *outer, int64_t *n,
                      int64_t *inner)
{
    int axis;

    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return false;
    *outer = 1;
    *n = 1;
    *inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            *outer *= x->dims[i];
        else if (i == axis || p->coerce_2d)
            *n *= x->dims[i];
        else
            *inner *= x->dims[i];
    }
    return true;
}

static status_t softmax_infer(op_call_t *call, error_t *err)
{
    const softmax_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t outer, n, inner;
    char buf[SHAPE_TEXT_MAX];

    if (!softmax_geometry(p, x, &outer, &n, &inner))
        return op_call_fail(call, err, "axis %lld is out of range for input %s", (long long)p->axis,
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    call->outputs[0] = *x;
    call->outputs[0].data = NULL;
    call->workspace_size = inner > 1 ? 2 * (size_t)inner * sizeof(float) : 0;
    return STATUS_OK;
}

static status_t hardmax_infer(op_call_t *call, error_t *err)
{
    int64_t outer = 1, n = 1, inner = 1;
    bool ok;
    status_t st = softmax_infer(call, err);

    if (st != STATUS_OK)
        return st;
    ok = softmax_geometry(call->params, call->inputs[0], &outer, &n, &inner);
    assert(ok); /* softmax_infer has checked the axis */
    (void)ok;
    call->workspace_size = (size_t)inner * (sizeof(int64_t) + dtype_size(call->inputs[0]->dtype));
    return STATUS_OK;
}

const op_kernel_t softmax_kernel = {
    .name = "Softmax",
    .info = &softmax_info,
    .params_size = sizeof(softmax_params_t),
    .infer = softmax_infer,
    .run = softmax_run,
};

const op_kernel_t log_softmax_kernel = {
    .name = "LogSoftmax",
    .info = &softmax_info,
    .params_size = sizeof(softmax_params_t),
    .infer = softmax_infer,
    .run = log_softmax_run,
};

const op_kernel_t hardmax_kernel = {
    .name = "Hardmax",
    .info = &hardmax_info,
    .params_size = sizeof(softmax_params_t),
    .infer = hardmax_infer,
    .run = hardmax_run,
};
