/*
 * fuse_attention.c - scaled dot-product attention as exporters write it:
 *
 *   s = MatMul(Q, Kt);  x = Div(s, c) or Mul(s, c);  [x = Add(x, mask)]
 *   p = Softmax(x, axis=-1);  y = MatMul(p, V)
 *
 * (the mask on either side of the Add) becomes inferd.Attention(Q, Kt, V
 * [, mask]) with scale 1/c or c. The float scale constant also proves the
 * scores are float, the only type the fused kernel takes.
 */
#include "fuse_match.h"

#include <stdlib.h>
#include <string.h>

#include "attention/attention.h"
#include "softmax/softmax.h"

/* x = scale(MatMul(Q, Kt)): returns that MatMul, *scale_node and *scale; else NULL. */
static graph_node_t *match_scaled_scores(graph_t *g, const int *consumers, int x,
                                         graph_node_t **scale_node, float *scale)
{
    graph_node_t *div = fuse_producer(g, x, "Div"), *mul = fuse_producer(g, x, "Mul");
    graph_node_t *scaler = div ? div : mul;
    int s = -1;
    float c;

    if (!scaler || consumers[x] != 1 || scaler->n_inputs != 2)
        return NULL;
    if (div && fuse_scalar(g, div->inputs[1], &c) && c != 0.0f) {
        s = div->inputs[0];
        *scale = 1.0f / c;
    } else if (mul && fuse_scalar(g, mul->inputs[1], &c)) {
        s = mul->inputs[0];
        *scale = c;
    } else if (mul && fuse_scalar(g, mul->inputs[0], &c)) {
        s = mul->inputs[1];
        *scale = c;
    }
    if (s < 0 || consumers[s] != 1)
        return NULL;
    *scale_node = scaler;
    return fuse_producer(g, s, "MatMul");
}

static status_t fuse_one(graph_t *g, const int *consumers, graph_node_t *softmax, error_t *err)
{
    const softmax_params_t *sp = softmax->params;
    int x = softmax->inputs[0], mask = -1;
    graph_node_t *out = fuse_sole_consumer(g, consumers, softmax->outputs[0], "MatMul");
    graph_node_t *add = fuse_producer(g, x, "Add"), *scaler = NULL, *scores = NULL;
    attention_params_t *p;
    float scale = 1.0f;

    if (sp->axis != -1 || !out || out->inputs[0] != softmax->outputs[0])
        return STATUS_OK;
    if (add && consumers[x] == 1 && add->n_inputs == 2) {
        for (int side = 0; side < 2 && !scores; side++) {
            scores = match_scaled_scores(g, consumers, add->inputs[side], &scaler, &scale);
            mask = add->inputs[1 - side];
        }
    } else {
        add = NULL;
        scores = match_scaled_scores(g, consumers, x, &scaler, &scale);
    }
    if (!scores)
        return STATUS_OK;
    p = arena_alloc(&g->arena, sizeof *p);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    p->scale = scale;
    scores->removed = scaler->removed = softmax->removed = true;
    if (add)
        add->removed = true;
    return fuse_rewrite(g, out, &attention_schema, p, add ? 4 : 3,
                        (const int[]){scores->inputs[0], scores->inputs[1], out->inputs[1], mask},
                        err);
}

status_t fuse_attention(graph_t *g, error_t *err)
{
    int *consumers = fuse_consumers(g);
    status_t st = STATUS_OK;

    if (!consumers)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < g->n_nodes && !st; i++) {
        graph_node_t *node = &g->nodes[i];
        if (!node->removed && strcmp(node->op_type, "Softmax") == 0)
            st = fuse_one(g, consumers, node, err);
    }
    free(consumers);
    return st;
}
