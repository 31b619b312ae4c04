/*
 * compile.c - shape-independent graph passes, run once per model:
 *
 *   1. topological sort (a cycle is an error), then float16 and bfloat16
 *      values widened to float (half.c) and a sort again
 *   2. removal of Identity and inference-mode Dropout (before folding, so a
 *      constant passed through is aliased, not copied)
 *   3. constant folding of nodes whose inputs are all constants (the
 *      weights' DequantizeLinear after the QDQ fusion, fuse_qdq.c), then
 *      BatchNormalization into Conv and fusion of transformer patterns into
 *      internal ops (fuse_match.h)
 *   4. removal of dead nodes
 *   5. marking graph inputs whose values shape the plan (value-keyed)
 *   6. channels-last rewrite of convolution regions (layout.c), then
 *      fusion of conv epilogues (fuse_conv.c); liveness is recounted after each
 *   7. weight packing for kernels that pre-pack
 */
#include "graph.h"
#include "layout.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_match.h"
#include "half.h"
#include "half_pass.h"

static status_t topo_sort(graph_t *g, error_t *err)
{
    int n = g->n_nodes;
    int *indegree = calloc((size_t)n + 1, sizeof *indegree);
    int *edge_start = calloc((size_t)n + 2, sizeof *edge_start);
    int *edges = NULL, *order = NULL, *fill = NULL;
    graph_node_t *sorted = NULL;
    int n_edges = 0, head = 0, tail = 0;
    status_t st = STATUS_OK;

    if (!indegree || !edge_start)
        goto oom;
    /* Edges producer -> consumer, in CSR form indexed by producer. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int v = g->nodes[i].inputs[k];
            if (v >= 0 && g->values[v].producer >= 0) {
                edge_start[g->values[v].producer + 1]++;
                indegree[i]++;
                n_edges++;
            }
        }
    for (int i = 0; i < n; i++)
        edge_start[i + 1] += edge_start[i];
    edges = malloc(((size_t)n_edges + 1) * sizeof *edges);
    fill = malloc(((size_t)n + 1) * sizeof *fill);
    order = malloc(((size_t)n + 1) * sizeof *order);
    sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    if (!edges || !fill || !order || !sorted)
        goto oom;
    memcpy(fill, edge_start, (size_t)n * sizeof *fill);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int v = g->nodes[i].inputs[k];
            if (v >= 0 && g->values[v].producer >= 0)
                edges[fill[g->values[v].producer]++] = i;
        }
    for (int i = 0; i < n; i++)
        if (indegree[i] == 0)
            order[tail++] = i;
    while (head < tail) {
        int u = order[head++];
        for (int e = edge_start[u]; e < edge_start[u + 1]; e++)
            if (--indegree[edges[e]] == 0)
                order[tail++] = edges[e];
    }
    if (tail < n) {
        for (int i = 0; i < n; i++)
            if (indegree[i] > 0) {
                st = error_set(err, STATUS_INVALID_MODEL, "graph has a cycle through %s node '%s'",
                               g->nodes[i].op_type, g->nodes[i].name);
                goto cleanup;
            }
    }
    for (int i = 0; i < n; i++)
        sorted[i] = g->nodes[order[i]];
    memcpy(g->nodes, sorted, (size_t)n * sizeof *sorted);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            g->values[g->nodes[i].outputs[k]].producer = i;
    goto cleanup;
oom:
    st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory sorting the graph");
cleanup:
    free(indegree);
    free(edge_start);
    free(edges);
    free(fill);
    free(order);
    free(sorted);
    return st;
}

/* Gathers a node's inputs as tensors: constants with data, others with their declared type. */
static void node_inputs(const graph_t *g, const graph_node_t *node, const tensor_t **inputs)
{
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        inputs[k] = v >= 0 ? g->values[v].constant : NULL;
    }
}

static bool all_inputs_constant(const graph_t *g, const graph_node_t *node)
{
    for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && !g->values[node->inputs[k]].constant)
            return false;
    return true;
}

/*
 * A DequantizeLinear of a constant stays unfolded while keep_dequantize
 * holds: the QDQ fusion (fuse_qdq.c) reads the int8 weights through it.
 * The fold after that pass folds those it left.
 */
