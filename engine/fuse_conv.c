/*
 * fuse_conv.c - compile pass fusing the epilogue of a channels-last
 * convolution into it, as oneDNN post-ops (kernels/conv/conv_nhwc.h):
 *
 *   ConvNHWC -> Add(., R) -> Relu | Clip   becomes   ConvNHWC(sum R, act)
 *
 * Each step needs the previous output to have the next node as its only
 * consumer (and not be a graph output), so no intermediate is observable.
 * Either the Add or the activation may be absent. Clip fuses when its
 * bounds are constant. The residual R must have the conv output's shape;
 * residual Adds that broadcast are not expected in CNNs and fail at planning.
 *
 * The int8 twin: an inferd.QLinearConvNHWC whose 8-bit output a only an
 * inferd.QLinearAdd reads (a ResNet's residual in QDQ form, fuse_qdq.c),
 * dequantized with the scale and zero point it was quantized with,
 *
 *   QLinearConvNHWC -> QLinearAdd(a, r) [Relu]   becomes   QLinearConvNHWC(+ r)
 *
 * which oneDNN runs as post-ops (kernels/quant/quant_dnnl.c), so a is never
 * written and read back.
 *
 * graph_conv_bf16_outputs (bf16 precision mode, after packing) lets a bf16
 * convolution write bf16 where only bf16 convolutions read its output as
 * their X (a bottleneck's 1x1 -> 3x3 -> 1x1): they would narrow a float X
 * to bf16 themselves first, so the results are the same and the tensor and
 * the narrowing pass are halved and gone. oneDNN rounds the destination to
 * nearest even after the fused activation, as the narrowing does.
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv/conv_nhwc.h"
#include "layout.h"
#include "quant/quant.h"
#include "unary/unary.h"

typedef struct fuse_pass {
    graph_t *g;
    int *consumer; /* per value: its one consuming node, or -1 */
    bool *is_output;
} fuse_pass_t;

/* The one node reading v if v has exactly one consumer and is not a graph output; else -1. */
static int sole_consumer(const fuse_pass_t *fp, int v)
{
    if (v < 0 || fp->is_output[v] || fp->g->values[v].consumers != 1)
        return -1;
    return fp->consumer[v];
}

/* Reads Clip's bounds (attributes or constant inputs); false if not constant. */
static bool clip_bounds(const graph_t *g, const graph_node_t *node, float *lo, float *hi)
{
    const clip_params_t *p = node->params;

    *lo = -INFINITY;
    *hi = INFINITY;
    if (p->from_attrs) {
        *lo = p->min;
        *hi = p->max;
        return true;
    }
    for (int k = 1; k < node->n_inputs && k < 3; k++) {
        const tensor_t *t;
        if (node->inputs[k] < 0)
            continue;
        t = g->values[node->inputs[k]].constant;
        if (!t || t->dtype != DTYPE_FLOAT || tensor_numel(t) != 1)
            return false;
        *(k == 1 ? lo : hi) = *(const float *)t->data;
    }
    return true;
}

