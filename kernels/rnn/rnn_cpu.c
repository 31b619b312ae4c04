/*
 * rnn_cpu.c - a float32 recurrent layer: the input projection of every
 * step and direction as one GEMM, then per direction the step loop (rnn.h
 * describes both). Everything lives in the workspace; nothing is
 * allocated.
 *
 * Sequence lengths: batch row b runs len[b] steps. Forward, step s reads
 * time s; reverse, time len[b] - 1 - s, so a short row's reverse pass
 * starts at its own last step. A row past its length keeps its state (the
 * product is still computed for it, with the others', and discarded); its
 * Y rows past the length are zero, and with a length of 0 its Y_h and Y_c
 * are zero too (as ONNX Runtime).
 */
#include <assert.h>
#include <immintrin.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "rnn.h"
#include "rnn_isa.h"

#define RNN_ALIGN 64
/*
 * Multiply-adds per step of the recurrent product below which the step
 * loop stays on one thread: threads meet every step, and each meeting
 * costs more than half a small step saves once another process holds one
 * of the cores. Measured on the 2 cores of a shared Zen 5 VM (other jobs
 * running), 100 steps of an LSTM of 256 units: at batch 1 (262k a step),
 * 1.3 ms in the median on one thread, 44 ms on two with a barrier a step
 * (the claims below did not exist yet); at batch 8 (2.1M), 4.9 ms on one,
 * 6.5 ms on two with the claims (2.8 ms at best, 4.2 on one).
 */
#define RNN_PARALLEL_MIN_MACS ((int64_t)1 << 20)

/* Most threads one step loop takes (shares of a step). */
#define RNN_MAX_TEAM 64

/*
 * The work of a step is cut into shares, one per thread of the team: share
 * k owns a run of whole blocks of hidden units, computes their columns of
 * each product and their units of the new state for every row. A GRU
 * without linear_before_reset takes two stages a step (its second product
 * reads r (.) H of every unit), the other cells one.
 *
 * Stages follow each other without a barrier: a thread claims its own
 * share of a stage, then any share no one has claimed yet, and waits only
 * for the stage's claimed shares to be done. A thread that another process
 * keeps off its core holds no one up unless it stopped inside a share: the
 * others take its shares, where a barrier would make every step wait for
 * it (on a shared machine, at most steps).
 */
typedef struct step_sync {
    _Atomic int64_t claimed[RNN_MAX_TEAM]; /* the last stage share k was claimed for */
    _Atomic int64_t done;                  /* shares finished, over all stages */
} step_sync_t;

/* Spins on a share still running before yielding the core to it (it may be waiting for this one).
 */
#define RNN_SPINS_BEFORE_YIELD 4096

/* Byte offsets of the workspace's buffers, and the row strides (floats) of its matrices. */
typedef struct layout {
    size_t xw, gates, gates_h, h0, h1, c, rh, sync, weights, total;
    int64_t ldxw; /* dirs x G x H */
    int64_t ldg;  /* the recurrent product's columns, whole panels */
    int64_t ldgh; /* GRU's second product (unit order), whole panels */
} layout_t;

static size_t round_up(size_t n)
{
    return (n + RNN_ALIGN - 1) / RNN_ALIGN * RNN_ALIGN;
}

static int64_t round_panel(int64_t n)
{
    return (n + GEMM_B_PANEL - 1) / GEMM_B_PANEL * GEMM_B_PANEL;
}

static bool split_rh(const rnn_params_t *p)
{
    return p->cell == RNN_CELL_GRU && !p->linear_before_reset;
}

static size_t floats(int64_t n)
{
    return round_up((size_t)n * sizeof(float));
}

static void plan_layout(const op_call_t *call, const rnn_dims_t *d, layout_t *l)
{
    const rnn_params_t *p = call->params;
    int r_gates = split_rh(p) ? 2 : d->gates;
    size_t at = 0;

    l->ldxw = d->dirs * d->gates * d->hidden;
    l->ldg = round_panel(r_gates * d->hidden);
    l->ldgh = split_rh(p) ? round_panel(d->hidden) : 0;
    l->xw = at;
    at += floats(d->seq * d->batch * l->ldxw);
    l->gates = at;
    at += floats(d->batch * l->ldg);
    l->gates_h = at;
    at += floats(d->batch * l->ldgh);
    l->h0 = at;
    at += floats(d->batch * d->hidden);
    l->h1 = at;
    at += floats(d->batch * d->hidden);
    l->c = at;
    at += p->cell == RNN_CELL_LSTM ? floats(d->batch * d->hidden) : 0;
    l->rh = at;
    at += split_rh(p) ? floats(d->batch * d->hidden) : 0;
    l->sync = at;
    at += round_up(sizeof(step_sync_t));
    l->weights = at;
    /* Weights pack did not take are packed here by each run. */
    at += call->state ? 0 : round_up(rnn_weights_bytes(call));
    l->total = at;
}