static bool kept_for_qdq(const graph_node_t *node, bool keep_dequantize)
{
    return keep_dequantize && strcmp(node->op_type, "DequantizeLinear") == 0;
}

static status_t fold_constants(graph_t *g, bool keep_dequantize, error_t *err)
{
    const tensor_t *inputs[NODE_MAX_INPUTS];
    tensor_t *outputs = NULL;
    status_t st = STATUS_OK;

    for (int i = 0; i < g->n_nodes && !st; i++) {
        graph_node_t *node = &g->nodes[i];
        size_t workspace = 0;
        /*
         * A random op draws anew on every run; control flow runs subgraphs,
         * which only a context can (a constant If is inlined): never folded.
         */
        /* Removed: folded by an earlier pass (its attribute tensors may be gone). */
        if (node->removed || node->n_bodies > 0 || node->schema->kernel->random ||
            !all_inputs_constant(g, node) || kept_for_qdq(node, keep_dequantize))
            continue;
        outputs = arena_alloc(&g->arena, ((size_t)node->n_outputs + 1) * sizeof *outputs);
        if (!outputs)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        node_inputs(g, node, inputs);
        st = graph_node_infer(g, node, inputs, outputs, &workspace, err);
        /* Left to the plan: loading costs about what the file holds. */
        if (!st && graph_node_fold_grows(node, inputs, outputs, workspace))
            continue;
        if (!st)
            st = graph_node_fold(g, node, inputs, outputs, &g->arena, err);
        /* Constants that do not fit together are the model's fault, not a caller's. */
        if (st == STATUS_INVALID_ARGUMENT)
            st = err->code = STATUS_INVALID_MODEL;
        if (st)
            break;
        for (int k = 0; k < node->n_outputs; k++) {
            graph_value_t *v = &g->values[node->outputs[k]];
            v->constant = &outputs[k];
            v->producer = -1;
        }
        node->removed = true;
        /* Its attribute tensors (a Constant's value) now live on in the outputs. */
        for (size_t a = 0; a < node->attrs.count; a++) {
            tensor_t *t = (tensor_t *)node->attrs.items[a].t;
            if (t && t->data && arena_free_block(&g->arena, t->data))
                t->data = NULL;
        }
    }
    return st;
}

/* True for a node that only forwards its first input: Identity, inference Dropout. */
static bool is_passthrough(const graph_t *g, const graph_node_t *node)
{
    if (strcmp(node->op_type, "Identity") == 0)
        return true;
    if (strcmp(node->op_type, "Dropout") != 0 || node->n_outputs > 1)
        return false;
    if (node->n_inputs > 2 && node->inputs[2] >= 0) {
        const tensor_t *training = g->values[node->inputs[2]].constant;
        return training && !*(const bool *)training->data;
    }
    return true;
}

static status_t remove_passthrough(graph_t *g, error_t *err)
{
    int *alias = malloc(((size_t)g->n_values + 1) * sizeof *alias);

    if (!alias)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (int v = 0; v < g->n_values; v++)
        alias[v] = v;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node_t *node = &g->nodes[i];
        if (node->removed || !is_passthrough(g, node) || node->inputs[0] < 0)
            continue;
        /* Nodes are sorted, so the input's own alias is already final. */
        alias[node->outputs[0]] = alias[node->inputs[0]];
        node->removed = true;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                g->nodes[i].inputs[k] = alias[g->nodes[i].inputs[k]];
    for (int k = 0; k < g->n_outputs; k++)
        g->outputs[k] = alias[g->outputs[k]];
    free(alias);
    return STATUS_OK;
}

/*
 * Marks live nodes (those an output depends on), counts consumers, and
 * finds the graph inputs whose values a prototype needs while planning.
 */
