/*
 * layout.c - compile pass that keeps activations channels-last (NHWC)
 * between convolutions.
 *
 * Every 2-D Conv with constant weights becomes the channels-last ConvNHWC
 * (kernels/conv/conv_nhwc.h), and every fused QDQ convolution with an 8-bit
 * output (inferd.QLinearConv) the channels-last inferd.QLinearConvNHWC
 * (kernels/quant/quant_dnnl.c), whose tensors stay 8-bit. Its output gets an NHWC twin: a new value
 * whose dims are [N, H, W, C]. Ops that work the same on the permuted
 * tensor follow the twins: elementwise ops whose activation inputs all have
 * twins (other inputs must be constant scalars), MaxPool, AveragePool and
 * GlobalAveragePool (their NHWC kernels, kernels/pool/pool_nhwc.h). Any
 * other consumer, and a graph output, reads the plain NCHW value, which a
 * ReorderToNCHW node materialises from the twin once, right before its
 * first use; a conv whose input has no twin gets a ReorderToNHWC. So
 * reorders sit only at the edges of channels-last regions.
 *
 * Twins are ordinary values: shape inference, plan-time folding and the
 * memory plan need no notion of layout. Nodes keep their order; inserted
 * reorders go right before the node that needs them.
 */
#include "layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv/conv_nhwc.h"
#include "half.h"
#include "layout/layout.h"
#include "pool/pool_nhwc.h"
#include "quant/qgemm.h"
#include "quant/quant.h"

/*
 * Elementwise ops that may run on twins: same op, same kernel, any layout.
 * (De)QuantizeLinear only per tensor: follows_twins takes scalar constants
 * as the other inputs and refuses a block size, so a per-axis or blocked
 * scale keeps the node on NCHW.
 */
static const char *const elementwise_ops[] = {
    "Relu",
    "Clip",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "HardSigmoid",
    "HardSwish",
    "inferd.QLinearAdd",
    "QuantizeLinear",
    "DequantizeLinear",
};

typedef struct layout_pass {
    graph_t *g;
    int *twin;     /* per value: its NHWC twin, or -1 */
    bool *pending; /* per value: produced only as a twin so far */
    graph_node_t *nodes;
    int n_nodes;
    int cap_nodes;
} layout_pass_t;

static bool is_elementwise(const char *op_type)
{
    for (size_t i = 0; i < sizeof elementwise_ops / sizeof elementwise_ops[0]; i++)
        if (strcmp(op_type, elementwise_ops[i]) == 0)
            return true;
    return false;
}

static bool is_scalar_constant(const graph_t *g, int v)
{
    return g->values[v].constant && tensor_numel(g->values[v].constant) == 1;
}

/* A 2-D Conv on a present input with constant 4-D weights. */
static bool conv_convertible(const graph_t *g, const graph_node_t *node)
{
    const tensor_t *w;

    if (strcmp(node->op_type, "Conv") != 0 || node->n_inputs < 2 || node->inputs[0] < 0 ||
        node->inputs[1] < 0)
        return false;
    w = g->values[node->inputs[1]].constant;
    /* Half weights: the ones the half pass kept for ConvNHWC (conv_nhwc_pack). */
    return w && w->rank == 4 && (w->dtype == DTYPE_FLOAT || dtype_is_half(w->dtype));
}

/*
 * A fused QDQ convolution (engine/fuse_qdq.c) with a requantized 8-bit
 * output and 4-D weights: it becomes inferd.QLinearConvNHWC, on CPUs
 * (capped) with VNNI only. Without it oneDNN's int8 convolutions multiply
 * with vpmaddubsw, whose int16 pair sums saturate (u8 255 x s8 127 twice),
 * and answers differ from ONNX Runtime by many steps; the NCHW qgemm is
 * exact there.
 */
static bool qconv_convertible(const graph_t *g, const graph_node_t *node)
{
    const tensor_t *w;

    if (node->schema != &quant_fused_conv_schema || node->n_inputs < 8 || node->inputs[0] < 0 ||
        node->inputs[3] < 0 || node->inputs[7] < 0)
        return false;
    w = g->values[node->inputs[3]].constant;
    return w && w->rank == 4 && (w->dtype == DTYPE_INT8 || w->dtype == DTYPE_UINT8) &&
           qgemm_has_vnni();
}

static bool is_quantize(const graph_node_t *node)
{
    return strcmp(node->op_type, "QuantizeLinear") == 0 ||
           strcmp(node->op_type, "DequantizeLinear") == 0;
}

