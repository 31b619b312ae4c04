/*
 * fuse_gelu.c - recognises the exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)),
 * as exporters write it, around its Erf:
 *
 *   d = Div(x, sqrt 2) or Mul(x, 1 / sqrt 2);  e = Erf(d);  a = Add(e, 1)
 *   then  Mul(Mul(x, 0.5), a)   or  Mul(Mul(x, a), 0.5)   or  Mul(Mul(a, 0.5), x)
 *
 * (operands of Add and Mul in either order) and replaces it with one
 * inferd.Gelu(x).
 */
#include "fuse_match.h"

#include <math.h>

#include "gelu/gelu.h"

/* The x of d = x / sqrt 2 (or x * (1 / sqrt 2)), or -1. */
static int erf_argument(graph_t *g, int d)
{
    graph_node_t *div = fuse_producer(g, d, "Div");
    graph_node_t *mul = fuse_producer(g, d, "Mul");

    if (div && fuse_is_scalar(g, div->inputs[1], (float)M_SQRT2))
        return div->inputs[0];
    if (mul && fuse_is_scalar(g, mul->inputs[1], (float)M_SQRT1_2))
        return mul->inputs[0];
    if (mul && fuse_is_scalar(g, mul->inputs[0], (float)M_SQRT1_2))
        return mul->inputs[1];
    return -1;
}

/* The other operand of a Mul by the constant 0.5, or -1. */
static int halved(graph_t *g, const graph_node_t *mul)
{
    if (mul->n_inputs != 2)
        return -1;
    if (fuse_is_scalar(g, mul->inputs[1], 0.5f))
        return mul->inputs[0];
    if (fuse_is_scalar(g, mul->inputs[0], 0.5f))
        return mul->inputs[1];
    return -1;
}

/*
 * Matches the tail after a = 1 + erf(x / sqrt 2): returns the pattern's
 * final Mul and sets *inner to the middle Mul, or NULL.
 */
static graph_node_t *match_tail(graph_t *g, const int *consumers, int x, int a,
                                graph_node_t **inner)
{
    graph_node_t *m1 = fuse_sole_consumer(g, consumers, a, "Mul");
    graph_node_t *m2;
    int u;

    if (!m1)
        return NULL;
    u = fuse_other_input(m1, a);
    /* Mul(Mul(x, 0.5), a) */
    m2 = fuse_producer(g, u, "Mul");
    if (m2 && consumers[u] == 1 && halved(g, m2) == x) {
        *inner = m2;
        return m1;
    }
    /* Mul(Mul(x, a), 0.5) and Mul(Mul(a, 0.5), x) */
    if (u != x && halved(g, m1) != a)
        return NULL;
    m2 = fuse_sole_consumer(g, consumers, m1->outputs[0], "Mul");
    if (!m2)
        return NULL;
    if ((u == x && halved(g, m2) == m1->outputs[0]) ||
        (u != x && fuse_other_input(m2, m1->outputs[0]) == x)) {
        *inner = m1;
        return m2;
    }
    return NULL;
}

/* The pattern around one Erf: its divided argument, the + 1, and the two products. */
static status_t fuse_at_erf(graph_t *g, const int *consumers, graph_node_t *erf, error_t *err)
{
    graph_node_t *div, *add, *inner = NULL, *last;
    int x, a;
    status_t st;

    if (consumers[erf->inputs[0]] != 1)
        return STATUS_OK;
    x = erf_argument(g, erf->inputs[0]);
    add = fuse_sole_consumer(g, consumers, erf->outputs[0], "Add");
    if (x < 0 || !add)
        return STATUS_OK;
    a = fuse_other_input(add, erf->outputs[0]);
    if (!fuse_is_scalar(g, a, 1.0f))
        return STATUS_OK;
    last = match_tail(g, consumers, x, add->outputs[0], &inner);
    if (!last)
        return STATUS_OK;
    div = &g->nodes[g->values[erf->inputs[0]].producer];
    st = fuse_rewrite(g, last, &gelu_schema, NULL, 1, &x, err);
    div->removed = erf->removed = add->removed = inner->removed = true;
    return st;
}

status_t fuse_gelu(graph_t *g, error_t *err)
{
    return fuse_each(g, "Erf", fuse_at_erf, err);
}
