/*
 * conv_block_proto.c - prototype of the fused inverted-residual block
 * (conv_block.h): the depthwise step's geometry comes from the
 * channels-last convolution's checks (conv_nhwc_resolve), the pointwise
 * weights and the residual are checked against it.
 */
#include "conv_block.h"

#include <stdio.h>

static const op_info_t conv_block_info = {
    /* The expansion's inputs may be absent before the required weights: resolve checks those. */
    .min_inputs = 1,
    .max_inputs = CONV_BLOCK_INPUTS,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT, DTYPES_FLOAT, DTYPES_FLOAT, DTYPES_FLOAT, DTYPES_FLOAT,
                     DTYPES_FLOAT, DTYPES_FLOAT, DTYPES_FLOAT},
    .layout = "NHWC",
};

static bool pointwise(const conv_nhwc_params_t *p)
{
    const conv_params_t *c = &p->conv;

    if (c->group != 1 || c->auto_pad != WINDOW_AUTO_PAD_NOTSET)
        return false;
    for (int i = 0; i < c->n_kernel_shape; i++)
        if (c->kernel_shape[i] != 1)
            return false;
    for (int i = 0; i < c->n_strides; i++)
        if (c->strides[i] != 1)
            return false;
    for (int i = 0; i < c->n_pads; i++)
        if (c->pads[i] != 0)
            return false;
    return !p->bf16_out;
}

bool conv_block_supports(const conv_nhwc_params_t *expand, const conv_nhwc_params_t *depthwise,
                         const tensor_t *wd, const conv_nhwc_params_t *project)
{
    const conv_params_t *d = &depthwise->conv;
    int64_t stride = d->n_strides == 2 ? d->strides[0] : 1;

    if ((expand && (!pointwise(expand) || expand->sum)) || !pointwise(project))
        return false;
    if (!wd || wd->rank != 4 || wd->dims[1] != 1 || wd->dims[2] != 3 || wd->dims[3] != 3 ||
        d->group != wd->dims[0] || depthwise->sum || depthwise->bf16_out)
        return false;
    if (d->n_strides != -1 && (d->n_strides != 2 || d->strides[1] != stride))
        return false;
    for (int i = 0; i < d->n_dilations; i++)
        if (d->dilations[i] != 1)
            return false;
    return stride == 1 || stride == 2;
}

/* True if t is [rows, cols, 1, 1]. */
static bool pointwise_weights(const tensor_t *t, int64_t rows, int64_t cols)
{
    return t && t->rank == 4 && t->dims[0] == rows && t->dims[1] == cols && t->dims[2] == 1 &&
           t->dims[3] == 1;
}

