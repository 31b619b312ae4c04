/*
 * pool_proto.c - pooling prototypes: attribute checks against the input
 * rank, padding (explicit or auto_pad), ceil_mode output sizes.
 */
#include "pool.h"

static const op_info_t max_pool_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 2,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPE_BIT(DTYPE_UINT8) |
                     DTYPE_BIT(DTYPE_INT8)},
    .layout = "NCHW",
};

static const op_info_t average_pool_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "NCHW",
};

static status_t check_attrs(const op_call_t *call, int nd, error_t *err)
{
    const pool_params_t *p = call->params;
    status_t st;

    if (p->n_kernel_shape <= 0)
        return op_call_fail(call, err, "attribute 'kernel_shape' is required");
    if ((st = window_check_list(call, "kernel_shape", p->n_kernel_shape, nd, p->kernel_shape, 1,
                                TENSOR_MAX_ELEMENTS, err)) ||
        (st = window_check_list(call, "strides", p->n_strides, nd, p->strides, 1, WINDOW_MAX_ATTR,
                                err)) ||
        (st = window_check_list(call, "dilations", p->n_dilations, nd, p->dilations, 1,
                                WINDOW_MAX_ATTR, err)) ||
        (st = window_check_list(call, "pads", p->n_pads, 2 * nd, p->pads, 0, WINDOW_MAX_ATTR, err)))
        return st;
    return STATUS_OK;
}

/* Output size and padding of spatial axis i (ONNX numbering). */
static status_t pool_axis(const op_call_t *call, int nd, int i, int64_t in, pool_window_t *w, int j,
                          error_t *err)
{
    const pool_params_t *p = call->params;
    int64_t k = p->kernel_shape[i];
    int64_t s = p->n_strides > 0 ? p->strides[i] : 1;
    int64_t d = p->n_dilations > 0 ? p->dilations[i] : 1;
    int64_t extent = (k - 1) * d + 1;
    int64_t pb = 0, pe = 0, out;

    if (window_is_same(p->auto_pad)) {
        out = (in + s - 1) / s;
        window_same_pads(p->auto_pad, in, s, extent, &pb, &pe);
    } else {
        int64_t span;
        if (p->auto_pad == WINDOW_AUTO_PAD_NOTSET && p->n_pads > 0) {
            pb = p->pads[i];
            pe = p->pads[nd + i];
        }
        if (pb >= extent || pe >= extent)
            return op_call_fail(call, err,
                                "attribute 'pads' on spatial axis %d (%lld, %lld) must be smaller "
                                "than the kernel extent %lld",
                                i, (long long)pb, (long long)pe, (long long)extent);
        span = in + pb + pe - extent;
        if (span < 0)
            return op_call_fail(call, err,
                                "spatial axis %d: kernel extent %lld exceeds the padded input "
                                "size %lld",
                                i, (long long)extent, (long long)(in + pb + pe));
        out = (p->ceil_mode ? (span + s - 1) / s : span / s) + 1;
        /* As in PyTorch and onnxruntime, no window may start in the end padding. */
        if (p->ceil_mode && (out - 1) * s >= in + pb)
            out--;
    }
    w->in[j] = in;
    w->out[j] = out;
    w->kernel[j] = k;
    w->stride[j] = s;
    w->dilation[j] = d;
    w->pad_begin[j] = pb;
    w->pad_end[j] = pe;
    return STATUS_OK;
}

/* Checks rank (N, C and 1 to POOL_MAX_SPATIAL spatial dims); *planes = N * C. */
static status_t check_input(const op_call_t *call, int64_t *planes, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    char xs[SHAPE_TEXT_MAX];

    if (x->rank < 3)
        return op_call_fail(call, err, "input X %s must have rank >= 3 (N, C, spatial dims)",
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    if (x->rank - 2 > POOL_MAX_SPATIAL)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "input X %s: at most %d spatial dims are supported",
                       shape_format(x->rank, x->dims, xs, sizeof xs), POOL_MAX_SPATIAL);
    *planes = x->dims[0] * x->dims[1];
    return STATUS_OK;
}

status_t pool_resolve(const op_call_t *call, pool_window_t *w, int64_t *planes, tensor_t *out,
                      error_t *err)
{
    const tensor_t *x = call->inputs[0];
    int nd = x->rank - 2;
    status_t st;

    if ((st = check_input(call, planes, err)) || (st = check_attrs(call, nd, err)))
        return st;
    *out = *x;
    out->data = NULL;
    for (int j = 0; j < POOL_MAX_SPATIAL; j++) {
        int i = j - (POOL_MAX_SPATIAL - nd); /* ONNX spatial axis, < 0 for a padded one */
        if (i < 0) {
            w->in[j] = w->out[j] = w->kernel[j] = w->stride[j] = w->dilation[j] = 1;
            w->pad_begin[j] = w->pad_end[j] = 0;
            continue;
        }
        if ((st = pool_axis(call, nd, i, x->dims[2 + i], w, j, err)))
            return st;
        out->dims[2 + i] = w->out[j];
    }
    return STATUS_OK;
}

static status_t window_infer(op_call_t *call, error_t *err)
{
    pool_window_t w;
    int64_t planes;
    status_t st = pool_resolve(call, &w, &planes, &call->outputs[0], err);

    if (st)
        return st;
    if (call->n_outputs > 1) {
        call->outputs[1] = call->outputs[0];
        call->outputs[1].dtype = DTYPE_INT64;
    }
    call->workspace_size = (size_t)pool_spans_count(&w) * sizeof(pool_span_t);
    return STATUS_OK;
}

static status_t global_infer(op_call_t *call, error_t *err)
{
    int64_t planes;
    status_t st = check_input(call, &planes, err);

    if (st)
        return st;
    call->outputs[0] = *call->inputs[0];
    call->outputs[0].data = NULL;
    for (int i = 2; i < call->outputs[0].rank; i++)
        call->outputs[0].dims[i] = 1;
    return STATUS_OK;
}

/* MaxPool's Indices count over the whole tensor, batch included. */
static bool max_pool_batch_rows(const op_call_t *call)
{
    return call->n_outputs == 1;
}

const op_kernel_t max_pool_kernel = {
    .name = "MaxPool",
    .info = &max_pool_info,
    .params_size = sizeof(pool_params_t),
    .infer = window_infer,
    .run = max_pool_run,
    .batch_inputs = 1u << 0,
    .batch_rows = max_pool_batch_rows,
};

const op_kernel_t average_pool_kernel = {
    .name = "AveragePool",
    .info = &average_pool_info,
    .params_size = sizeof(pool_params_t),
    .infer = window_infer,
    .run = average_pool_run,
    .batch_inputs = 1u << 0,
};

const op_kernel_t global_max_pool_kernel = {
    .name = "GlobalMaxPool",
    .info = &average_pool_info,
    .infer = global_infer,
    .run = global_max_pool_run,
    .batch_inputs = 1u << 0,
};

const op_kernel_t global_average_pool_kernel = {
    .name = "GlobalAveragePool",
    .info = &average_pool_info,
    .infer = global_infer,
    .run = global_average_pool_run,
    .batch_inputs = 1u << 0,
};