/* The NHWC schema of a pooling node that can follow its twin input, or NULL. */
static const op_schema_t *pool_schema(const graph_node_t *node)
{
    const pool_params_t *p = node->params;

    if (node->n_outputs != 1)
        return NULL;
    if (strcmp(node->op_type, "GlobalAveragePool") == 0)
        return &global_average_pool_nhwc_schema;
    if (p && p->n_kernel_shape != 2)
        return NULL;
    if (strcmp(node->op_type, "MaxPool") == 0)
        return &max_pool_nhwc_schema;
    if (strcmp(node->op_type, "AveragePool") == 0)
        return &average_pool_nhwc_schema;
    return NULL;
}

/* True if the node can run on the twins of its inputs. */
static bool follows_twins(const layout_pass_t *lp, const graph_node_t *node)
{
    bool any = false;

    if (node->n_outputs != 1 || (!is_elementwise(node->op_type) && !pool_schema(node)))
        return false;
    if (is_quantize(node) && node->params &&
        ((const quant_params_t *)node->params)->block_size != 0)
        return false; /* blocked: the scale has the input's rank */
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        if (v < 0)
            continue;
        if (lp->twin[v] >= 0)
            any = true;
        else if (!is_scalar_constant(lp->g, v) || k == 0)
            return false;
    }
    return any;
}

static status_t oom(error_t *err)
{
    return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory in the layout pass");
}

/* Appends node to the new node list; the list grows as needed. */
static status_t emit(layout_pass_t *lp, const graph_node_t *node, error_t *err)
{
    if (lp->n_nodes == lp->cap_nodes) {
        int cap = lp->cap_nodes * 2 + 16;
        graph_node_t *grown;
        if (cap > GRAPH_MAX_NODES)
            return error_set(err, STATUS_LIMIT_EXCEEDED, "layout pass: too many nodes");
        grown = realloc(lp->nodes, (size_t)cap * sizeof *grown);
        if (!grown)
            return oom(err);
        lp->nodes = grown;
        lp->cap_nodes = cap;
    }
    lp->nodes[lp->n_nodes++] = *node;
    return STATUS_OK;
}

/* A new value named after v with suffix; -1 when out of memory. */
static int derived_value(graph_t *g, int v, const char *suffix)
{
    size_t len = strlen(g->values[v].name) + strlen(suffix) + 1;
    char *name = arena_alloc(&g->arena, len);

    if (!name)
        return -1;
    snprintf(name, len, "%s%s", g->values[v].name, suffix);
    return graph_add_value(g, name);
}

/* Emits a one-input one-output reorder node from -> to. */
static status_t emit_reorder(layout_pass_t *lp, const op_schema_t *schema, int from, int to,
                             error_t *err)
{
    graph_t *g = lp->g;
    graph_node_t node = {0};
    size_t len = strlen(g->values[to].name) + strlen(schema->op_type) + 2;
    char *name = arena_alloc(&g->arena, len);

    node.inputs = arena_alloc(&g->arena, sizeof *node.inputs);
    node.outputs = arena_alloc(&g->arena, sizeof *node.outputs);
    if (!name || !node.inputs || !node.outputs)
        return oom(err);
    snprintf(name, len, "%s:%s", schema->op_type, g->values[to].name);
    node.name = name;
    node.op_type = schema->op_type;
    node.domain = "";
    node.schema = schema;
    node.n_inputs = node.n_outputs = 1;
    node.inputs[0] = from;
    node.outputs[0] = to;
    return emit(lp, &node, err);
}

/* The twin of v, reordering v into a new one if it has none yet. */
static status_t need_twin(layout_pass_t *lp, int v, error_t *err)
{
    int t;

    if (lp->twin[v] >= 0)
        return STATUS_OK;
    if ((t = derived_value(lp->g, v, "#nhwc")) < 0)
        return oom(err);
    lp->twin[v] = t;
    return emit_reorder(lp, &layout_to_nhwc_schema, v, t, err);
}

/* Makes the plain value v exist, reordering its twin back if it is pending. */
static status_t need_plain(layout_pass_t *lp, int v, error_t *err)
{
    if (v < 0 || !lp->pending[v])
        return STATUS_OK;
    lp->pending[v] = false;
    return emit_reorder(lp, &layout_to_nchw_schema, lp->twin[v], v, err);
}

/* Points the node's single output at a new twin of it. */
static status_t retarget_output(layout_pass_t *lp, graph_node_t *node, error_t *err)
{
    int out = node->outputs[0];
    int t = derived_value(lp->g, out, "#nhwc");

    if (t < 0)
        return oom(err);
    lp->twin[out] = t;
    lp->pending[out] = true;
    node->outputs[0] = t;
    return STATUS_OK;
}

