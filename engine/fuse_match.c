/* fuse_match.c - graph queries shared by the fusion passes. */
#include "fuse_match.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"

int *fuse_consumers(const graph_t *g)
{
    int *count = calloc((size_t)g->n_values + 1, sizeof *count);

    if (!count)
        return NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node_t *node = &g->nodes[i];
        if (node->removed)
            continue;
        for (int k = 0; k < node->n_inputs; k++)
            if (node->inputs[k] >= 0)
                count[node->inputs[k]]++;
    }
    for (int k = 0; k < g->n_outputs; k++)
        count[g->outputs[k]]++;
    return count;
}

status_t fuse_each(graph_t *g, const char *op_type, fuse_match_fn match, error_t *err)
{
    int *consumers = fuse_consumers(g);
    status_t st = STATUS_OK;

    if (!consumers)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < g->n_nodes && !st; i++) {
        graph_node_t *node = &g->nodes[i];
        if (!node->removed && strcmp(node->op_type, op_type) == 0)
            st = match(g, consumers, node, err);
    }
    free(consumers);
    return st;
}

graph_node_t *fuse_producer(graph_t *g, int v, const char *op_type)
{
    int p = v >= 0 ? g->values[v].producer : -1;

    if (p < 0 || g->nodes[p].removed || strcmp(g->nodes[p].op_type, op_type) != 0)
        return NULL;
    return &g->nodes[p];
}

graph_node_t *fuse_sole_consumer(graph_t *g, const int *consumers, int v, const char *op_type)
{
    if (v < 0 || consumers[v] != 1)
        return NULL;
    /* A linear scan: passes call this a few times per match, on graphs of thousands of nodes. */
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node_t *node = &g->nodes[i];
        if (node->removed)
            continue;
        for (int k = 0; k < node->n_inputs; k++)
            if (node->inputs[k] == v)
                return strcmp(node->op_type, op_type) == 0 ? node : NULL;
    }
    return NULL;
}

bool fuse_scalar(const graph_t *g, int v, float *out)
{
    const tensor_t *t = v >= 0 ? g->values[v].constant : NULL;

    if (!t || t->dtype != DTYPE_FLOAT || tensor_numel(t) != 1)
        return false;
    *out = *(const float *)t->data;
    return true;
}

/*
 * A half model stores want rounded to float16 or bfloat16 (its constants
 * widened by engine/half.c): GELU's sqrt(2) is 1.4140625 there, 1e-4 off.
 * The pattern still means want, and the fused op computes it exactly.
 */
bool fuse_is_scalar(const graph_t *g, int v, float want)
{
    float got;

    if (!fuse_scalar(g, v, &got))
        return false;
    return fabsf(got - want) <= FUSE_CONST_TOLERANCE * fabsf(want) ||
           got == half_get(DTYPE_FLOAT16, half_from_float(DTYPE_FLOAT16, want)) ||
           got == half_get(DTYPE_BFLOAT16, half_from_float(DTYPE_BFLOAT16, want));
}

int fuse_other_input(const graph_node_t *node, int v)
{
    if (node->n_inputs != 2)
        return -1;
    if (node->inputs[0] == v)
        return node->inputs[1];
    if (node->inputs[1] == v)
        return node->inputs[0];
    return -1;
}

status_t fuse_rewrite(graph_t *g, graph_node_t *node, const op_schema_t *schema, void *params,
                      int n_inputs, const int *inputs, error_t *err)
{
    int *copy = arena_alloc(&g->arena, (size_t)n_inputs * sizeof *copy);

    if (!copy)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing node '%s'", node->name);
    memcpy(copy, inputs, (size_t)n_inputs * sizeof *copy);
    node->op_type = schema->op_type;
    node->schema = schema;
    node->params = params;
    node->n_inputs = n_inputs;
    node->inputs = copy;
    return STATUS_OK;
}