static status_t mark_liveness(graph_t *g, error_t *err)
{
    bool *needed = calloc((size_t)g->n_values + 1, sizeof *needed);
    bool *value_needed = calloc((size_t)g->n_values + 1, sizeof *value_needed);

    if (!needed || !value_needed) {
        free(needed);
        free(value_needed);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    for (int k = 0; k < g->n_outputs; k++)
        needed[g->outputs[k]] = true;
    for (int v = 0; v < g->n_values; v++)
        g->values[v].consumers = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        graph_node_t *node = &g->nodes[i];
        const op_kernel_t *kernel = node->schema->kernel;
        bool live = false, feeds_shape = false;
        if (node->removed)
            continue;
        for (int k = 0; k < node->n_outputs; k++) {
            live |= needed[node->outputs[k]];
            feeds_shape |= value_needed[node->outputs[k]];
        }
        if (!live) {
            node->removed = true;
            continue;
        }
        for (int k = 0; k < node->n_inputs; k++) {
            int v = node->inputs[k];
            if (v < 0)
                continue;
            needed[v] = true;
            g->values[v].consumers++;
            if ((kernel->value_inputs & (1u << k)) || (feeds_shape && !kernel->shape_only))
                value_needed[v] = true;
        }
    }
    for (int k = 0; k < g->n_inputs; k++)
        g->values[g->inputs[k]].value_keyed = value_needed[g->inputs[k]];
    free(needed);
    free(value_needed);
    return STATUS_OK;
}

/* True if every live consumer of value v packed it and no longer reads its data. */
static bool only_packed_uses(const graph_t *g, int v)
{
    bool used = false;

    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k] == v)
            return false;
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node_t *node = &g->nodes[i];
        for (int k = 0; k < node->n_inputs; k++) {
            if (node->inputs[k] != v)
                continue;
            if (!node->state || !(node->schema->kernel->packed_inputs & (1u << k)))
                return false;
            used = true;
        }
    }
    return used;
}

/*
 * Frees the constant inputs of node that now live only in packed form (e.g.
 * convolution weights reordered for oneDNN) once their last consumer has
 * packed them, so the model holds its weights once, even while packing.
 */
static void drop_packed_inputs(graph_t *g, const graph_node_t *node)
{
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        tensor_t *t = v >= 0 ? g->values[v].constant : NULL;
        if (t && t->data && only_packed_uses(g, v) && arena_free_block(&g->arena, t->data))
            t->data = NULL;
    }
}

/* What pack's consumed callback needs: which inputs die after this pack. */
typedef struct pack_context {
    graph_t *g;
    const graph_node_t *node;
    uint32_t freed_inputs; /* bit k: input k is freed once node has packed it */
} pack_context_t;

/* True if node's pack is the last use of input k's data: every other reader has packed it. */
static bool freed_after_pack(const graph_t *g, const graph_node_t *node, int k)
{
    uint32_t packed = node->schema->kernel->packed_inputs;
    int v = node->inputs[k];

    if (v < 0 || k >= 32 || !(packed & (1u << k)) || !g->values[v].constant)
        return false;
    for (int o = 0; o < g->n_outputs; o++)
        if (g->outputs[o] == v)
            return false;
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node_t *other = &g->nodes[i];
        if (other->removed)
            continue;
        for (int j = 0; j < other->n_inputs; j++) {
            if (other->inputs[j] != v)
                continue;
            uint32_t bit = j < 32 ? 1u << j : 0;
            if (!(other->schema->kernel->packed_inputs & bit) || (other != node && !other->state))
                return false;
        }
    }
    return true;
}

static void discard_consumed(const op_call_t *call, int input, size_t bytes)
{
    const pack_context_t *pc = call->consumed_ctx;
    const tensor_t *t;

    if (input < 0 || input >= 32 || !(pc->freed_inputs & (1u << input)))
        return;
    t = pc->g->values[pc->node->inputs[input]].constant;
    assert(bytes <= tensor_bytes(t));
    arena_discard_prefix(&pc->g->arena, t->data, bytes);
}

/* True if node has a half constant where its kernel takes half weights. */
static bool widen_unpacked_halves(const graph_t *g, const graph_node_t *node,
                                  const tensor_t **inputs)
{
    (void)g;
    for (int k = 0; k < node->n_inputs && k < 32; k++)
        if (inputs[k] && (node->schema->kernel->half_inputs & (1u << k)) &&
            dtype_is_half(inputs[k]->dtype))
            return true;
    return false;
}