status_t conv_block_resolve(const op_call_t *call, conv_block_geom_t *g, tensor_t *out,
                            error_t *err)
{
    const conv_block_params_t *p = call->params;
    const tensor_t *x = call->inputs[CONV_BLOCK_X];
    const tensor_t *we = p->expand ? call->inputs[CONV_BLOCK_EXPAND_W] : NULL;
    const tensor_t *wd = call->inputs[CONV_BLOCK_DW_W];
    const tensor_t *wp = call->inputs[CONV_BLOCK_PROJECT_W];
    const tensor_t *r =
        call->n_inputs > CONV_BLOCK_RESIDUAL ? call->inputs[CONV_BLOCK_RESIDUAL] : NULL;
    tensor_t xe, y;
    const tensor_t *dw_inputs[3] = {
        &xe, wd, call->n_inputs > CONV_BLOCK_DW_B ? call->inputs[CONV_BLOCK_DW_B] : NULL};
    op_call_t dw = *call;
    conv_geom_t cg;
    char shape[SHAPE_TEXT_MAX];
    status_t st;

    if (!x || x->rank != 4)
        return op_call_fail(call, err, "input X must have rank 4 (N, H, W, C)");
    if (!wd || wd->rank != 4)
        return op_call_fail(call, err, "depthwise weights must have rank 4");
    if (!conv_block_supports(p->expand ? &p->expand_conv : NULL, &p->depthwise, wd, &p->project))
        return op_call_fail(call, err, "unsupported block: 1x1 -> 3x3 depthwise -> 1x1 expected");
    g->n = x->dims[0];
    g->h = x->dims[1];
    g->w = x->dims[2];
    g->c = x->dims[3];
    g->e = wd->dims[0];
    if (p->expand ? !pointwise_weights(we, g->e, g->c) : g->e != g->c)
        return op_call_fail(call, err, "expansion weights must be [%lld, %lld, 1, 1]",
                            (long long)g->e, (long long)g->c);
    if (!wp || wp->rank != 4 || !pointwise_weights(wp, wp->dims[0], g->e))
        return op_call_fail(call, err, "projection weights must be [M, %lld, 1, 1]",
                            (long long)g->e);
    g->m = wp->dims[0];
    /* The depthwise step sees the expanded X. */
    xe = *x;
    xe.dims[3] = g->e;
    xe.data = NULL;
    dw.params = &p->depthwise;
    dw.inputs = dw_inputs;
    dw.n_inputs = 3;
    if ((st = conv_nhwc_resolve(&dw, &cg, &y, err)))
        return st;
    g->oh = y.dims[1];
    g->ow = y.dims[2];
    g->stride = cg.win.stride[1];
    g->pad_top = cg.win.pad[1];
    g->pad_left = cg.win.pad[2];
    *out = y;
    out->dims[3] = g->m;
    out->dtype = DTYPE_FLOAT;
    for (int k = CONV_BLOCK_EXPAND_B; k <= CONV_BLOCK_PROJECT_B; k += 2) {
        const tensor_t *b = call->n_inputs > k ? call->inputs[k] : NULL;
        int64_t want = k == CONV_BLOCK_PROJECT_B ? g->m : g->e;
        if (b && (b->rank != 1 || b->dims[0] != want))
            return op_call_fail(call, err, "bias input %d must be [%lld]", k, (long long)want);
    }
    if (p->project.sum && (!r || !shape_equal(r->rank, r->dims, out->rank, out->dims)))
        return op_call_fail(call, err, "residual input must have the output's shape %s",
                            shape_format(out->rank, out->dims, shape, sizeof shape));
    return STATUS_OK;
}

static status_t conv_block_infer(op_call_t *call, error_t *err)
{
    conv_block_geom_t g;
    status_t st = conv_block_resolve(call, &g, &call->outputs[0], err);

    if (st)
        return st;
    call->workspace_size = conv_block_workspace(&g, call->threads);
    return STATUS_OK;
}

/* Nothing per plan but scratch for the plan's threads, which infer may not have known. */
static status_t conv_block_prepare(op_call_t *call, void **prepared, error_t *err)
{
    conv_block_geom_t g;
    tensor_t y;
    size_t bytes;
    status_t st = conv_block_resolve(call, &g, &y, err);

    *prepared = NULL;
    if (st)
        return st;
    bytes = conv_block_workspace(&g, call->threads);
    if (bytes > call->workspace_size)
        call->workspace_size = bytes;
    return STATUS_OK;
}

const op_kernel_t conv_block_kernel = {
    .name = CONV_BLOCK_OP,
    .info = &conv_block_info,
    .params_size = sizeof(conv_block_params_t),
    .infer = conv_block_infer,
    .run = conv_block_run,
    .pack = conv_block_pack,
    .release = conv_block_release,
    /* Weights and biases live on in the packed copy pack makes. */
    .packed_inputs = 1u << CONV_BLOCK_EXPAND_W | 1u << CONV_BLOCK_EXPAND_B | 1u << CONV_BLOCK_DW_W |
                     1u << CONV_BLOCK_DW_B | 1u << CONV_BLOCK_PROJECT_W |
                     1u << CONV_BLOCK_PROJECT_B,
    /*
     * Not in place on R: R is normally X itself, whose rows below a strip
     * are still to be expanded (by another thread, too) when the strip is
     * written.
     */
    .batch_inputs = 1u << CONV_BLOCK_X | 1u << CONV_BLOCK_RESIDUAL,
    .prepare = conv_block_prepare,
    .describe = conv_block_describe,
};

const op_schema_t conv_block_schema = {CONV_BLOCK_OP, OPSET_MIN, OPSET_MAX, NULL,
                                       &conv_block_kernel};