/* Makes the conv read the residual r as input CONV_NHWC_RESIDUAL. */
static status_t add_residual(graph_t *g, graph_node_t *conv, int r, error_t *err)
{
    int *inputs = arena_alloc(&g->arena, (CONV_NHWC_RESIDUAL + 1) * sizeof *inputs);

    if (!inputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing convolutions");
    for (int k = 0; k <= CONV_NHWC_RESIDUAL; k++)
        inputs[k] = k < conv->n_inputs ? conv->inputs[k] : -1;
    inputs[CONV_NHWC_RESIDUAL] = r;
    conv->inputs = inputs;
    conv->n_inputs = CONV_NHWC_RESIDUAL + 1;
    return STATUS_OK;
}

/*
 * Absorbs a residual Add after the conv at *conv. The residual may be
 * computed after the conv, so the fused node takes the Add's place (the
 * conv's inputs are ready there too) and *conv is updated to point at it.
 */
static status_t fuse_add(fuse_pass_t *fp, graph_node_t **conv_at, conv_nhwc_params_t *p,
                         error_t *err)
{
    graph_t *g = fp->g;
    graph_node_t *conv = *conv_at, *add;
    int c = sole_consumer(fp, conv->outputs[0]), r;
    status_t st;

    if (c < 0 || strcmp(g->nodes[c].op_type, "Add") != 0 || g->nodes[c].n_inputs != 2)
        return STATUS_OK;
    add = &g->nodes[c];
    r = add->inputs[0] == conv->outputs[0] ? add->inputs[1] : add->inputs[0];
    if (r < 0 || r == conv->outputs[0] || g->values[r].constant)
        return STATUS_OK;
    if ((st = add_residual(g, conv, r, err)))
        return st;
    p->sum = true;
    conv->outputs[0] = add->outputs[0];
    *add = *conv;
    conv->removed = true;
    *conv_at = add;
    return STATUS_OK;
}

/* Absorbs a Relu or constant-bound Clip after conv. */
static void fuse_activation(fuse_pass_t *fp, graph_node_t *conv, conv_nhwc_params_t *p)
{
    graph_t *g = fp->g;
    int c = sole_consumer(fp, conv->outputs[0]);
    graph_node_t *act;

    if (c < 0)
        return;
    act = &g->nodes[c];
    if (strcmp(act->op_type, "Relu") == 0) {
        p->activation = CONV_ACTIVATION_RELU;
    } else if (strcmp(act->op_type, "Clip") == 0 &&
               clip_bounds(g, act, &p->clip_min, &p->clip_max)) {
        p->activation = CONV_ACTIVATION_CLIP;
    } else {
        return;
    }
    conv->outputs[0] = act->outputs[0];
    act->removed = true;
}

static status_t fuse_node(fuse_pass_t *fp, graph_node_t *conv, error_t *err)
{
    conv_nhwc_params_t *p = arena_alloc(&fp->g->arena, sizeof *p);
    status_t st;

    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing convolutions");
    *p = *(const conv_nhwc_params_t *)conv->params;
    conv->params = p;
    if (!p->sum && p->activation == CONV_ACTIVATION_NONE) {
        if ((st = fuse_add(fp, &conv, p, err)))
            return st;
    }
    if (p->activation == CONV_ACTIVATION_NONE)
        fuse_activation(fp, conv, p);
    return STATUS_OK;
}

/* Inputs of inferd.QLinearConvNHWC: its output's scale and zero point. */
enum { QC_YS = 6, QC_YZ = 7 };

/* Constant one-element values of the same dtype and bytes. */
static bool same_constant(const graph_t *g, int u, int v)
{
    const tensor_t *a = u >= 0 ? g->values[u].constant : NULL;
    const tensor_t *b = v >= 0 ? g->values[v].constant : NULL;

    return a && b && a->dtype == b->dtype && tensor_numel(a) == 1 && tensor_numel(b) == 1 &&
           memcmp(a->data, b->data, dtype_size(a->dtype)) == 0;
}

/* Absorbs the inferd.QLinearAdd reading an int8 conv's output; the fused node takes its place. */
static status_t fuse_qadd(fuse_pass_t *fp, graph_node_t *conv, error_t *err)
{
    graph_t *g = fp->g;
    const int a = conv->outputs[0], c = sole_consumer(fp, a);
    graph_node_t *add;
    quant_params_t *p;
    int *inputs, side;

    if (c < 0 || g->nodes[c].schema != &quant_fused_add_schema ||
        conv->n_inputs > QUANT_NHWC_RESIDUAL || conv->n_inputs <= QC_YZ)
        return STATUS_OK;
    add = &g->nodes[c];
    assert(add->n_inputs == QUANT_ADD_COUNT);
    side = add->inputs[QUANT_ADD_A] == a ? QUANT_ADD_A : QUANT_ADD_B;
    if (add->inputs[QUANT_ADD_A + QUANT_ADD_B - side] == a ||
        !same_constant(g, add->inputs[side + 1], conv->inputs[QC_YS]) ||
        !same_constant(g, add->inputs[side + 2], conv->inputs[QC_YZ]))
        return STATUS_OK;
    p = arena_alloc(&g->arena, sizeof *p);
    inputs = arena_alloc(&g->arena, QUANT_NHWC_INPUTS_MAX * sizeof *inputs);
    if (!p || !inputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing convolutions");
    *p = *(const quant_params_t *)conv->params;
    p->residual_relu = ((const quant_params_t *)add->params)->relu;
    for (int k = 0; k < QUANT_NHWC_RESIDUAL; k++)
        inputs[k] = k < conv->n_inputs ? conv->inputs[k] : -1;
    for (int k = 0; k < 3; k++)
        inputs[QUANT_NHWC_RESIDUAL + k] = add->inputs[QUANT_ADD_A + QUANT_ADD_B - side + k];
    inputs[QUANT_NHWC_SUM_SCALE] = add->inputs[QUANT_ADD_YS];
    inputs[QUANT_NHWC_SUM_ZERO_POINT] = add->inputs[QUANT_ADD_YZ];
    conv->inputs = inputs;
    conv->n_inputs = QUANT_NHWC_INPUTS_MAX;
    conv->params = p;
    conv->outputs[0] = add->outputs[0];
    *add = *conv;
    conv->removed = true;
    return STATUS_OK;
}

status_t graph_fuse_conv(graph_t *g, error_t *err)
{
    fuse_pass_t fp = {.g = g};
    status_t st = STATUS_OK;

    fp.consumer = malloc(((size_t)g->n_values + 1) * sizeof *fp.consumer);
    fp.is_output = calloc((size_t)g->n_values + 1, sizeof *fp.is_output);
    if (!fp.consumer || !fp.is_output) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing convolutions");
        goto cleanup;
    }
    for (int v = 0; v < g->n_values; v++)
        fp.consumer[v] = -1;
    for (int k = 0; k < g->n_outputs; k++)
        fp.is_output[g->outputs[k]] = true;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                fp.consumer[g->nodes[i].inputs[k]] = i;
    /* A node fused forward lands at a later index and is visited again: its params say so. */
    for (int i = 0; i < g->n_nodes && !st; i++) {
        if (g->nodes[i].removed)
            continue;
        if (g->nodes[i].schema == &conv_nhwc_schema)
            st = fuse_node(&fp, &g->nodes[i], err);
        else if (g->nodes[i].schema == &quant_nhwc_conv_schema)
            st = fuse_qadd(&fp, &g->nodes[i], err);
    }
cleanup:
    free(fp.consumer);
    free(fp.is_output);
    return st;
}

/* True if node is a ConvNHWC whose packed weights run on oneDNN's bf16 convolution. */
static bool bf16_conv(const graph_node_t *node)
{
    return !node->removed && node->schema == &conv_nhwc_schema &&
           conv_nhwc_packed_bf16(node->state);
}

/* True if v is read only as X of bf16 convolutions, and not a graph output. */
static bool only_bf16_conv_inputs(const graph_t *g, int v)
{
    int uses = 0;

    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k] == v)
            return false;
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node_t *node = &g->nodes[i];
        if (node->removed)
            continue;
        for (int k = 0; k < node->n_inputs; k++) {
            if (node->inputs[k] != v)
                continue;
            if (k != 0 || !bf16_conv(node))
                return false;
            uses++;
        }
    }
    /* Every consumer the liveness pass counted is one of those seen. */
    return uses > 0 && uses == g->values[v].consumers;
}

status_t graph_conv_bf16_outputs(graph_t *g, error_t *err)
{
    if (!g->bf16)
        return STATUS_OK;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node_t *node = &g->nodes[i];
        conv_nhwc_params_t *p;
        if (!bf16_conv(node) || ((const conv_nhwc_params_t *)node->params)->sum ||
            !only_bf16_conv_inputs(g, node->outputs[0]))
            continue;
        /* A copy: the params may be shared with the node it was cloned from. */
        p = arena_alloc(&g->arena, sizeof *p);
        if (!p)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory marking bf16 outputs");
        *p = *(const conv_nhwc_params_t *)node->params;
        p->bf16_out = true;
        node->params = p;
    }
    return STATUS_OK;
}
