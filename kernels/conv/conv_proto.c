/*
 * conv_proto.c - Conv and ConvTranspose prototypes: attribute checks against
 * the input ranks, padding (explicit, auto_pad, output_shape), output shape.
 */
#include "conv.h"

#include <limits.h>

#include "half.h"

static const op_info_t conv_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE), DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE),
                     DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "NCHW",
};

/* One spatial axis of the window, in ONNX terms. */
typedef struct axis_attrs {
    int64_t kernel, stride, dilation, pad_begin, pad_end, output_padding;
} axis_attrs_t;

static status_t check_attrs(const op_call_t *call, int nd, const tensor_t *w, error_t *err)
{
    const conv_params_t *p = call->params;
    status_t st;

    if (p->group < 1)
        return op_call_fail(call, err, "attribute 'group' = %lld must be >= 1",
                            (long long)p->group);
    if ((st = window_check_list(call, "strides", p->n_strides, nd, p->strides, 1, WINDOW_MAX_ATTR,
                                err)) ||
        (st = window_check_list(call, "dilations", p->n_dilations, nd, p->dilations, 1,
                                WINDOW_MAX_ATTR, err)) ||
        (st = window_check_list(call, "pads", p->n_pads, 2 * nd, p->pads, 0, WINDOW_MAX_ATTR,
                                err)) ||
        (st = window_check_list(call, "output_padding", p->n_output_padding, nd, p->output_padding,
                                0, WINDOW_MAX_ATTR, err)))
        return st;
    if (p->n_kernel_shape > 0) {
        if (p->n_kernel_shape != nd)
            return op_call_fail(call, err, "attribute 'kernel_shape' has %d values, expected %d",
                                p->n_kernel_shape, nd);
        for (int i = 0; i < nd; i++)
            if (p->kernel_shape[i] != w->dims[2 + i]) {
                char ws[SHAPE_TEXT_MAX];
                return op_call_fail(call, err,
                                    "attribute 'kernel_shape'[%d] = %lld does not match weights "
                                    "W %s",
                                    i, (long long)p->kernel_shape[i],
                                    shape_format(w->rank, w->dims, ws, sizeof ws));
            }
    }
    if (p->n_output_shape > 0 && p->n_output_shape != nd && p->n_output_shape != nd + 2)
        return op_call_fail(call, err, "attribute 'output_shape' has %d values, expected %d",
                            p->n_output_shape, nd);
    return STATUS_OK;
}

static axis_attrs_t axis_attrs(const conv_params_t *p, int nd, int i, const tensor_t *w)
{
    axis_attrs_t a = {
        .kernel = w->dims[2 + i],
        .stride = p->n_strides > 0 ? p->strides[i] : 1,
        .dilation = p->n_dilations > 0 ? p->dilations[i] : 1,
        .output_padding = p->n_output_padding > 0 ? p->output_padding[i] : 0,
    };
    if (p->auto_pad == WINDOW_AUTO_PAD_NOTSET && p->n_pads > 0) {
        a.pad_begin = p->pads[i];
        a.pad_end = p->pads[nd + i];
    }
    return a;
}

static status_t conv_axis(const op_call_t *call, int i, int64_t in, axis_attrs_t *a, int64_t *out,
                          error_t *err)
{
    const conv_params_t *p = call->params;
    int64_t extent = (a->kernel - 1) * a->dilation + 1;

    if (window_is_same(p->auto_pad))
        window_same_pads(p->auto_pad, in, a->stride, extent, &a->pad_begin, &a->pad_end);
    if (in + a->pad_begin + a->pad_end < extent)
        return op_call_fail(call, err,
                            "spatial axis %d: kernel extent %lld exceeds the padded input size "
                            "%lld",
                            i, (long long)extent, (long long)(in + a->pad_begin + a->pad_end));
    *out = (in + a->pad_begin + a->pad_end - extent) / a->stride + 1;
    return STATUS_OK;
}

