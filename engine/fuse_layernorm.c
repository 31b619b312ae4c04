/*
 * fuse_layernorm.c - LayerNormalization over the last axis as exporters
 * write it before opset 17:
 *
 *   m = ReduceMean(x, axes=[-1]);  d = Sub(x, m);  v = ReduceMean(Pow(d, 2), axes=[-1])
 *   n = Div(d, Sqrt(Add(v, eps)));  y = Add(Mul(n, gamma), beta)
 *
 * (eps, gamma and beta constants, gamma and beta on either side) becomes
 * one LayerNormalization(x, gamma, beta) with axis -1 and that epsilon,
 * the opset 17 kernel, whatever the model's opset. From opset 18 the axes
 * are a constant input, which matches too.
 */
#include "fuse_match.h"

#include <string.h>

#include "norm/norm.h"
#include "reduce/reduce.h"

/* The nodes of one match, in graph order. */
enum {
    LN_MEAN,
    LN_SUB,
    LN_POW,
    LN_VAR,
    LN_ADD_EPS,
    LN_SQRT,
    LN_DIV,
    LN_MUL,
    LN_ADD_BIAS,
    LN_NODES,
};

/*
 * ReduceMean over the last axis only, keeping it, with axes as an attribute
 * or (opset 18) as a constant input.
 */
static bool is_last_axis_mean(const graph_t *g, const graph_node_t *node)
{
    const reduce_params_t *p = node->params;
    const tensor_t *axes;

    if (!p->keepdims)
        return false;
    if (!p->axes_input)
        return node->n_inputs == 1 && p->n_axes == 1 && p->axes[0] == -1;
    axes = node->n_inputs == 2 && node->inputs[1] >= 0 ? g->values[node->inputs[1]].constant : NULL;
    return axes && axes->data && tensor_numel(axes) == 1 && tensor_get_index(axes, 0) == -1;
}

/* The live node reading v as input k with op_type, else NULL. */
static graph_node_t *reader(graph_t *g, int v, int k, const char *op_type)
{
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node_t *node = &g->nodes[i];
        if (!node->removed && node->n_inputs > k && node->inputs[k] == v &&
            strcmp(node->op_type, op_type) == 0)
            return node;
    }
    return NULL;
}

/* A float constant vector: gamma or beta. */
static bool is_vector(const graph_t *g, int v)
{
    const tensor_t *t = v >= 0 ? g->values[v].constant : NULL;

    return t && t->dtype == DTYPE_FLOAT && t->rank == 1;
}

/* The operand of a two-input node beside v when it is a float constant vector, else -1. */
static int vector_operand(const graph_t *g, const graph_node_t *node, int v)
{
    int other = fuse_other_input(node, v);

    return is_vector(g, other) ? other : -1;
}

static status_t fuse_one(graph_t *g, const int *consumers, graph_node_t *mean, error_t *err)
{
    graph_node_t *n[LN_NODES] = {[LN_MEAN] = mean};
    int x = mean->inputs[0], gamma, beta, eps_v;
    layernorm_params_t *p;
    float eps;

    if (!is_last_axis_mean(g, mean) || consumers[mean->outputs[0]] != 1)
        return STATUS_OK;
    n[LN_SUB] = fuse_sole_consumer(g, consumers, mean->outputs[0], "Sub");
    if (!n[LN_SUB] || n[LN_SUB]->inputs[0] != x || consumers[n[LN_SUB]->outputs[0]] != 2)
        return STATUS_OK;
    n[LN_POW] = reader(g, n[LN_SUB]->outputs[0], 0, "Pow");
    n[LN_DIV] = reader(g, n[LN_SUB]->outputs[0], 0, "Div");
    if (!n[LN_POW] || !n[LN_DIV] || !fuse_is_scalar(g, n[LN_POW]->inputs[1], 2.0f))
        return STATUS_OK;
    n[LN_VAR] = fuse_sole_consumer(g, consumers, n[LN_POW]->outputs[0], "ReduceMean");
    if (!n[LN_VAR] || !is_last_axis_mean(g, n[LN_VAR]))
        return STATUS_OK;
    n[LN_ADD_EPS] = fuse_sole_consumer(g, consumers, n[LN_VAR]->outputs[0], "Add");
    if (!n[LN_ADD_EPS])
        return STATUS_OK;
    eps_v = fuse_other_input(n[LN_ADD_EPS], n[LN_VAR]->outputs[0]);
    if (!fuse_scalar(g, eps_v, &eps))
        return STATUS_OK;
    n[LN_SQRT] = fuse_sole_consumer(g, consumers, n[LN_ADD_EPS]->outputs[0], "Sqrt");
    if (!n[LN_SQRT] || consumers[n[LN_SQRT]->outputs[0]] != 1 ||
        n[LN_DIV]->inputs[1] != n[LN_SQRT]->outputs[0])
        return STATUS_OK;
    n[LN_MUL] = fuse_sole_consumer(g, consumers, n[LN_DIV]->outputs[0], "Mul");
    if (!n[LN_MUL] || (gamma = vector_operand(g, n[LN_MUL], n[LN_DIV]->outputs[0])) < 0)
        return STATUS_OK;
    n[LN_ADD_BIAS] = fuse_sole_consumer(g, consumers, n[LN_MUL]->outputs[0], "Add");
    if (!n[LN_ADD_BIAS] || (beta = vector_operand(g, n[LN_ADD_BIAS], n[LN_MUL]->outputs[0])) < 0)
        return STATUS_OK;
    p = arena_alloc(&g->arena, sizeof *p);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    p->axis = -1;
    p->epsilon = eps;
    for (int k = 0; k < LN_ADD_BIAS; k++)
        n[k]->removed = true;
    return fuse_rewrite(g, n[LN_ADD_BIAS], op_registry_find("LayerNormalization", OPSET_MAX), p, 3,
                        (const int[]){x, gamma, beta}, err);
}

status_t fuse_layernorm(graph_t *g, error_t *err)
{
    return fuse_each(g, "ReduceMean", fuse_one, err);
}