size_t rnn_workspace_bytes(const op_call_t *call)
{
    rnn_dims_t d;
    layout_t l;

    rnn_dims(call, &d);
    if (call->inputs[RNN_IN_X]->dtype == DTYPE_DOUBLE) {
        /* rnn_f64.c: the gates of one row, and H twice, C and r (.) H for every row. */
        return round_up((size_t)(d.gates * d.hidden) * sizeof(double)) +
               4 * round_up((size_t)(d.batch * d.hidden) * sizeof(double));
    }
    plan_layout(call, &d, &l);
    return l.total;
}

/* One direction's step loop: what every thread reads. */
typedef struct direction {
    const rnn_params_t *p;
    const rnn_dims_t *d;
    const layout_t *l;
    const rnn_weights_t *wt;
    const rnn_isa_ops_t *ops;
    rnn_cell_args_t args;
    int dir;
    const int32_t *lens; /* NULL: every row runs d->seq steps */
    int64_t steps;       /* the longest row's */
    const float *xw;
    float *gates, *gates_h, *h[2], *c, *rh;
    float *y; /* Y's data, or NULL */
    step_sync_t *sync;
} direction_t;

static int64_t row_len(const direction_t *dt, int64_t b)
{
    return dt->lens ? dt->lens[b] : dt->d->seq;
}

/* Row of X (and of the input projection) holding time t of batch row b. */
static int64_t x_row(const direction_t *dt, int64_t t, int64_t b)
{
    return dt->p->batch_first ? b * dt->d->seq + t : t * dt->d->batch + b;
}

/* Offset (floats) of the [H] of Y at time t, direction dir, batch row b. */
static int64_t y_offset(const rnn_params_t *p, const rnn_dims_t *d, int64_t t, int dir, int64_t b)
{
    if (p->batch_first)
        return ((b * d->seq + t) * d->dirs + dir) * d->hidden;
    return ((t * d->dirs + dir) * d->batch + b) * d->hidden;
}

/* Offset (floats) of the [H] of initial_h, initial_c, Y_h or Y_c for direction dir, row b. */
static int64_t state_offset(const rnn_params_t *p, const rnn_dims_t *d, int dir, int64_t b)
{
    return (p->batch_first ? b * d->dirs + dir : dir * d->batch + b) * d->hidden;
}

/* Row b's part of the step s buffers, reading h_prev and writing h_new. */
static void row_at(const direction_t *dt, int64_t s, int64_t b, const float *h_prev, float *h_new,
                   rnn_cell_row_t *row)
{
    const rnn_dims_t *d = dt->d;
    bool reverse = dt->dir == 1 || dt->p->direction == RNN_REVERSE;
    /* A row past its length reads no time step: any in range serves. */
    int64_t t = s >= row_len(dt, b) ? 0 : reverse ? row_len(dt, b) - 1 - s : s;

    row->gates = dt->gates + b * dt->l->ldg;
    row->xw = dt->xw + x_row(dt, t, b) * dt->l->ldxw + (int64_t)dt->dir * d->gates * d->hidden;
    row->h_prev = h_prev + b * d->hidden;
    row->h_new = h_new + b * d->hidden;
    row->c = dt->c ? dt->c + b * d->hidden : NULL;
    row->y = dt->y ? dt->y + y_offset(dt->p, d, t, dt->dir, b) : NULL;
    row->rh = dt->rh ? dt->rh + b * d->hidden : NULL;
    row->gates_h = dt->gates_h ? dt->gates_h + b * dt->l->ldgh : NULL;
}