static status_t conv_transpose_axis(const op_call_t *call, int i, int64_t in, axis_attrs_t *a,
                                    int64_t *out, error_t *err)
{
    const conv_params_t *p = call->params;
    int nd = call->inputs[0]->rank - 2;
    int64_t extent = (a->kernel - 1) * a->dilation + 1;
    int64_t full = a->stride * (in - 1) + a->output_padding + extent;

    if (a->output_padding >= a->stride && a->output_padding >= a->dilation)
        return op_call_fail(call, err,
                            "attribute 'output_padding'[%d] = %lld must be less than the stride "
                            "or the dilation",
                            i, (long long)a->output_padding);
    if (p->n_output_shape > 0 || window_is_same(p->auto_pad)) {
        int64_t target =
            p->n_output_shape > 0 ? p->output_shape[p->n_output_shape - nd + i] : in * a->stride;
        /*
         * A target beyond the full output leaves zeros at the end. The
         * split follows the ONNX text: SAME_UPPER pads less at the start.
         */
        int64_t total = full - target;
        if (target < 1 || target > TENSOR_MAX_ELEMENTS)
            return op_call_fail(call, err, "output size %lld on spatial axis %d is invalid",
                                (long long)target, i);
        a->pad_begin = total <= 0                                  ? 0
                       : p->auto_pad == WINDOW_AUTO_PAD_SAME_UPPER ? total / 2
                                                                   : total - total / 2;
        *out = target;
        return STATUS_OK;
    }
    *out = full - a->pad_begin - a->pad_end;
    if (*out < 1)
        return op_call_fail(call, err,
                            "spatial axis %d: pads %lld+%lld leave no output of the full size "
                            "%lld",
                            i, (long long)a->pad_begin, (long long)a->pad_end, (long long)full);
    return STATUS_OK;
}

static status_t check_channels(const op_call_t *call, bool transpose, int64_t *out_channels,
                               error_t *err)
{
    const conv_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *w = call->inputs[1];
    const tensor_t *b = call->n_inputs > 2 ? call->inputs[2] : NULL;
    int64_t c = x->dims[1];
    int64_t per_group = transpose ? w->dims[0] : w->dims[1] * p->group;
    char xs[SHAPE_TEXT_MAX], ws[SHAPE_TEXT_MAX];

    if (c < 1 || c % p->group != 0 || per_group != c)
        return op_call_fail(call, err, "input X %s and weights W %s do not agree with group %lld",
                            shape_format(x->rank, x->dims, xs, sizeof xs),
                            shape_format(w->rank, w->dims, ws, sizeof ws), (long long)p->group);
    *out_channels = transpose ? w->dims[1] * p->group : w->dims[0];
    if (!transpose && *out_channels % p->group != 0)
        return op_call_fail(call, err,
                            "weights W %s: %lld output channels are not divisible by "
                            "group %lld",
                            shape_format(w->rank, w->dims, ws, sizeof ws), (long long)*out_channels,
                            (long long)p->group);
    if (b && (b->rank != 1 || b->dims[0] != *out_channels))
        return op_call_fail(call, err, "bias B %s must have shape [%lld]",
                            shape_format(b->rank, b->dims, xs, sizeof xs),
                            (long long)*out_channels);
    return STATUS_OK;
}

status_t conv_resolve(const op_call_t *call, bool transpose, conv_geom_t *g, tensor_t *out,
                      error_t *err)
{
    const tensor_t *x = call->inputs[0], *w = call->inputs[1];
    char xs[SHAPE_TEXT_MAX], ws[SHAPE_TEXT_MAX];
    int nd = x->rank - 2;
    int64_t numel;
    status_t st;

    if (x->rank < 3)
        return op_call_fail(call, err, "input X %s must have rank >= 3 (N, C, spatial dims)",
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    if (nd > CONV_MAX_SPATIAL)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "input X %s: at most %d spatial dims are supported",
                       shape_format(x->rank, x->dims, xs, sizeof xs), CONV_MAX_SPATIAL);
    if (w->rank != x->rank)
        return op_call_fail(call, err, "weights W %s must have the rank of input X %s",
                            shape_format(w->rank, w->dims, ws, sizeof ws),
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    if ((st = check_attrs(call, nd, w, err)))
        return st;
    g->batch = x->dims[0];
    g->in_channels = x->dims[1];
    g->group = ((const conv_params_t *)call->params)->group;
    if ((st = check_channels(call, transpose, &g->out_channels, err)))
        return st;

    /* float for the quantized callers too (their X is an integer; they set Y's type) */
    out->dtype = x->dtype == DTYPE_DOUBLE ? DTYPE_DOUBLE : DTYPE_FLOAT;
    out->rank = x->rank;
    out->dims[0] = g->batch;
    out->dims[1] = g->out_channels;
    out->data = NULL;
    for (int j = 0; j < CONV_MAX_SPATIAL; j++) {
        int i = j - (CONV_MAX_SPATIAL - nd); /* ONNX spatial axis, < 0 for a padded one */
        conv_window_t *win = &g->win;
        axis_attrs_t a = {1, 1, 1, 0, 0, 0};
        int64_t in = 1, n = 1;

        if (i >= 0) {
            a = axis_attrs(call->params, nd, i, w);
            in = x->dims[2 + i];
            if (in < 1 || a.kernel < 1)
                return op_call_fail(call, err, "input X %s and weights W %s need spatial dims >= 1",
                                    shape_format(x->rank, x->dims, xs, sizeof xs),
                                    shape_format(w->rank, w->dims, ws, sizeof ws));
            st = transpose ? conv_transpose_axis(call, i, in, &a, &n, err)
                           : conv_axis(call, i, in, &a, &n, err);
            if (st)
                return st;
            out->dims[2 + i] = n;
        }
        win->image[j] = transpose ? n : in;
        win->cols[j] = transpose ? in : n;
        win->kernel[j] = a.kernel;
        win->stride[j] = a.stride;
        win->dilation[j] = a.dilation;
        win->pad[j] = a.pad_begin;
    }
    if (!shape_valid(out->rank, out->dims, &numel))
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "output shape %s is too large",
                       shape_format(out->rank, out->dims, xs, sizeof xs));
    return STATUS_OK;
}

