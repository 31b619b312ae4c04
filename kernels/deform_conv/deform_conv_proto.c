/*
 * deform_conv_proto.c - DeformConv prototype: shapes of X, W, offset, B and
 * mask for any spatial rank, the attributes against them, the output shape.
 */
#include "deform_conv.h"

#include <string.h>

#define DEFORM_CONV_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t deform_conv_info = {
    .min_inputs = 3,
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DEFORM_CONV_REALS, DEFORM_CONV_REALS, DEFORM_CONV_REALS, DEFORM_CONV_REALS,
                     DEFORM_CONV_REALS},
    .layout = "NCHW",
};

static const char *const deform_conv_input_names[] = {"X", "W", "offset", "B", "mask"};

/* Input i (offset or mask) must be [N, channels, out..]. */
static status_t check_map(const op_call_t *call, int i, const deform_conv_geom_t *g,
                          int64_t channels, const char *what, error_t *err)
{
    const tensor_t *t = call->inputs[i];
    int64_t want[TENSOR_MAX_RANK] = {g->n, channels};
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];

    memcpy(want + 2, g->out, (size_t)g->spatial * sizeof *want);
    if (!shape_equal(t->rank, t->dims, 2 + g->spatial, want))
        return op_call_fail(call, err, "%s is %s, expected %s (%s)", deform_conv_input_names[i],
                            shape_format(t->rank, t->dims, a, sizeof a),
                            shape_format(2 + g->spatial, want, b, sizeof b), what);
    return STATUS_OK;
}

