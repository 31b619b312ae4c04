/*
 * half.c - float16 and bfloat16 models run in float (graph_widen_halves).
 *
 * Design. ONNX ops are polymorphic over float, float16 and bfloat16 alike,
 * so a half model computes the same thing in float, only more precisely.
 * Before folding, the compiler rewrites a half model into a float one:
 *
 *   - a value that is half by construction (a graph input, a Constant, the
 *     output of Cast or CastLike to a half type) keeps its half producer, and its readers read a
 * float copy made by a Cast after it (Cast itself reads the half value, which keeps Cast(half ->
 * double) exact);
 *   - a half initializer is converted to float once, for the readers that
 *     want float; a reader whose kernel packs half weights itself
 *     (op_kernel_t.half_inputs: MatMul, Gemm and FusedMatMul's B, Conv and
 *     ConvNHWC's W) keeps the half tensor, so its weights stay at half size:
 *     the GEMM keeps its packed B half and widens one K block at a time
 *     (kernels/gemm/gemm.c), Winograd widens a panel of taps before its
 *     transform. Where such a kernel leaves the weights (pack returns no
 *     state: a Gemm with transA, a grouped convolution), the engine widens
 *     them then (compile.c's pack_weights);
 *   - every other value a model declares half is float from then on, and a
 *     graph output declared half gets a Cast back to its type.
 *
 * The rest of the model then runs on float kernels, fused and laid out as
 * a float model is, and its activations are float: the only conversions
 * left are at the model's edges and inside the weight-packing kernels. A
 * Cast to a half type still rounds (it is kept, followed by the widening
 * Cast), so values a model rounds to half on purpose stay rounded.
 *
 * Half by construction too: a ConstantOfShape of a half value, an EyeLike
 * or a random op whose dtype attribute is half (their kernels write halves).
 *
 * Limits: a CastLike rounds to half only when its second input is half by
 * construction (not when it is computed from half values); a RandomLike op
 * or Bernoulli without a dtype attribute, reading a half input, draws in
 * float without rounding to half.
 */
#include "half_pass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/cast.h"
#include "constant/constant.h"
#include "eyelike/eyelike.h"
#include "half.h"
#include "random/random.h"

/* A new value copying v's declared shape, named after it; -1 when out of memory. */
static int add_value_like(graph_t *g, int v, const char *suffix, dtype_t dtype)
{
    char name[512];
    int nv;

    snprintf(name, sizeof name, "%s/%s", g->values[v].name, suffix);
    nv = graph_add_value(g, name);
    if (nv < 0)
        return -1;
    {
        const char *own = g->values[nv].name;
        g->values[nv] = g->values[v];
        g->values[nv].name = own;
    }
    g->values[nv].dtype = dtype;
    g->values[nv].constant = NULL;
    g->values[nv].producer = -1;
    g->values[nv].consumers = 0;
    g->values[nv].value_keyed = false;
    return nv;
}

/* Appends Cast(from) -> to; the node array may move. */
static status_t add_cast(graph_t *g, int from, int to, dtype_t dtype, error_t *err)
{
    const op_schema_t *schema = op_registry_find("Cast", g->opset >= 6 ? g->opset : 6);
    graph_node_t *grown, *node;
    cast_params_t *params;
    int *inputs, *outputs;
    char name[512];

    if (!schema)
        return error_set(err, STATUS_INTERNAL, "no Cast kernel at opset %d", g->opset);
    if (g->n_nodes >= GRAPH_MAX_NODES)
        return error_set(err, STATUS_LIMIT_EXCEEDED,
                         "widening half values makes more than %d nodes", GRAPH_MAX_NODES);
    grown = realloc(g->nodes, ((size_t)g->n_nodes + 2) * sizeof *grown);
    if (!grown)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening half values");
    g->nodes = grown;
    params = arena_alloc(&g->arena, sizeof *params);
    inputs = arena_alloc(&g->arena, sizeof *inputs);
    outputs = arena_alloc(&g->arena, sizeof *outputs);
    snprintf(name, sizeof name, "%s/cast_%s", g->values[to].name, dtype_name(dtype));
    node = &g->nodes[g->n_nodes];
    memset(node, 0, sizeof *node);
    node->name = arena_strdup(&g->arena, name);
    if (!params || !inputs || !outputs || !node->name)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening half values");
    params->to = dtype;
    inputs[0] = from;
    outputs[0] = to;
    node->op_type = "Cast";
    node->domain = "";
    node->n_inputs = 1;
    node->inputs = inputs;
    node->n_outputs = 1;
    node->outputs = outputs;
    node->schema = schema;
    node->params = params;
    g->values[to].producer = g->n_nodes;
    g->n_nodes++;
    return STATUS_OK;
}