static status_t pack_weights(graph_t *g, error_t *err)
{
    const tensor_t *inputs[NODE_MAX_INPUTS];

    for (int i = 0; i < g->n_nodes; i++) {
        graph_node_t *node = &g->nodes[i];
        const op_kernel_t *kernel = node->schema->kernel;
        pack_context_t pc = {.g = g, .node = node};
        op_call_t call = {0};
        bool packed_bf16 = false;
        status_t st;
        if (node->removed)
            continue;
        /* Without a pack hook, a kernel with half_inputs reads its half inputs itself (Gather). */
        if (!kernel->pack)
            continue;
        for (int k = 0; k < node->n_inputs && k < 32; k++)
            if (freed_after_pack(g, node, k))
                pc.freed_inputs |= 1u << k;
        /* Slots past n_inputs must not hold the previous node's (import checked the counts). */
        memset(inputs, 0, sizeof inputs);
        node_inputs(g, node, inputs);
        call.op_type = node->op_type;
        call.node = node->name;
        call.params = node->params;
        call.n_inputs = node->n_inputs;
        call.inputs = inputs;
        call.n_outputs = node->n_outputs;
        call.threads = 1;
        call.consumed = discard_consumed;
        call.consumed_ctx = &pc;
        call.bf16 = g->bf16;
        call.packed_bf16 = &packed_bf16;
        st = kernel->pack(&call, &node->state, err);
        if (st)
            return st;
        if (!node->state && widen_unpacked_halves(g, node, inputs)) {
            /* The kernel left its half weights: it gets float copies and packs those. */
            for (int k = 0; k < node->n_inputs && k < 32; k++) {
                if (!inputs[k] || !(kernel->half_inputs & (1u << k)) ||
                    !dtype_is_half(inputs[k]->dtype))
                    continue;
                st = half_widen_constant_input(g, node, k, err);
                if (st)
                    return st;
            }
            node_inputs(g, node, inputs);
            pc.freed_inputs = 0;
            st = kernel->pack(&call, &node->state, err);
            if (st)
                return st;
        }
        drop_packed_inputs(g, node);
        if (node->state && packed_bf16)
            g->bf16_layers++;
    }
    return STATUS_OK;
}

/* Frees constants nothing reads any more (e.g. a weight only a folded Transpose used). */
static void release_dead_constants(graph_t *g)
{
    for (int v = 0; v < g->n_values; v++) {
        tensor_t *t = g->values[v].constant;
        bool output = false;
        for (int k = 0; k < g->n_outputs; k++)
            output |= g->outputs[k] == v;
        if (t && t->data && g->values[v].consumers == 0 && !output &&
            arena_free_block(&g->arena, t->data))
            t->data = NULL;
    }
}

/* Drops removed nodes from the array and renumbers producers. */
static void compact_nodes(graph_t *g)
{
    int kept = 0;

    for (int v = 0; v < g->n_values; v++)
        if (!g->values[v].constant)
            g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].removed)
            continue;
        g->nodes[kept] = g->nodes[i];
        for (int k = 0; k < g->nodes[kept].n_outputs; k++)
            g->values[g->nodes[kept].outputs[k]].producer = kept;
        kept++;
    }
    g->n_nodes = kept;
}

/* Reads a constant If condition (one bool); false when cond is not one. */
static bool constant_condition(const graph_t *g, const graph_node_t *node, bool *value)
{
    const tensor_t *cond = node->inputs[0] >= 0 ? g->values[node->inputs[0]].constant : NULL;

    if (!cond || !cond->data || cond->dtype != DTYPE_BOOL || tensor_numel(cond) != 1)
        return false;
    *value = *(const bool *)cond->data;
    return true;
}

/*
 * Replaces If node at index i, whose condition is constant, by the nodes
 * of the branch it takes: the branch's values become values of g (its
 * outer-scope reads the values they read), its nodes are appended, and
 * whatever read the If's outputs reads the branch's instead. Nodes are
 * left unsorted.
 */
