#include "lp.h"

#define LP_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t lp_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {LP_REALS},
    .layout = "NCHW",
};

static const op_info_t lp_normalization_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {LP_REALS},
    .layout = "any",
};

static status_t lp_pool_infer(op_call_t *call, error_t *err)
{
    const lp_params_t *p = call->params;
    op_call_t pool_call = *call;
    pool_window_t w;
    int64_t planes;
    status_t st;

    pool_call.params = &p->pool;
    st = pool_resolve(&pool_call, &w, &planes, &call->outputs[0], err);
    if (st != STATUS_OK)
        return st;
    call->workspace_size = (size_t)pool_spans_count(&w) * sizeof(pool_span_t);
    return STATUS_OK;
}

static status_t global_lp_pool_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];

    if (x->rank < 3)
        return op_call_fail(call, err, "input must be [N, C, spatial...], got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    *y = *x;
    y->data = NULL;
    for (int d = 2; d < x->rank; d++)
        y->dims[d] = 1;
    return STATUS_OK;
}

static status_t lp_normalization_infer(op_call_t *call, error_t *err)
{
    const lp_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    char buf[SHAPE_TEXT_MAX];
    int axis;

    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input %s", (long long)p->axis,
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    return op_infer_same_as_input(call, err);
}

const op_kernel_t lp_pool_kernel = {
    .name = "LpPool",
    .info = &lp_info,
    .params_size = sizeof(lp_params_t),
    .infer = lp_pool_infer,
    .run = lp_pool_run,
};

const op_kernel_t global_lp_pool_kernel = {
    .name = "GlobalLpPool",
    .info = &lp_info,
    .params_size = sizeof(lp_params_t),
    .infer = global_lp_pool_infer,
    .run = global_lp_pool_run,
};

const op_kernel_t lp_normalization_kernel = {
    .name = "LpNormalization",
    .info = &lp_normalization_info,
    .params_size = sizeof(lp_params_t),
    .infer = lp_normalization_infer,
    .run = lp_normalization_run,
};
