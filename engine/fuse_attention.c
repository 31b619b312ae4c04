/*
 * fuse_attention.c - scaled dot-product attention as exporters write it:
 *
 *   s = MatMul(Q, Kt);  x = Div(s, c) or Mul(s, c);  [x = Add(x, mask)]
 *   p = Softmax(x, axis=-1);  y = MatMul(p, V)
 *
 * (the mask on either side of the Add) becomes inferd.Attention(Q, Kt, V
 * [, mask]) with scale 1/c or c. The float scale constant also proves the
 * scores are float, the only type the fused kernel takes.
 *
 * When Q, Kt and V are the head transposes of projections (Transpose with
 * perm [0,2,1,3], [0,2,3,1] and [0,2,1,3]) read only here, and y is read
 * only by the transpose back (perm [0,2,1,3]), the kernel takes the
 * projections and writes the result in their interleaved layout instead,
 * and the four Transposes go.
 */
#include "fuse_match.h"

#include "attention/attention.h"
#include "softmax/softmax.h"
#include "transpose/transpose.h"

#define PERM_HEADS_FIRST 0, 2, 1, 3 /* [B, S, H, D] <-> [B, H, S, D] */
#define PERM_KEYS_T      0, 2, 3, 1 /* [B, T, H, D] -> [B, H, D, T] */

/* True for a live Transpose with this 4-D perm. */
static bool has_perm(const graph_node_t *t, const int64_t *perm)
{
    const transpose_params_t *p = t ? t->params : NULL;

    if (!p || p->perm_count != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if (p->perm[i] != perm[i])
            return false;
    return true;
}

/* The Transpose with this perm that produces v and has no other reader, else NULL. */
static graph_node_t *head_transpose(graph_t *g, const int *consumers, int v, const int64_t *perm)
{
    graph_node_t *t = fuse_producer(g, v, "Transpose");

    return consumers[v] == 1 && has_perm(t, perm) ? t : NULL;
}

/*
 * Rewrites the transpose back after out into interleaved attention when all
 * four head transposes are there; false (nothing changed) otherwise.
 */
static status_t absorb_transposes(graph_t *g, const int *consumers, graph_node_t *out,
                                  const int *inputs, int n_inputs, attention_params_t *p,
                                  bool *done, error_t *err)
{
    static const int64_t heads[4] = {PERM_HEADS_FIRST}, keys[4] = {PERM_KEYS_T};
    graph_node_t *tq = head_transpose(g, consumers, inputs[0], heads);
    graph_node_t *tk = head_transpose(g, consumers, inputs[1], keys);
    graph_node_t *tv = head_transpose(g, consumers, inputs[2], heads);
    graph_node_t *back = fuse_sole_consumer(g, consumers, out->outputs[0], "Transpose");
    int moved[4] = {0, 0, 0, n_inputs > 3 ? inputs[3] : -1};

    *done = false;
    if (!tq || !tk || !tv || !has_perm(back, heads))
        return STATUS_OK;
    moved[0] = tq->inputs[0];
    moved[1] = tk->inputs[0];
    moved[2] = tv->inputs[0];
    p->interleaved = true;
    tq->removed = tk->removed = tv->removed = out->removed = true;
    *done = true;
    return fuse_rewrite(g, back, &attention_schema, p, n_inputs, moved, err);
}

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
    int inputs[4];
    bool done;
    status_t st;

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
    inputs[0] = scores->inputs[0];
    inputs[1] = scores->inputs[1];
    inputs[2] = out->inputs[1];
    inputs[3] = mask;
    st = absorb_transposes(g, consumers, out, inputs, add ? 4 : 3, p, &done, err);
    if (st || done)
        return st;
    return fuse_rewrite(g, out, &attention_schema, p, add ? 4 : 3, inputs, err);
}

status_t fuse_attention(graph_t *g, error_t *err)
{
    return fuse_each(g, "Softmax", fuse_one, err);
}