static status_t inline_branch(graph_t *g, int i, bool taken, int *alias, error_t *err)
{
    graph_node_t *node = &g->nodes[i];
    const attr_t *attr = attrs_find(&node->attrs, taken ? "then_branch" : "else_branch");
    const graph_t *br;
    int *map = NULL;
    graph_node_t *grown;
    status_t st = STATUS_OK;

    assert(attr && attr->type == ATTR_GRAPH && attr->graph < node->n_bodies);
    br = node->bodies[attr->graph];
    if (br->n_outputs != node->n_outputs)
        return op_fail(err, STATUS_INVALID_MODEL, node->op_type, node->name,
                       "the branch taken has %d outputs, the node %d", br->n_outputs,
                       node->n_outputs);
    if (g->n_nodes + br->n_nodes > GRAPH_MAX_NODES)
        return error_set(err, STATUS_LIMIT_EXCEEDED,
                         "If node '%s': inlining its branch makes "
                         "more than %d nodes",
                         node->name, GRAPH_MAX_NODES);
    map = malloc(((size_t)br->n_values + 1) * sizeof *map);
    grown = realloc(g->nodes, ((size_t)g->n_nodes + br->n_nodes + 1) * sizeof *grown);
    if (grown)
        g->nodes = grown;
    if (!map || !grown) {
        st =
            error_set(err, STATUS_OUT_OF_MEMORY, "out of memory inlining If node '%s'", node->name);
        goto cleanup;
    }
    node = &g->nodes[i];
    for (int u = 0; u < br->n_values; u++)
        map[u] = -1;
    for (int k = br->n_formal_inputs; k < br->n_inputs; k++)
        map[br->inputs[k]] = node->inputs[br->outer_inputs[k - br->n_formal_inputs]];
    for (int u = 0; u < br->n_values; u++) {
        char name[256];
        int v;
        if (map[u] >= 0)
            continue;
        snprintf(name, sizeof name, "%s/%s", node->name, br->values[u].name);
        v = graph_add_value(g, name);
        if (v < 0) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory inlining If node '%s'",
                           node->name);
            goto cleanup;
        }
        {
            const char *own_name = g->values[v].name;
            g->values[v] = br->values[u];
            g->values[v].name = own_name;
            g->values[v].producer = -1;
        }
        map[u] = v;
    }
    for (int j = 0; j < br->n_nodes; j++) {
        graph_node_t *copy = &g->nodes[g->n_nodes];
        *copy = br->nodes[j];
        copy->inputs = arena_alloc(&g->arena, ((size_t)copy->n_inputs + 1) * sizeof(int));
        copy->outputs = arena_alloc(&g->arena, ((size_t)copy->n_outputs + 1) * sizeof(int));
        if (!copy->inputs || !copy->outputs) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory inlining If node '%s'",
                           g->nodes[i].name);
            goto cleanup;
        }
        for (int k = 0; k < copy->n_inputs; k++)
            copy->inputs[k] = br->nodes[j].inputs[k] >= 0 ? map[br->nodes[j].inputs[k]] : -1;
        for (int k = 0; k < copy->n_outputs; k++) {
            copy->outputs[k] = map[br->nodes[j].outputs[k]];
            g->values[copy->outputs[k]].producer = g->n_nodes;
        }
        g->n_nodes++;
    }
    node = &g->nodes[i];
    for (int k = 0; k < node->n_outputs; k++)
        alias[node->outputs[k]] = map[br->outputs[k]];
    node->removed = true;
cleanup:
    free(map);
    return st;
}

/*
 * Folds every If whose condition is a constant into the branch it takes,
 * then re-sorts and folds again (the branch may hold constant Ifs too),
 * at most GRAPH_MAX_DEPTH rounds, one per nesting level.
 */
static status_t inline_constant_ifs(graph_t *g, error_t *err)
{
    status_t st = STATUS_OK;

    for (int round = 0; round < GRAPH_MAX_DEPTH && !st; round++) {
        int n = g->n_nodes, n_values = g->n_values, inlined = 0;
        int *alias = malloc(((size_t)n_values + 1) * sizeof *alias);
        if (!alias)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        for (int v = 0; v < g->n_values; v++)
            alias[v] = v;
        for (int i = 0; i < n && !st; i++) {
            bool taken;
            if (g->nodes[i].removed || strcmp(g->nodes[i].op_type, "If") != 0 ||
                !constant_condition(g, &g->nodes[i], &taken))
                continue;
            st = inline_branch(g, i, taken, alias, err);
            inlined++;
        }
        if (!st && inlined) {
            /* Only values from before this round are aliased; an alias may chain through an If. */
            for (int v = 0; v < n_values; v++) {
                int a = v, hops = 0;
                while (a < n_values && alias[a] != a && hops++ < n_values)
                    a = alias[a];
                alias[v] = a;
            }
            for (int j = 0; j < g->n_nodes; j++)
                for (int k = 0; k < g->nodes[j].n_inputs; k++) {
                    int v = g->nodes[j].inputs[k];
                    if (v >= 0 && v < n_values)
                        g->nodes[j].inputs[k] = alias[v];
                }
            for (int k = 0; k < g->n_outputs; k++)
                if (g->outputs[k] < n_values)
                    g->outputs[k] = alias[g->outputs[k]];
        }
        free(alias);
        if (st || !inlined)
            break;
        st = topo_sort(g, err);
        if (!st)
            st = remove_passthrough(g, err);
        if (!st)
            st = fold_constants(g, true, err);
    }
    return st;
}

