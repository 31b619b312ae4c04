/*
 * rnn_cell_body.h - the cells of LSTM, GRU and RNN, written once over a
 * vector layer and compiled once per ISA: each rnn_isa_<isa>.c defines
 * the layer and includes this file (and only those files include it).
 *
 * The layer: a vector type V of VL floats; RNN_TARGET, the functions'
 * target attribute; RNN_CELL_NAME(name), the variant's symbol for name;
 * and static inline functions v_load(p, n) / v_store(p, v, n) (the first
 * n <= VL lanes; loads zero the rest), v_set1, v_add, v_sub, v_mul, v_div,
 * v_fma(a, b, c) = a b + c, v_min, v_max, v_abs, v_sel_ge0(x, a, b) (x >=
 * 0 ? a : b per lane), v_sel_gt(x, t, a, b) (x > t ? a : b), v_sigmoid,
 * v_tanh, v_expm1, v_log1p and v_exp_neg (e^x for x <= 0).
 *
 * Each function walks a row's units a vector at a time, every gate's
 * vector at once: the gates of a unit meet in registers, and nothing is
 * stored between the product and the new state but the state itself.
 */
#ifndef RNN_TARGET
#error "rnn_cell_body.h is included by rnn_isa_<isa>.c after its vector layer"
#endif

/* The activation function a, on a vector of gate inputs. */
RNN_TARGET static inline V act(const rnn_act_t *a, V x)
{
    switch (a->kind) {
    case RNN_ACT_RELU:
        return v_max(x, v_set1(0.0f));
    case RNN_ACT_TANH:
        return v_tanh(x);
    case RNN_ACT_SIGMOID:
        return v_sigmoid(x);
    case RNN_ACT_AFFINE:
        return v_fma(v_set1(a->alpha), x, v_set1(a->beta));
    case RNN_ACT_LEAKY_RELU:
        return v_sel_ge0(x, x, v_mul(v_set1(a->alpha), x));
    case RNN_ACT_THRESHOLDED_RELU:
        return v_sel_gt(x, v_set1(a->alpha), x, v_set1(0.0f));
    case RNN_ACT_SCALED_TANH:
        return v_mul(v_set1(a->alpha), v_tanh(v_mul(v_set1(a->beta), x)));
    case RNN_ACT_HARD_SIGMOID:
        return v_min(v_max(v_fma(v_set1(a->alpha), x, v_set1(a->beta)), v_set1(0.0f)),
                     v_set1(1.0f));
    case RNN_ACT_ELU:
        return v_sel_ge0(x, x, v_mul(v_set1(a->alpha), v_expm1(x)));
    case RNN_ACT_SOFTSIGN:
        return v_div(x, v_add(v_set1(1.0f), v_abs(x)));
    case RNN_ACT_SOFTPLUS:
        /* log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): no overflow for large x. */
        return v_add(v_max(x, v_set1(0.0f)), v_log1p(v_exp_neg(v_sub(v_set1(0.0f), v_abs(x)))));
    }
    return x;
}

/* A gate's input as the activation sees it: clamped to [-clip, clip] when clip is set. */
RNN_TARGET static inline V clip_in(const rnn_cell_args_t *args, V x)
{
    if (!args->has_clip)
        return x;
    return v_min(v_max(x, v_set1(-args->clip)), v_set1(args->clip));
}

/* Hidden units of the block that starts at unit first. */
static inline int64_t block_units(const rnn_cell_args_t *args, int64_t first)
{
    return args->hidden - first < RNN_BLOCK ? args->hidden - first : RNN_BLOCK;
}

/* Lanes of the vector at unit j of a block of bh units. */
static inline int lanes(int64_t bh, int64_t j)
{
    return bh - j < VL ? (int)(bh - j) : VL;
}

/*
 * it = f(Xi + Hi + Pi (.) Ct-1), ft = f(Xf + Hf + Pf (.) Ct-1) (1 - it
 * with input_forget), ct = g(Xc + Hc), Ct = ft (.) Ct-1 + it (.) ct,
 * ot = f(Xo + Ho + Po (.) Ct), Ht = ot (.) h(Ct); gates i, o, f, c.
 */
RNN_TARGET static void RNN_CELL_NAME(lstm)(const rnn_cell_args_t *args, const rnn_cell_row_t *row,
                                           int64_t u0, int64_t u1)
{
    const rnn_act_t *f = &args->acts[0], *g = &args->acts[1], *h = &args->acts[2];
    const int64_t hidden = args->hidden;

    for (int64_t first = u0; first < u1; first += RNN_BLOCK) {
        int64_t bh = block_units(args, first);
        const float *gi = row->gates + first * 4, *xi = row->xw + first * 4;
        for (int64_t j = 0; j < bh; j += VL) {
            int n = lanes(bh, j);
            int64_t u = first + j;
            V c_prev = v_load(row->c + u, n);
            V i = v_add(v_load(gi + j, n), v_load(xi + j, n));
            V o = v_add(v_load(gi + bh + j, n), v_load(xi + bh + j, n));
            V fg = v_add(v_load(gi + 2 * bh + j, n), v_load(xi + 2 * bh + j, n));
            V c = v_add(v_load(gi + 3 * bh + j, n), v_load(xi + 3 * bh + j, n));
            V c_new, hv;
            if (args->peep) {
                i = v_fma(v_load(args->peep + u, n), c_prev, i);
                fg = v_fma(v_load(args->peep + 2 * hidden + u, n), c_prev, fg);
            }
            i = act(f, clip_in(args, i));
            fg = args->input_forget ? v_sub(v_set1(1.0f), i) : act(f, clip_in(args, fg));
            c = act(g, clip_in(args, c));
            c_new = v_fma(fg, c_prev, v_mul(i, c));
            if (args->peep)
                o = v_fma(v_load(args->peep + hidden + u, n), c_new, o);
            o = act(f, clip_in(args, o));
            /* The clip bounds the gates' inputs only: h sees Ct as is (as ONNX Runtime). */
            hv = v_mul(o, act(h, c_new));
            v_store(row->c + u, c_new, n);
            v_store(row->h_new + u, hv, n);
            if (row->y)
                v_store(row->y + u, hv, n);
        }
    }
}

