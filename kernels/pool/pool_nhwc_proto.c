/* pool_nhwc_proto.c - prototypes of the channels-last pooling ops: pool.h's checks, permuted. */
#include "pool_nhwc.h"

static const op_info_t pool_nhwc_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT},
    .layout = "NHWC",
};

/* MaxPool takes 8-bit tensors too: a QDQ model's quantized activations. */
static const op_info_t max_pool_nhwc_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_UINT8) | DTYPE_BIT(DTYPE_INT8)},
    .layout = "NHWC",
};

status_t pool_nhwc_resolve(const op_call_t *call, pool_window_t *w, tensor_t *out, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t x_nchw = *x, y_nchw;
    const tensor_t *inputs[1] = {&x_nchw};
    op_call_t nchw = *call;
    char xs[SHAPE_TEXT_MAX];
    int64_t planes;
    status_t st;

    if (x->rank != 4)
        return op_call_fail(call, err, "input X %s must have rank 4 (N, H, W, C)",
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    x_nchw.dims[1] = x->dims[3];
    x_nchw.dims[2] = x->dims[1];
    x_nchw.dims[3] = x->dims[2];
    nchw.inputs = inputs;
    if ((st = pool_resolve(&nchw, w, &planes, &y_nchw, err)))
        return st;
    *out = *x;
    out->data = NULL;
    out->dims[1] = y_nchw.dims[2];
    out->dims[2] = y_nchw.dims[3];
    return STATUS_OK;
}

static status_t window_infer(op_call_t *call, error_t *err)
{
    pool_window_t w;
    status_t st = pool_nhwc_resolve(call, &w, &call->outputs[0], err);

    if (!st)
        call->workspace_size = (size_t)pool_spans_count(&w) * sizeof(pool_span_t);
    return st;
}

static status_t global_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    char xs[SHAPE_TEXT_MAX];

    if (x->rank != 4)
        return op_call_fail(call, err, "input X %s must have rank 4 (N, H, W, C)",
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    call->outputs[0] = *x;
    call->outputs[0].data = NULL;
    call->outputs[0].dims[1] = call->outputs[0].dims[2] = 1;
    return STATUS_OK;
}

static const op_kernel_t max_pool_nhwc_kernel = {
    .name = MAX_POOL_NHWC_OP,
    .info = &max_pool_nhwc_info,
    .params_size = sizeof(pool_params_t),
    .infer = window_infer,
    .run = max_pool_nhwc_run,
    .batch_inputs = 1u << 0,
};

static const op_kernel_t average_pool_nhwc_kernel = {
    .name = AVERAGE_POOL_NHWC_OP,
    .info = &pool_nhwc_info,
    .params_size = sizeof(pool_params_t),
    .infer = window_infer,
    .run = average_pool_nhwc_run,
    .batch_inputs = 1u << 0,
};

static const op_kernel_t global_average_pool_nhwc_kernel = {
    .name = GLOBAL_AVERAGE_POOL_NHWC_OP,
    .info = &pool_nhwc_info,
    .infer = global_infer,
    .run = global_average_pool_nhwc_run,
    .batch_inputs = 1u << 0,
};

const op_schema_t max_pool_nhwc_schema = {MAX_POOL_NHWC_OP, OPSET_MIN, OPSET_MAX, NULL,
                                          &max_pool_nhwc_kernel};
const op_schema_t average_pool_nhwc_schema = {AVERAGE_POOL_NHWC_OP, OPSET_MIN, OPSET_MAX, NULL,
                                              &average_pool_nhwc_kernel};
const op_schema_t global_average_pool_nhwc_schema = {
    GLOBAL_AVERAGE_POOL_NHWC_OP, OPSET_MIN, OPSET_MAX, NULL, &global_average_pool_nhwc_kernel};