/* The dtype of a tensor attribute (Constant's value), or DTYPE_UNDEFINED. */
static dtype_t tensor_attr_dtype(const graph_node_t *node, const char *name)
{
    const attr_t *a = attrs_find(&node->attrs, name);

    return a && a->t ? a->t->dtype : DTYPE_UNDEFINED;
}

/*
 * The half type output k of node has by construction, or DTYPE_UNDEFINED.
 * half[] holds what is known of the inputs (nodes are visited in order of
 * the producers' indices, so an input's producer may come later: CastLike
 * then misses it, as the limits above say).
 */
static dtype_t native_half(const graph_t *g, const graph_node_t *node, int k, const dtype_t *half)
{
    if (k != 0 || node->domain[0] != '\0')
        return DTYPE_UNDEFINED;
    if (strcmp(node->op_type, "Constant") == 0) {
        dtype_t t = tensor_attr_dtype(node, "value");
        return dtype_is_half(t) ? t : DTYPE_UNDEFINED;
    }
    if (strcmp(node->op_type, "Cast") == 0) {
        const cast_params_t *p = node->params;
        return dtype_is_half(p->to) ? p->to : DTYPE_UNDEFINED;
    }
    if (strcmp(node->op_type, "CastLike") == 0 && node->n_inputs > 1 && node->inputs[1] >= 0)
        return half[node->inputs[1]];
    /* Ops that make a half output of their own (a dtype attribute, a half value): */
    if (strcmp(node->op_type, "ConstantOfShape") == 0) {
        const constant_of_shape_params_t *p = node->params;
        return dtype_is_half(p->dtype) ? p->dtype : DTYPE_UNDEFINED;
    }
    if (strcmp(node->op_type, "EyeLike") == 0) {
        const eyelike_params_t *p = node->params;
        return dtype_is_half(p->dtype) ? p->dtype : DTYPE_UNDEFINED;
    }
    if (node->schema->kernel == &random_kernel) {
        const random_params_t *p = node->params;
        return dtype_is_half(p->dtype) ? p->dtype : DTYPE_UNDEFINED;
    }
    (void)g;
    return DTYPE_UNDEFINED;
}

/* True when input k of node reads a half value as it is, with no float copy. */
static bool reads_half(const graph_node_t *node, int k)
{
    const op_kernel_t *kernel = node->schema->kernel;

    if (node->domain[0] == '\0' &&
        (strcmp(node->op_type, "Cast") == 0 || (strcmp(node->op_type, "CastLike") == 0)))
        return true;
    return k < 32 && (kernel->half_inputs & (1u << k));
}

/* A float copy of half constant c, in g's arena; NULL when out of memory. */
static tensor_t *widened_constant(graph_t *g, const tensor_t *c)
{
    tensor_t *t = arena_alloc(&g->arena, sizeof *t);
    int64_t n = tensor_numel(c);

    if (!t)
        return NULL;
    *t = *c;
    t->dtype = DTYPE_FLOAT;
    t->data = arena_alloc(&g->arena, (size_t)n * sizeof(float) + 1);
    if (!t->data)
        return NULL;
    half_to_float_n(c->dtype, c->data, t->data, n);
    return t;
}

status_t half_widen_constant_input(graph_t *g, graph_node_t *node, int k, error_t *err)
{
    int v = node->inputs[k];
    const tensor_t *c = g->values[v].constant;
    int nv;

    nv = add_value_like(g, v, "float", DTYPE_FLOAT);
    if (nv < 0 || !(g->values[nv].constant = widened_constant(g, c)))
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening '%s' to float",
                         g->values[v].name);
    /* graph_add_value grows the values, never the nodes: node is still valid. */
    node->inputs[k] = nv;
    g->values[nv].consumers = 1;
    if (g->values[v].consumers > 0)
        g->values[v].consumers--;
    return STATUS_OK;
}

