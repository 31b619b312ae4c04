/*
 * rnn_f64.c - float64 layers: the spec's equations as plain loops over
 * the unpacked weights, one row and step at a time. The GEMM kernels are
 * float32 only and double recurrent models are rare, so this path trades
 * speed for having nothing of its own to pack; the step order, sequence
 * lengths and outputs follow rnn_cpu.c.
 */
#include <math.h>
#include <string.h>

#include "rnn.h"

#define RNN_ALIGN 64

static size_t round_up(size_t n)
{
    return (n + RNN_ALIGN - 1) / RNN_ALIGN * RNN_ALIGN;
}

static double act(const rnn_act_t *a, double x)
{
    switch (a->kind) {
    case RNN_ACT_RELU:
        return x > 0.0 ? x : 0.0;
    case RNN_ACT_TANH:
        return tanh(x);
    case RNN_ACT_SIGMOID:
        return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    case RNN_ACT_AFFINE:
        return a->alpha * x + a->beta;
    case RNN_ACT_LEAKY_RELU:
        return x >= 0.0 ? x : a->alpha * x;
    case RNN_ACT_THRESHOLDED_RELU:
        return x > a->alpha ? x : 0.0;
    case RNN_ACT_SCALED_TANH:
        return a->alpha * tanh(a->beta * x);
    case RNN_ACT_HARD_SIGMOID:
        return fmin(fmax(a->alpha * x + a->beta, 0.0), 1.0);
    case RNN_ACT_ELU:
        return x >= 0.0 ? x : a->alpha * expm1(x);
    case RNN_ACT_SOFTSIGN:
        return x / (1.0 + fabs(x));
    case RNN_ACT_SOFTPLUS:
        return fmax(x, 0.0) + log1p(exp(-fabs(x)));
    }
    return x;
}

/* What one direction's loop reads. */
typedef struct layer {
    const rnn_params_t *p;
    rnn_dims_t d;
    const double *x, *w, *r, *b, *peep;
    const int32_t *lens;
    double clip;
} layer_t;

static double clip_in(const layer_t *l, double v)
{
    return l->p->has_clip ? fmin(fmax(v, -l->clip), l->clip) : v;
}

/* Row j of direction dir's W and R times x and h, plus both biases unless told otherwise. */
static double gate_input(const layer_t *l, int dir, int64_t j, const double *x, const double *h,
                         bool with_r, bool with_rb)
{
    const rnn_dims_t *d = &l->d;
    int64_t gh = d->gates * d->hidden;
    const double *wr = l->w + (dir * gh + j) * d->input;
    const double *rr = l->r + (dir * gh + j) * d->hidden;
    double v = 0.0;

    for (int64_t k = 0; k < d->input; k++)
        v += wr[k] * x[k];
    if (with_r)
        for (int64_t k = 0; k < d->hidden; k++)
            v += rr[k] * h[k];
    if (l->b)
        v += l->b[dir * 2 * gh + j] + (with_rb ? l->b[dir * 2 * gh + gh + j] : 0.0);
    return v;
}

/* One row's step: hp (and c) to hn (and c); g and rh are scratch of [G x H] and [H]. */
static void step_row(const layer_t *l, int dir, const double *x, const double *hp, double *hn,
                     double *c, double *g, double *rh)
{
    const rnn_params_t *p = l->p;
    const rnn_act_t *f = &p->acts[dir][0], *gf = &p->acts[dir][1], *hf = &p->acts[dir][2];
    const int64_t h = l->d.hidden;
    const double *peep = l->peep ? l->peep + dir * RNN_PEEPHOLES * h : NULL;

    switch (p->cell) {
    case RNN_CELL_RNN:
        for (int64_t u = 0; u < h; u++)
            hn[u] = act(f, clip_in(l, gate_input(l, dir, u, x, hp, true, true)));
        break;
    case RNN_CELL_LSTM:
        for (int64_t j = 0; j < 4 * h; j++)
            g[j] = gate_input(l, dir, j, x, hp, true, true);
        for (int64_t u = 0; u < h; u++) {
            double i = g[u], o = g[h + u], fg = g[2 * h + u], cc = g[3 * h + u];
            if (peep) {
                i += peep[u] * c[u];
                fg += peep[2 * h + u] * c[u];
            }
            i = act(f, clip_in(l, i));
            fg = p->input_forget ? 1.0 - i : act(f, clip_in(l, fg));
            cc = act(gf, clip_in(l, cc));
            c[u] = fg * c[u] + i * cc;
            if (peep)
                o += peep[h + u] * c[u];
            o = act(f, clip_in(l, o));
            hn[u] = o * act(hf, c[u]);
        }
        break;
    case RNN_CELL_GRU:
        for (int64_t j = 0; j < 2 * h; j++)
            g[j] = act(f, clip_in(l, gate_input(l, dir, j, x, hp, true, true)));
        if (p->linear_before_reset) {
            const double *b = l->b ? l->b + dir * 6 * h + 3 * h + 2 * h : NULL;
            for (int64_t u = 0; u < h; u++) {
                const double *rr = l->r + (dir * 3 * h + 2 * h + u) * h;
                double hh = b ? b[u] : 0.0;
                for (int64_t k = 0; k < h; k++)
                    hh += rr[k] * hp[k];
                g[2 * h + u] = gate_input(l, dir, 2 * h + u, x, hp, false, false) + g[h + u] * hh;
            }
        } else {
            for (int64_t k = 0; k < h; k++)
                rh[k] = g[h + k] * hp[k];
            for (int64_t u = 0; u < h; u++)
                g[2 * h + u] = gate_input(l, dir, 2 * h + u, x, rh, true, true);
        }
        for (int64_t u = 0; u < h; u++) {
            double ht = act(gf, clip_in(l, g[2 * h + u]));
            hn[u] = (1.0 - g[u]) * ht + g[u] * hp[u];
        }
        break;
    }
}

