/*
 * rnn_pack.c - W, R, B and P in the form the CPU code reads: W and R as
 * packed GEMM operands (gemm_b_t panels) with their gate columns
 * block-major (rnn.h), the two biases summed once, the peepholes per
 * direction. Made once per model by pack when the weights are constants,
 * otherwise by each run in its workspace; the same code fills both.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rnn.h"

#define RNN_ALIGN 64

static size_t round_up(size_t n)
{
    return (n + RNN_ALIGN - 1) / RNN_ALIGN * RNN_ALIGN;
}

static const tensor_t *input(const op_call_t *call, int i)
{
    return i < call->n_inputs ? call->inputs[i] : NULL;
}

/* The weights' own dims (X is not needed, nor known when packing). */
static void weight_dims(const op_call_t *call, rnn_dims_t *d)
{
    const rnn_params_t *p = call->params;

    d->seq = d->batch = 0;
    d->dirs = (int)call->inputs[RNN_IN_W]->dims[0];
    d->input = call->inputs[RNN_IN_W]->dims[2];
    d->hidden = call->inputs[RNN_IN_R]->dims[2];
    d->gates = rnn_gates(p->cell);
}

/* GRU without linear_before_reset multiplies h's R columns separately (rnn.h). */
static bool split_rh(const rnn_params_t *p)
{
    return p->cell == RNN_CELL_GRU && !p->linear_before_reset;
}

size_t rnn_weights_bytes(const op_call_t *call)
{
    const rnn_params_t *p = call->params;
    rnn_dims_t d;
    int r_gates;
    size_t bytes;

    weight_dims(call, &d);
    r_gates = split_rh(p) ? 2 : d.gates;
    bytes = round_up(sizeof(rnn_weights_t));
    bytes += gemm_b_pack_size(d.input, d.dirs * d.gates * d.hidden);
    bytes += (size_t)d.dirs * gemm_b_pack_size(d.hidden, r_gates * d.hidden);
    if (split_rh(p))
        bytes += (size_t)d.dirs * gemm_b_pack_size(d.hidden, d.hidden);
    bytes += round_up((size_t)(d.dirs * d.gates * d.hidden) * sizeof(float));
    bytes += round_up((size_t)(d.dirs * d.hidden) * sizeof(float));
    if (input(call, RNN_IN_P) && p->cell == RNN_CELL_LSTM)
        bytes += round_up((size_t)(d.dirs * RNN_PEEPHOLES * d.hidden) * sizeof(float));
    return bytes;
}

/*
 * Row of a direction's W or R (gate g, unit u: row g x H + u) whose
 * weights become packed column col of that direction, when gates gates
 * are laid out block-major: RNN_BLOCK units of gate 0, the same units of
 * gate 1, ... then the next block. Every block but the last is full, so a
 * block starts at column gates x its first unit.
 */
static int64_t block_major_row(int64_t col, int gates, int64_t hidden)
{
    int64_t first = col / (gates * RNN_BLOCK) * RNN_BLOCK;
    int64_t units = hidden - first < RNN_BLOCK ? hidden - first : RNN_BLOCK;
    int64_t within = col - first * gates;

    return within / units * hidden + first + within % units;
}

/*
 * A packed [k, n] operand in mem whose column col holds a row of src (rows
 * of k floats): within each run of per_dir columns (one direction's), row
 * col in order, or block_major_row(col) of gates gates. The transpose of a
 * row-permuted W or R. Returns the bytes used.
 */
static size_t pack_rows(void *mem, const float *src, int64_t k, int64_t n, int64_t per_dir,
                        int gates, int64_t hidden, bool block_major, gemm_b_t **out)
{
    gemm_b_t *b = gemm_b_layout_into(mem, k, n);
    int64_t panels = gemm_b_panels(b);

    for (int64_t pn = 0; pn < panels; pn++) {
        float *panel = gemm_b_panel_mut(b, pn);
        for (int64_t lane = 0; lane < GEMM_B_PANEL; lane++) {
            int64_t col = pn * GEMM_B_PANEL + lane, first = col / per_dir * per_dir;
            const float *row;
            if (col >= n) {
                for (int64_t q = 0; q < k; q++)
                    panel[q * GEMM_B_PANEL + lane] = 0.0f;
                continue;
            }
            row = src + (first + (block_major ? block_major_row(col - first, gates, hidden)
                                              : col - first)) *
                            k;
            for (int64_t q = 0; q < k; q++)
                panel[q * GEMM_B_PANEL + lane] = row[q];
        }
    }
    *out = b;
    return gemm_b_pack_size(k, n);
}