status_t deform_conv_resolve(const op_call_t *call, deform_conv_geom_t *g, tensor_t *out,
                             error_t *err)
{
    const deform_conv_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *w = call->inputs[1];
    const tensor_t *bias = call->n_inputs > 3 ? call->inputs[3] : NULL;
    const tensor_t *mask = call->n_inputs > 4 ? call->inputs[4] : NULL;
    const int spatial = x->rank - 2;
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    int64_t taps, positions = 1;
    status_t st;

    /* X's rank is at most TENSOR_MAX_RANK, so every spatial count fits the geometry. */
    if (x->rank < 3)
        return op_call_fail(call, err, "X must be [N, C, D1, ...], got %s",
                            shape_format(x->rank, x->dims, a, sizeof a));
    for (int i = 1; i < call->n_inputs; i++)
        if (call->inputs[i] && call->inputs[i]->dtype != x->dtype)
            return op_call_fail(call, err, "%s of dtype %s with X of dtype %s: they must match",
                                deform_conv_input_names[i], dtype_name(call->inputs[i]->dtype),
                                dtype_name(x->dtype));
    if (w->rank != x->rank)
        return op_call_fail(call, err,
                            "W must be [oC, C / group, k1, ...] with X's %d spatial axes, got %s",
                            spatial, shape_format(w->rank, w->dims, a, sizeof a));
    if ((st = window_check_list(call, "kernel_shape", p->n_kernel_shape, spatial, p->kernel_shape,
                                1, INT64_MAX, err)) != STATUS_OK ||
        (st = window_check_list(call, "strides", p->n_strides, spatial, p->strides, 1,
                                WINDOW_MAX_ATTR, err)) != STATUS_OK ||
        (st = window_check_list(call, "dilations", p->n_dilations, spatial, p->dilations, 1,
                                WINDOW_MAX_ATTR, err)) != STATUS_OK ||
        (st = window_check_list(call, "pads", p->n_pads, 2 * spatial, p->pads, 0, WINDOW_MAX_ATTR,
                                err)) != STATUS_OK)
        return st;
    if (p->n_kernel_shape > 0 && !shape_equal(spatial, p->kernel_shape, spatial, w->dims + 2))
        return op_call_fail(call, err, "kernel_shape %s does not match W %s",
                            shape_format(spatial, p->kernel_shape, b, sizeof b),
                            shape_format(w->rank, w->dims, a, sizeof a));
    *g = (deform_conv_geom_t){
        .spatial = spatial,
        .n = x->dims[0],
        .c = x->dims[1],
        .oc = w->dims[0],
        .group = p->group,
        .offset_group = p->offset_group,
    };
    for (int d = 0; d < spatial; d++) {
        g->in[d] = x->dims[2 + d];
        g->kernel[d] = w->dims[2 + d];
        g->stride[d] = p->n_strides > 0 ? p->strides[d] : 1;
        g->dilation[d] = p->n_dilations > 0 ? p->dilations[d] : 1;
        g->pad[d] = p->n_pads > 0 ? p->pads[d] : 0;
    }
    if (g->c != w->dims[1] * g->group || g->oc % g->group != 0)
        return op_call_fail(call, err,
                            "W %s does not fit X %s with group %lld (W must be [oC, C / group, "
                            "k1, ...], oC a multiple of group)",
                            shape_format(w->rank, w->dims, a, sizeof a),
                            shape_format(x->rank, x->dims, b, sizeof b), (long long)g->group);
    if (g->c % g->offset_group != 0)
        return op_call_fail(call, err, "offset_group %lld does not divide the %lld channels of X",
                            (long long)g->offset_group, (long long)g->c);
    taps = deform_conv_volume(g->kernel, spatial);
    if (taps == 0)
        return op_call_fail(call, err, "W %s has an empty kernel",
                            shape_format(w->rank, w->dims, a, sizeof a));
    for (int d = 0; d < spatial; d++) {
        const int64_t pad_end = p->n_pads > 0 ? p->pads[spatial + d] : 0;
        const int64_t span = g->in[d] + g->pad[d] + pad_end;
        const int64_t extent = (g->kernel[d] - 1) * g->dilation[d] + 1;
        if (span < extent)
            return op_call_fail(call, err,
                                "the kernel's extent %lld along spatial axis %d exceeds the "
                                "padded input (%lld)",
                                (long long)extent, d, (long long)span);
        g->out[d] = (span - extent) / g->stride[d] + 1;
        /* At least 1 each, and checked as they multiply: six padded axes could overflow. */
        positions = g->out[d] > DEFORM_CONV_MAX_PLANE / positions
                        ? (int64_t)DEFORM_CONV_MAX_PLANE + 1
                        : positions * g->out[d];
    }
    /*
     * The input volume is a valid shape's, the taps are at most W's element
     * count, and C / group is W's dim 1, so none of these products overflows.
     */
    if (deform_conv_volume(g->in, spatial) > DEFORM_CONV_MAX_PLANE ||
        positions > DEFORM_CONV_MAX_PLANE || g->c / g->group * taps > DEFORM_CONV_MAX_PLANE ||
        g->offset_group > DEFORM_CONV_MAX_PLANE / (spatial * taps))
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "an input volume, output volume, group of columns or offset map over %lld "
                       "elements is not supported (X %s, W %s)",
                       (long long)DEFORM_CONV_MAX_PLANE,
                       shape_format(x->rank, x->dims, a, sizeof a),
                       shape_format(w->rank, w->dims, b, sizeof b));
    if ((st = check_map(call, 2, g, g->offset_group * taps * spatial,
                        "N, offset_group x kernel taps x spatial axes, output dims", err)) !=
        STATUS_OK)
        return st;
    if (mask && (st = check_map(call, 4, g, g->offset_group * taps,
                                "N, offset_group x kernel taps, output dims", err)) != STATUS_OK)
        return st;
    if (bias && (bias->rank != 1 || bias->dims[0] != g->oc))
        return op_call_fail(call, err, "B is %s, expected [%lld] (one value per output channel)",
                            shape_format(bias->rank, bias->dims, a, sizeof a), (long long)g->oc);
    deform_conv_pick_tile(g, x->dtype);
    if (out) {
        out->dtype = x->dtype;
        out->rank = x->rank;
        out->dims[0] = g->n;
        out->dims[1] = g->oc;
        memcpy(out->dims + 2, g->out, (size_t)spatial * sizeof *out->dims);
        if (!shape_valid(out->rank, out->dims, NULL))
            return op_call_fail(call, err, "output shape %s is too large",
                                shape_format(out->rank, out->dims, a, sizeof a));
    }
    return STATUS_OK;
}

static status_t deform_conv_infer(op_call_t *call, error_t *err)
{
    deform_conv_geom_t g;
    status_t st = deform_conv_resolve(call, &g, &call->outputs[0], err);

    if (st == STATUS_OK)
        call->workspace_size = deform_conv_workspace_bytes(&g, call->inputs[0]->dtype);
    return st;
}

const op_kernel_t deform_conv_kernel = {
    .name = "DeformConv",
    .info = &deform_conv_info,
    .params_size = sizeof(deform_conv_params_t),
    .infer = deform_conv_infer,
    .run = deform_conv_run,
};