status_t rnn_run_f64(op_call_t *call, error_t *err)
{
    const rnn_params_t *p = call->params;
    const tensor_t *in[8] = {0};
    double *y = call->n_outputs > RNN_OUT_Y ? call->outputs[RNN_OUT_Y].data : NULL;
    layer_t l = {.p = p, .clip = p->clip};
    const rnn_dims_t *d = &l.d;
    char *ws = call->workspace;
    double *g, *hv[2], *c, *rh;
    size_t row_bytes;
    status_t st;

    for (int i = 0; i < call->n_inputs && i < 8; i++)
        in[i] = call->inputs[i];
    rnn_dims(call, &l.d);
    if ((st = rnn_check_seq_lens(call, d->seq, err)) != STATUS_OK)
        return st;
    row_bytes = (size_t)d->hidden * sizeof(double);
    l.x = in[RNN_IN_X]->data;
    l.w = in[RNN_IN_W]->data;
    l.r = in[RNN_IN_R]->data;
    l.b = in[RNN_IN_B] ? in[RNN_IN_B]->data : NULL;
    l.lens = in[RNN_IN_SEQ_LENS] ? in[RNN_IN_SEQ_LENS]->data : NULL;
    l.peep = p->cell == RNN_CELL_LSTM && in[RNN_IN_P] ? in[RNN_IN_P]->data : NULL;
    g = (double *)ws;
    ws += round_up((size_t)(d->gates * d->hidden) * sizeof(double));
    for (int k = 0; k < 2; k++, ws += round_up((size_t)d->batch * row_bytes))
        hv[k] = (double *)ws;
    c = (double *)ws;
    ws += round_up((size_t)d->batch * row_bytes);
    rh = (double *)ws;
    if (y && l.lens)
        memset(y, 0, tensor_bytes(&call->outputs[RNN_OUT_Y]));
    for (int dir = 0; dir < d->dirs; dir++) {
        bool reverse = dir == 1 || p->direction == RNN_REVERSE;
        int64_t steps = d->seq;
        int cur = 0;
        if (l.lens) {
            steps = 0;
            for (int64_t b = 0; b < d->batch; b++)
                steps = l.lens[b] > steps ? l.lens[b] : steps;
        }
        for (int64_t b = 0; b < d->batch; b++) {
            int64_t at = (p->batch_first ? b * d->dirs + dir : dir * d->batch + b) * d->hidden;
            const tensor_t *h0 = in[RNN_IN_INITIAL_H], *c0 = in[RNN_IN_INITIAL_C];
            if (h0)
                memcpy(hv[0] + b * d->hidden, (const double *)h0->data + at, row_bytes);
            else
                memset(hv[0] + b * d->hidden, 0, row_bytes);
            if (p->cell == RNN_CELL_LSTM && c0)
                memcpy(c + b * d->hidden, (const double *)c0->data + at, row_bytes);
            else
                memset(c + b * d->hidden, 0, row_bytes);
        }
        for (int64_t s = 0; s < steps; s++, cur ^= 1) {
            for (int64_t b = 0; b < d->batch; b++) {
                int64_t len = l.lens ? l.lens[b] : d->seq, t = reverse ? len - 1 - s : s;
                double *hn = hv[cur ^ 1] + b * d->hidden;
                const double *hp = hv[cur] + b * d->hidden;
                if (s >= len) {
                    memcpy(hn, hp, row_bytes);
                    continue;
                }
                int64_t xr = p->batch_first ? b * d->seq + t : t * d->batch + b;
                step_row(&l, dir, l.x + xr * d->input, hp, hn, c + b * d->hidden, g, rh);
                if (y) {
                    int64_t yo = p->batch_first ? ((b * d->seq + t) * d->dirs + dir)
                                                : ((t * d->dirs + dir) * d->batch + b);
                    memcpy(y + yo * d->hidden, hn, row_bytes);
                }
            }
        }
        for (int64_t b = 0; b < d->batch; b++) {
            int64_t at = (p->batch_first ? b * d->dirs + dir : dir * d->batch + b) * d->hidden;
            bool ran = (l.lens ? l.lens[b] : d->seq) > 0;
            for (int k = RNN_OUT_Y_H; k <= RNN_OUT_Y_C && k < call->n_outputs; k++) {
                const double *from = (k == RNN_OUT_Y_H ? hv[cur] : c) + b * d->hidden;
                double *out = (double *)call->outputs[k].data + at;
                if (ran)
                    memcpy(out, from, row_bytes);
                else
                    memset(out, 0, row_bytes);
            }
        }
    }
    return STATUS_OK;
}