/*
 * GRU with linear_before_reset, in one pass: zt = f(Xz + Hz), rt = f(Xr +
 * Hr), ht = g(Xh + rt (.) (Hh + Rbh)), Ht = (1 - zt) (.) ht + zt (.) Ht-1;
 * gates z, r, h (Hh is Ht-1 x Rh^T without its bias).
 */
RNN_TARGET static void RNN_CELL_NAME(gru_fused)(const rnn_cell_args_t *args,
                                                const rnn_cell_row_t *row, int64_t u0, int64_t u1)
{
    const rnn_act_t *f = &args->acts[0], *g = &args->acts[1];

    for (int64_t first = u0; first < u1; first += RNN_BLOCK) {
        int64_t bh = block_units(args, first);
        const float *gz = row->gates + first * 3, *xz = row->xw + first * 3;
        for (int64_t j = 0; j < bh; j += VL) {
            int n = lanes(bh, j);
            int64_t u = first + j;
            V z = act(f, clip_in(args, v_add(v_load(gz + j, n), v_load(xz + j, n))));
            V r = act(f, clip_in(args, v_add(v_load(gz + bh + j, n), v_load(xz + bh + j, n))));
            V hh = v_add(v_load(gz + 2 * bh + j, n), v_load(args->rbh + u, n));
            V ht = act(g, clip_in(args, v_fma(r, hh, v_load(xz + 2 * bh + j, n))));
            V prev = v_load(row->h_prev + u, n);
            /* (1 - z) ht + z Ht-1 = ht + z (Ht-1 - ht) */
            V hv = v_fma(z, v_sub(prev, ht), ht);
            v_store(row->h_new + u, hv, n);
            if (row->y)
                v_store(row->y + u, hv, n);
        }
    }
}

/*
 * GRU without linear_before_reset, first pass: zt and rt (gates z, r of a
 * [H, 2 H] product), rt (.) Ht-1 into row->rh for the second product, and
 * zt kept in the z columns of row->gates for the second pass.
 */
RNN_TARGET static void RNN_CELL_NAME(gru_reset)(const rnn_cell_args_t *args,
                                                const rnn_cell_row_t *row, int64_t u0, int64_t u1)
{
    const rnn_act_t *f = &args->acts[0];

    for (int64_t first = u0; first < u1; first += RNN_BLOCK) {
        int64_t bh = block_units(args, first);
        float *gz = row->gates + first * 2;
        const float *xz = row->xw + first * 3;
        for (int64_t j = 0; j < bh; j += VL) {
            int n = lanes(bh, j);
            int64_t u = first + j;
            V z = act(f, clip_in(args, v_add(v_load(gz + j, n), v_load(xz + j, n))));
            V r = act(f, clip_in(args, v_add(v_load(gz + bh + j, n), v_load(xz + bh + j, n))));
            v_store(gz + j, z, n);
            v_store(row->rh + u, v_mul(r, v_load(row->h_prev + u, n)), n);
        }
    }
}

/*
 * Second pass: ht = g(Xh + (rt (.) Ht-1) x Rh^T + Rbh) (Rbh is in xw),
 * Ht = (1 - zt) (.) ht + zt (.) Ht-1.
 */
RNN_TARGET static void RNN_CELL_NAME(gru_update)(const rnn_cell_args_t *args,
                                                 const rnn_cell_row_t *row, int64_t u0, int64_t u1)
{
    const rnn_act_t *g = &args->acts[1];

    for (int64_t first = u0; first < u1; first += RNN_BLOCK) {
        int64_t bh = block_units(args, first);
        const float *gz = row->gates + first * 2, *xz = row->xw + first * 3;
        for (int64_t j = 0; j < bh; j += VL) {
            int n = lanes(bh, j);
            int64_t u = first + j;
            V z = v_load(gz + j, n);
            V ht = act(
                g, clip_in(args, v_add(v_load(row->gates_h + u, n), v_load(xz + 2 * bh + j, n))));
            V hv = v_fma(z, v_sub(v_load(row->h_prev + u, n), ht), ht);
            v_store(row->h_new + u, hv, n);
            if (row->y)
                v_store(row->y + u, hv, n);
        }
    }
}

/* Ht = f(Xi + Hi): one gate, so block-major is unit order. */
RNN_TARGET static void RNN_CELL_NAME(rnn)(const rnn_cell_args_t *args, const rnn_cell_row_t *row,
                                          int64_t u0, int64_t u1)
{
    const rnn_act_t *f = &args->acts[0];

    for (int64_t u = u0; u < u1; u += VL) {
        int n = lanes(u1, u);
        V hv = act(f, clip_in(args, v_add(v_load(row->gates + u, n), v_load(row->xw + u, n))));
        v_store(row->h_new + u, hv, n);
        if (row->y)
            v_store(row->y + u, hv, n);
    }
}