rnn_weights_t *rnn_weights_fill(const op_call_t *call, void *mem)
{
    const rnn_params_t *p = call->params;
    const tensor_t *b = input(call, RNN_IN_B), *peep = input(call, RNN_IN_P);
    const float *w = call->inputs[RNN_IN_W]->data, *r = call->inputs[RNN_IN_R]->data;
    rnn_weights_t *wt = mem;
    char *at = (char *)mem + round_up(sizeof *wt);
    int64_t gh, h;
    int r_gates;

    assert((uintptr_t)mem % RNN_ALIGN == 0 && w && r);
    memset(wt, 0, sizeof *wt);
    weight_dims(call, &wt->dims);
    h = wt->dims.hidden;
    gh = wt->dims.gates * h;
    r_gates = split_rh(p) ? 2 : wt->dims.gates;
    /* All directions' W in one operand: the input projection is one product. */
    at += pack_rows(at, w, wt->dims.input, wt->dims.dirs * gh, gh, wt->dims.gates, h, true, &wt->w);
    for (int d = 0; d < wt->dims.dirs; d++) {
        const float *rd = r + d * gh * h;
        at += pack_rows(at, rd, h, r_gates * h, r_gates * h, r_gates, h, true, &wt->r[d]);
        if (split_rh(p))
            at += pack_rows(at, rd + 2 * h * h, h, h, h, 1, h, false, &wt->rh[d]);
    }
    wt->bias = (float *)at;
    at += round_up((size_t)(wt->dims.dirs * gh) * sizeof(float));
    wt->rbh = (float *)at;
    at += round_up((size_t)(wt->dims.dirs * h) * sizeof(float));
    for (int d = 0; d < wt->dims.dirs; d++) {
        const float *wb = b ? (const float *)b->data + d * 2 * gh : NULL;
        const float *rb = wb ? wb + gh : NULL;
        for (int64_t col = 0; col < gh; col++) {
            int64_t row = block_major_row(col, wt->dims.gates, h);
            /* linear_before_reset keeps Rbh inside r (.) (...): the cell adds it. */
            bool inner = p->cell == RNN_CELL_GRU && p->linear_before_reset && row >= 2 * h;
            wt->bias[d * gh + col] = wb ? wb[row] + (inner ? 0.0f : rb[row]) : 0.0f;
        }
        for (int64_t u = 0; u < h; u++)
            wt->rbh[d * h + u] = rb && p->linear_before_reset ? rb[2 * h + u] : 0.0f;
    }
    if (peep && p->cell == RNN_CELL_LSTM) {
        wt->peep = (float *)at;
        memcpy(wt->peep, peep->data, (size_t)(wt->dims.dirs * RNN_PEEPHOLES * h) * sizeof(float));
        at += round_up((size_t)(wt->dims.dirs * RNN_PEEPHOLES * h) * sizeof(float));
    }
    assert((size_t)(at - (char *)mem) <= rnn_weights_bytes(call));
    return wt;
}

/* True if W and R are float matrices of the shapes the attributes imply (infer checks them all). */
static bool packable(const op_call_t *call)
{
    const rnn_params_t *p = call->params;
    const tensor_t *w = call->inputs[RNN_IN_W], *r = call->inputs[RNN_IN_R];
    const tensor_t *b = input(call, RNN_IN_B), *peep = input(call, RNN_IN_P);
    int dirs = p->direction == RNN_BIDIRECTIONAL ? 2 : 1, gates = rnn_gates(p->cell);
    int64_t h;

    if (!w || !r || !w->data || !r->data || w->dtype != DTYPE_FLOAT || r->dtype != DTYPE_FLOAT ||
        w->rank != 3 || r->rank != 3)
        return false;
    h = r->dims[2];
    if (h < 1 || h > RNN_MAX_DIM || w->dims[2] > RNN_MAX_DIM || w->dims[0] != dirs ||
        r->dims[0] != dirs || w->dims[1] != gates * h || r->dims[1] != gates * h)
        return false;
    if (b && (!b->data || b->dtype != DTYPE_FLOAT ||
              !shape_equal(b->rank, b->dims, 2, (const int64_t[]){dirs, 2 * gates * h})))
        return false;
    if (peep && p->cell == RNN_CELL_LSTM &&
        (!peep->data || peep->dtype != DTYPE_FLOAT ||
         !shape_equal(peep->rank, peep->dims, 2, (const int64_t[]){dirs, RNN_PEEPHOLES * h})))
        return false;
    return true;
}

status_t rnn_pack(const op_call_t *call, void **state, error_t *err)
{
    size_t bytes;
    void *mem;

    *state = NULL;
    if (!packable(call))
        return STATUS_OK;
    bytes = rnn_weights_bytes(call);
    mem = aligned_alloc(RNN_ALIGN, round_up(bytes));
    if (!mem)
        return op_fail(err, STATUS_OUT_OF_MEMORY, call->op_type, call->node,
                       "cannot allocate %zu bytes of packed weights", bytes);
    *state = rnn_weights_fill(call, mem);
    return STATUS_OK;
}

void rnn_release(void *state)
{
    free(state);
}