/* Share k of stage stage: phase 0 (the only one, or GRU's first pass) or 1 (GRU's second). */
static void run_share(const direction_t *dt, int k, int team, int64_t stage)
{
    const rnn_dims_t *d = dt->d;
    const int64_t hidden = d->hidden, blocks = (hidden + RNN_BLOCK - 1) / RNN_BLOCK;
    const int64_t u0 = blocks * k / team * RNN_BLOCK;
    const int64_t u1_full = blocks * (k + 1) / team * RNN_BLOCK;
    const int64_t u1 = u1_full < hidden ? u1_full : hidden;
    const bool split = split_rh(dt->p);
    const int r_gates = split ? 2 : d->gates;
    const int64_t s = split ? stage / 2 : stage;
    const int phase = split ? (int)(stage % 2) : 0;
    const float *h_prev = dt->h[s % 2];
    float *h_new = dt->h[(s + 1) % 2];
    rnn_cell_row_t row;
    rnn_cell_fn cell;

    if (u0 >= u1)
        return;
    if (phase == 1) {
        /* Block-major columns of h in unit order: the share's units are whole panels. */
        dt->ops->gemv(dt->rh, hidden, d->batch, dt->wt->rh[dt->dir], u0 / GEMM_B_PANEL,
                      (u1 + GEMM_B_PANEL - 1) / GEMM_B_PANEL, dt->gates_h, dt->l->ldgh);
        for (int64_t b = 0; b < d->batch; b++) {
            if (s >= row_len(dt, b))
                continue;
            row_at(dt, s, b, h_prev, h_new, &row);
            dt->ops->gru_update(&dt->args, &row, u0, u1);
        }
        return;
    }
    switch (dt->p->cell) {
    case RNN_CELL_LSTM:
        cell = dt->ops->lstm;
        break;
    case RNN_CELL_GRU:
        cell = split ? dt->ops->gru_reset : dt->ops->gru_fused;
        break;
    default:
        cell = dt->ops->rnn;
        break;
    }
    /* Block-major columns: the share's blocks are a run of whole panels (rnn.h). */
    dt->ops->gemv(h_prev, hidden, d->batch, dt->wt->r[dt->dir], u0 * r_gates / GEMM_B_PANEL,
                  (u1 * r_gates + GEMM_B_PANEL - 1) / GEMM_B_PANEL, dt->gates, dt->l->ldg);
    for (int64_t b = 0; b < d->batch; b++) {
        row_at(dt, s, b, h_prev, h_new, &row);
        if (s < row_len(dt, b)) {
            cell(&dt->args, &row, u0, u1);
        } else {
            /* Past its length: the state carries over; r (.) H is only read, not used. */
            memcpy(row.h_new + u0, row.h_prev + u0, (size_t)(u1 - u0) * sizeof(float));
            if (split)
                memset(row.rh + u0, 0, (size_t)(u1 - u0) * sizeof(float));
        }
    }
}

/* Every stage on thread tid of team; with team 1, simply each share in turn. */
static void run_stages(const direction_t *dt, step_sync_t *sync, int tid, int team)
{
    const int64_t stages = dt->steps * (split_rh(dt->p) ? 2 : 1);

    for (int64_t stage = 0; stage < stages; stage++) {
        int spins = 0;
        for (int i = 0; i < team; i++) {
            int k = (tid + i) % team;
            int64_t before = stage - 1;
            if (team == 1 || atomic_compare_exchange_strong(&sync->claimed[k], &before, stage)) {
                run_share(dt, k, team, stage);
                /* Release: the share's writes are seen by whoever sees the count. */
                atomic_fetch_add_explicit(&sync->done, 1, memory_order_release);
            }
        }
        while (atomic_load_explicit(&sync->done, memory_order_acquire) < (stage + 1) * team) {
            if (++spins < RNN_SPINS_BEFORE_YIELD) {
                _mm_pause();
            } else {
                sched_yield();
                spins = 0;
            }
        }
    }
}

/* The threads the step loop takes: whole blocks each, and only when the product is worth it. */
static int step_team(const rnn_dims_t *d, int threads)
{
    int64_t blocks = (d->hidden + RNN_BLOCK - 1) / RNN_BLOCK;
    int64_t macs = d->batch * d->gates * d->hidden * d->hidden;

    if (threads <= 1 || macs < RNN_PARALLEL_MIN_MACS)
        return 1;
    if (threads > RNN_MAX_TEAM)
        threads = RNN_MAX_TEAM;
    return (int)(blocks < threads ? blocks : threads);
}