/* Turns a Conv node (in place) into a ConvNHWC with the same attributes. */
static status_t convert_conv(layout_pass_t *lp, graph_node_t *node, error_t *err)
{
    conv_nhwc_params_t *p = arena_alloc(&lp->g->arena, sizeof *p);
    int *inputs = arena_alloc(&lp->g->arena, (size_t)node->n_inputs * sizeof *inputs);
    status_t st;

    if (!p || !inputs)
        return oom(err);
    if ((st = need_twin(lp, node->inputs[0], err)))
        return st;
    memset(p, 0, sizeof *p);
    p->conv = *(const conv_params_t *)node->params;
    memcpy(inputs, node->inputs, (size_t)node->n_inputs * sizeof *inputs);
    inputs[0] = lp->twin[node->inputs[0]];
    node->inputs = inputs;
    node->params = p;
    node->schema = &conv_nhwc_schema;
    node->op_type = conv_nhwc_schema.op_type;
    return retarget_output(lp, node, err);
}

/* Turns an inferd.QLinearConv (in place) into inferd.QLinearConvNHWC, same params. */
static status_t convert_qconv(layout_pass_t *lp, graph_node_t *node, error_t *err)
{
    int *inputs = arena_alloc(&lp->g->arena, (size_t)node->n_inputs * sizeof *inputs);
    status_t st;

    if (!inputs)
        return oom(err);
    if ((st = need_twin(lp, node->inputs[0], err)))
        return st;
    memcpy(inputs, node->inputs, (size_t)node->n_inputs * sizeof *inputs);
    inputs[0] = lp->twin[node->inputs[0]];
    node->inputs = inputs;
    node->schema = &quant_nhwc_conv_schema;
    node->op_type = quant_nhwc_conv_schema.op_type;
    return retarget_output(lp, node, err);
}

/* Moves an elementwise or pooling node onto the twins of its inputs. */
static status_t convert_follower(layout_pass_t *lp, graph_node_t *node, error_t *err)
{
    int *inputs = arena_alloc(&lp->g->arena, (size_t)node->n_inputs * sizeof *inputs);
    const op_schema_t *pool = pool_schema(node);

    if (!inputs)
        return oom(err);
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        inputs[k] = v >= 0 && lp->twin[v] >= 0 ? lp->twin[v] : v;
    }
    node->inputs = inputs;
    if (pool) {
        node->schema = pool;
        node->op_type = pool->op_type;
    }
    return retarget_output(lp, node, err);
}

static status_t run_pass(layout_pass_t *lp, error_t *err)
{
    graph_t *g = lp->g;
    status_t st = STATUS_OK;

    for (int i = 0; i < g->n_nodes && !st; i++) {
        graph_node_t node = g->nodes[i];
        if (conv_convertible(g, &node)) {
            st = convert_conv(lp, &node, err);
        } else if (qconv_convertible(g, &node)) {
            st = convert_qconv(lp, &node, err);
        } else if (follows_twins(lp, &node)) {
            st = convert_follower(lp, &node, err);
        } else {
            for (int k = 0; k < node.n_inputs && !st; k++)
                st = need_plain(lp, node.inputs[k], err);
        }
        if (!st)
            st = emit(lp, &node, err);
    }
    for (int k = 0; k < g->n_outputs && !st; k++)
        st = need_plain(lp, g->outputs[k], err);
    return st;
}

status_t graph_layout_channels_last(graph_t *g, error_t *err)
{
    layout_pass_t lp = {.g = g};
    int n_values = g->n_values;
    status_t st;

    /* Twins are created while values grow: size the maps for the worst case. */
    lp.twin = malloc(((size_t)n_values * 2 + 1) * sizeof *lp.twin);
    lp.pending = calloc((size_t)n_values * 2 + 1, sizeof *lp.pending);
    if (!lp.twin || !lp.pending) {
        st = oom(err);
        goto cleanup;
    }
    for (int v = 0; v < 2 * n_values; v++)
        lp.twin[v] = -1;
    st = run_pass(&lp, err);
    if (st)
        goto cleanup;
    free(g->nodes);
    g->nodes = lp.nodes;
    g->n_nodes = lp.n_nodes;
    lp.nodes = NULL;
    for (int v = 0; v < g->n_values; v++)
        if (!g->values[v].constant)
            g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            if (g->nodes[i].outputs[k] >= 0)
                g->values[g->nodes[i].outputs[k]].producer = i;
cleanup:
    free(lp.twin);
    free(lp.pending);
    free(lp.nodes);
    return st;
}