/*
 * Compiles the subgraphs of g's live nodes with the same passes. An outer
 * value a subgraph reads that is constant becomes a constant inside it
 * (and leaves its inputs), so folding and weight packing reach into it.
 */
static status_t compile_subgraphs(graph_t *g, error_t *err)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node_t *node = &g->nodes[i];
        for (int b = 0; b < node->n_bodies; b++) {
            graph_t *body = node->bodies[b];
            int kept = body->n_formal_inputs;
            status_t st;
            for (int k = body->n_formal_inputs; k < body->n_inputs; k++) {
                int at = body->outer_inputs[k - body->n_formal_inputs];
                const tensor_t *c = g->values[node->inputs[at]].constant;
                graph_value_t *val = &body->values[body->inputs[k]];
                if (c && c->data) {
                    tensor_t *copy = arena_memdup(&body->arena, c, sizeof *c);
                    if (!copy)
                        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
                    val->constant = copy;
                    val->dtype = c->dtype;
                    continue;
                }
                body->outer_inputs[kept - body->n_formal_inputs] = at;
                body->inputs[kept++] = body->inputs[k];
            }
            body->n_inputs = kept;
            body->bf16 = g->bf16;
            st = graph_compile(body, err);
            if (st)
                return error_prefix(err, "%s node '%s'", node->op_type, node->name);
            g->bf16_layers += body->bf16_layers;
            g->qdq_float_layers += body->qdq_float_layers;
        }
    }
    return STATUS_OK;
}

status_t graph_compile(graph_t *g, error_t *err)
{
    status_t st = topo_sort(g, err);

    /* Half models become float ones (half.c); the Casts it adds come last, so sort again. */
    if (!st)
        st = graph_widen_halves(g, err);
    if (!st)
        st = topo_sort(g, err);
    if (!st)
        st = remove_passthrough(g, err);
    if (!st)
        st = fold_constants(g, true, err);
    if (!st)
        st = inline_constant_ifs(g, err);
    /* GELU first: the QDQ and MatMul passes take a GELU that follows a bias as an epilogue. */
    if (!st)
        st = fuse_gelu(g, err);
    if (!st)
        st = fuse_qdq(g, err);
    /* The constant DequantizeLinear nodes the QDQ fusion left (their float Conv or MatMul runs). */
    if (!st)
        st = fold_constants(g, false, err);
    if (!st)
        st = fuse_batchnorm(g, err);
    if (!st)
        st = fuse_matmul(g, err);
    if (!st)
        st = fuse_attention(g, err);
    if (!st)
        st = fuse_layernorm(g, err);
    if (!st)
        st = mark_liveness(g, err);
    if (!st) {
        compact_nodes(g);
        st = graph_layout_channels_last(g, err);
    }
    if (!st)
        st = mark_liveness(g, err);
    if (!st) {
        compact_nodes(g);
        st = graph_fuse_conv(g, err);
    }
    if (!st)
        st = mark_liveness(g, err);
    if (!st) {
        compact_nodes(g);
        st = graph_fuse_block(g, err);
    }
    if (!st)
        st = mark_liveness(g, err);
    if (!st) {
        compact_nodes(g);
        st = pack_weights(g, err);
    }
    if (!st)
        st = graph_conv_bf16_outputs(g, err);
    if (!st)
        release_dead_constants(g);
    if (!st)
        st = compile_subgraphs(g, err);
    return st;
}