static void run_direction(direction_t *dt, const op_call_t *call)
{
    const rnn_params_t *p = dt->p;
    const rnn_dims_t *d = dt->d;
    const tensor_t *h0 = call->n_inputs > RNN_IN_INITIAL_H ? call->inputs[RNN_IN_INITIAL_H] : NULL;
    const tensor_t *c0 = call->n_inputs > RNN_IN_INITIAL_C ? call->inputs[RNN_IN_INITIAL_C] : NULL;
    size_t row_bytes = (size_t)d->hidden * sizeof(float);
    int team = step_team(d, call->threads);
    float *h_final;

    for (int64_t b = 0; b < d->batch; b++) {
        int64_t at = state_offset(p, d, dt->dir, b);
        if (h0)
            memcpy(dt->h[0] + b * d->hidden, (const float *)h0->data + at, row_bytes);
        else
            memset(dt->h[0] + b * d->hidden, 0, row_bytes);
        if (dt->c && c0)
            memcpy(dt->c + b * d->hidden, (const float *)c0->data + at, row_bytes);
        else if (dt->c)
            memset(dt->c + b * d->hidden, 0, row_bytes);
    }
    atomic_init(&dt->sync->done, 0);
    for (int k = 0; k < RNN_MAX_TEAM; k++)
        atomic_init(&dt->sync->claimed[k], -1);
    if (team > 1) {
        /* Shares are fixed before the team starts, however many threads it gets. */
#pragma omp parallel num_threads(team)
        run_stages(dt, dt->sync, omp_get_thread_num(), team);
    } else {
        run_stages(dt, dt->sync, 0, 1);
    }
    h_final = dt->h[dt->steps % 2];
    for (int64_t b = 0; b < d->batch; b++) {
        int64_t at = state_offset(p, d, dt->dir, b);
        bool ran = row_len(dt, b) > 0;
        for (int k = RNN_OUT_Y_H; k <= RNN_OUT_Y_C && k < call->n_outputs; k++) {
            float *out = (float *)call->outputs[k].data + at;
            const float *from = k == RNN_OUT_Y_H ? h_final : dt->c;
            if (ran)
                memcpy(out, from + b * d->hidden, row_bytes);
            else
                memset(out, 0, row_bytes);
        }
    }
}

status_t rnn_run(op_call_t *call, error_t *err)
{
    const rnn_params_t *p = call->params;
    const tensor_t *x = call->inputs[RNN_IN_X];
    const tensor_t *lens = call->n_inputs > RNN_IN_SEQ_LENS ? call->inputs[RNN_IN_SEQ_LENS] : NULL;
    char *ws = call->workspace;
    const rnn_weights_t *wt;
    rnn_dims_t d;
    layout_t l;
    float *y = call->n_outputs > RNN_OUT_Y ? call->outputs[RNN_OUT_Y].data : NULL;
    status_t st;

    if (x->dtype == DTYPE_DOUBLE)
        return rnn_run_f64(call, err);
    rnn_dims(call, &d);
    plan_layout(call, &d, &l);
    assert(call->workspace_size >= l.total);
    if ((st = rnn_check_seq_lens(call, d.seq, err)) != STATUS_OK)
        return st;
    wt = call->state ? call->state : rnn_weights_fill(call, ws + l.weights);
    if (d.seq * d.batch > 0) {
        const gemm_a_t a = {.data = x->data, .lda = d.input};
        const gemm_epilogue_t ep = {.bias = wt->bias};
        gemm_run(&a, d.seq * d.batch, wt->w, (float *)(ws + l.xw), l.ldxw, &ep, NULL,
                 call->threads);
    }
    /* Rows past their length stay zero in Y; every other row is written by the steps. */
    if (y && lens)
        memset(y, 0, tensor_bytes(&call->outputs[RNN_OUT_Y]));
    for (int dir = 0; dir < d.dirs; dir++) {
        direction_t dt = {
            .p = p,
            .d = &d,
            .l = &l,
            .wt = wt,
            .ops = rnn_isa_ops(),
            .args = {.acts = p->acts[dir],
                     .has_clip = p->has_clip,
                     .clip = p->clip,
                     .input_forget = p->input_forget,
                     .peep = wt->peep ? wt->peep + dir * RNN_PEEPHOLES * d.hidden : NULL,
                     .rbh = wt->rbh + dir * d.hidden,
                     .hidden = d.hidden},
            .dir = dir,
            .lens = lens ? lens->data : NULL,
            .steps = d.seq,
            .xw = (const float *)(ws + l.xw),
            .gates = (float *)(ws + l.gates),
            .gates_h = split_rh(p) ? (float *)(ws + l.gates_h) : NULL,
            .h = {(float *)(ws + l.h0), (float *)(ws + l.h1)},
            .c = p->cell == RNN_CELL_LSTM ? (float *)(ws + l.c) : NULL,
            .rh = split_rh(p) ? (float *)(ws + l.rh) : NULL,
            .y = y,
            .sync = (step_sync_t *)(ws + l.sync),
        };
        if (lens) {
            dt.steps = 0;
            for (int64_t b = 0; b < d.batch; b++)
                if (dt.lens[b] > dt.steps)
                    dt.steps = dt.lens[b];
        }
        run_direction(&dt, call);
    }
    return STATUS_OK;
}