/*
 * T is one type for X, W and B: the double kernels read all three as
 * double. half_ok: inputs that may be a half weight beside a float X
 * (op.h's half_inputs; the pack hook or the engine widens them).
 */
static status_t check_same_type(const op_call_t *call, uint32_t half_ok, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    for (int k = 1; k < call->n_inputs && k < 3; k++)
        if (call->inputs[k] && call->inputs[k]->dtype != x->dtype &&
            !((half_ok & (1u << k)) && x->dtype == DTYPE_FLOAT &&
              dtype_is_half(call->inputs[k]->dtype)))
            return op_call_fail(call, err, "input %d is %s, input X is %s", k,
                                dtype_name(call->inputs[k]->dtype), dtype_name(x->dtype));
    return STATUS_OK;
}

/* The column matrix and every GEMM dimension must fit the BLAS int. */
static status_t check_workspace(op_call_t *call, const conv_geom_t *g, int64_t col_floats,
                                size_t elem, error_t *err)
{
    int64_t k = conv_window_kernel_size(&g->win);
    int64_t dims[] = {g->in_channels * k, g->out_channels * k, conv_window_cols_size(&g->win),
                      conv_window_image_size(&g->win)};

    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (dims[i] > INT_MAX)
            return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                           "a GEMM dimension of %lld exceeds the BLAS limit", (long long)dims[i]);
    if (col_floats > TENSOR_MAX_ELEMENTS)
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "the column buffer needs %lld floats", (long long)col_floats);
    call->workspace_size = (size_t)col_floats * elem;
    return STATUS_OK;
}

static status_t conv_infer(op_call_t *call, error_t *err)
{
    conv_geom_t g;
    status_t st = check_same_type(call, 1u << 1, err);

    if (!st)
        st = conv_resolve(call, false, &g, &call->outputs[0], err);
    if (st)
        return st;
    if (call->inputs[0]->dtype == DTYPE_DOUBLE)
        return check_workspace(call, &g, conv_f64_workspace(&g), sizeof(double), err);
    return check_workspace(call, &g, conv_f32_workspace(&g), sizeof(float), err);
}

static status_t conv_transpose_infer(op_call_t *call, error_t *err)
{
    conv_geom_t g;
    status_t st = check_same_type(call, 0, err);

    if (!st)
        st = conv_resolve(call, true, &g, &call->outputs[0], err);
    if (st)
        return st;
    if (call->inputs[0]->dtype == DTYPE_DOUBLE)
        return check_workspace(call, &g, conv_transpose_f64_workspace(&g), sizeof(double), err);
    return check_workspace(call, &g, conv_transpose_f32_workspace(&g), sizeof(float), err);
}

/*
 * Conv packs nothing (ConvNHWC does, after the channels-last rewrite); a
 * Conv left in NCHW with half weights returns no state here, so the engine
 * widens them for conv_run (op.h's half_inputs).
 */
static status_t conv_pack_none(const op_call_t *call, void **state, error_t *err)
{
    (void)call;
    (void)err;
    *state = NULL;
    return STATUS_OK;
}

const op_kernel_t conv_kernel = {
    .name = "Conv",
    .info = &conv_info,
    .params_size = sizeof(conv_params_t),
    .infer = conv_infer,
    .run = conv_run,
    .pack = conv_pack_none,
    .batch_inputs = 1u << 0,
    /*
     * Half weights stay half for the channels-last rewrite (ConvNHWC packs
     * them as they are); a Conv left in NCHW has them widened at pack time.
     */
    .half_inputs = 1u << 1,
};

const op_kernel_t conv_transpose_kernel = {
    .name = "ConvTranspose",
    .info = &conv_info,
    .params_size = sizeof(conv_params_t),
    .infer = conv_transpose_infer,
    .run = conv_transpose_run,
};