status_t graph_widen_halves(graph_t *g, error_t *err)
{
    int n_values = g->n_values, n_nodes = g->n_nodes;
    dtype_t *half = calloc((size_t)n_values + 1, sizeof *half);
    int *widened = malloc(((size_t)n_values + 1) * sizeof *widened);
    bool any = false, top = g->depth == 0;
    status_t st = STATUS_OK;

    if (!half || !widened) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening half values");
        goto cleanup;
    }
    for (int v = 0; v < n_values; v++) {
        const tensor_t *c = g->values[v].constant;
        widened[v] = -1;
        if (c && dtype_is_half(c->dtype))
            half[v] = c->dtype;
    }
    if (top)
        for (int i = 0; i < g->n_inputs; i++)
            if (dtype_is_half(g->values[g->inputs[i]].dtype))
                half[g->inputs[i]] = g->values[g->inputs[i]].dtype;
    for (int i = 0; i < n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            if (g->nodes[i].outputs[k] >= 0)
                half[g->nodes[i].outputs[k]] = native_half(g, &g->nodes[i], k, half);
    for (int v = 0; v < n_values; v++)
        any |= half[v] != DTYPE_UNDEFINED || dtype_is_half(g->values[v].dtype);
    if (!any)
        goto cleanup;

    /* Readers that want float read a float copy: folded constants or a Cast after. */
    for (int i = 0; i < n_nodes && !st; i++)
        for (int k = 0; k < g->nodes[i].n_inputs && !st; k++) {
            int v = g->nodes[i].inputs[k];
            if (v < 0 || half[v] == DTYPE_UNDEFINED || reads_half(&g->nodes[i], k))
                continue;
            if (widened[v] < 0) {
                int nv = add_value_like(g, v, "float", DTYPE_FLOAT);
                if (nv < 0) {
                    st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening half values");
                    break;
                }
                if (g->values[v].constant) {
                    g->values[nv].constant = widened_constant(g, g->values[v].constant);
                    if (!g->values[nv].constant)
                        st = error_set(err, STATUS_OUT_OF_MEMORY,
                                       "out of memory widening '%s' to float", g->values[v].name);
                } else {
                    st = add_cast(g, v, nv, DTYPE_FLOAT, err);
                }
                widened[v] = nv;
            }
            g->nodes[i].inputs[k] = widened[v];
        }
    /* A subgraph's outputs are read as float by the node that runs it. */
    for (int k = 0; k < g->n_outputs && !st && !top; k++) {
        int v = g->outputs[k];
        if (half[v] == DTYPE_UNDEFINED)
            continue;
        if (widened[v] < 0) {
            int nv = add_value_like(g, v, "float", DTYPE_FLOAT);
            if (nv < 0) {
                st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening half values");
                break;
            }
            st = add_cast(g, v, nv, DTYPE_FLOAT, err);
            widened[v] = nv;
        }
        g->outputs[k] = widened[v];
    }
    /* The model's outputs declared half but computed in float go back to their type. */
    for (int k = 0; k < g->n_outputs && !st && top; k++) {
        int v = g->outputs[k], nv;
        dtype_t t = g->values[v].dtype;
        if (half[v] != DTYPE_UNDEFINED || !dtype_is_half(t))
            continue;
        nv = add_value_like(g, v, dtype_name(t), t);
        if (nv < 0) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory widening half values");
            break;
        }
        st = add_cast(g, v, nv, t, err);
        g->outputs[k] = nv;
    }
    /* Whatever else was declared half is float now. */
    for (int v = 0; v < n_values && !st; v++)
        if (half[v] == DTYPE_UNDEFINED && dtype_is_half(g->values[v].dtype))
            g->values[v].dtype = DTYPE_FLOAT;
cleanup:
    free(half);
    free(widened);
    return st;
}
