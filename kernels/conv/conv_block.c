/*
 * conv_block.c - the fused inverted-residual block (conv_block.h): packing
 * and the strip-by-strip run.
 *
 * Each thread takes a contiguous range of the batch's output rows (whole
 * images where the batch has enough of them) and walks it strip by strip:
 * per output row, the (up to) three expanded rows under the depthwise
 * window are made, if the thread's ring of expanded rows does not hold
 * them yet, by the expansion GEMM (several rows per call on narrow images,
 * ring_slots), the depthwise row is written into the strip, and once the
 * strip is full the projection GEMM turns it into output rows, adding bias
 * and residual. Images with few rows per thread run layer by layer instead
 * (block_mode).
 *
 * Each GEMM reduces K in the order the unfused layer would on the same
 * GEMM (its K blocks depend on K only); where the unfused layers ran on
 * oneDNN, the sums are the same ones in another order, so the outputs
 * agree to fp32 rounding.
 */
#include "conv_block.h"

#include <assert.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_dw_row.h"
#include "cpu_isa.h"
#include "gemm/gemm.h"

/*
 * Bytes of depthwise output a strip holds before the projection reads it:
 * small enough to stay in L2 beside the ring and the weights, large enough
 * that the projection GEMM gets a few hundred rows at a time.
 */
#define CONV_BLOCK_STRIP_BYTES (96 * 1024)

/* Rows an expansion GEMM call is given at least, where the ring has room (ring_slots). */
#define CONV_BLOCK_EXPAND_M 96

/* Bytes a thread's ring of expanded rows may take. */
#define CONV_BLOCK_RING_BYTES (256 * 1024)

/* Floats a per-thread buffer is rounded up to, keeping every one 64-byte aligned. */
#define CONV_BLOCK_ALIGN_FLOATS 16

typedef struct conv_block_state {
    gemm_b_t *expand;    /* [C] x E; NULL without an expansion */
    gemm_b_t *project;   /* [E] x M */
    float *expand_bias;  /* [E] or NULL */
    float *dw_taps;      /* [9][E]: tap-major */
    float *dw_bias;      /* [E], zeros when the layer has none */
    float *project_bias; /* [M] or NULL */
} conv_block_state_t;

void conv_block_release(void *state)
{
    conv_block_state_t *s = state;

    if (!s)
        return;
    gemm_b_free(s->expand);
    gemm_b_free(s->project);
    free(s->expand_bias);
    free(s->dw_taps);
    free(s->dw_bias);
    free(s->project_bias);
    free(s);
}

/* A copy of bias input k, or NULL when absent; false when out of memory. */
static bool copy_bias(const op_call_t *call, int k, float **out)
{
    const tensor_t *b = call->n_inputs > k ? call->inputs[k] : NULL;

    *out = NULL;
    if (!b)
        return true;
    *out = malloc((size_t)b->dims[0] * sizeof **out + 1);
    if (!*out)
        return false;
    memcpy(*out, b->data, (size_t)b->dims[0] * sizeof **out);
    return true;
}

status_t conv_block_pack(const op_call_t *call, void **state, error_t *err)
{
    const conv_block_params_t *p = call->params;
    const tensor_t *we = call->inputs[CONV_BLOCK_EXPAND_W], *wd = call->inputs[CONV_BLOCK_DW_W];
    const tensor_t *wp = call->inputs[CONV_BLOCK_PROJECT_W];
    const tensor_t *bd = call->n_inputs > CONV_BLOCK_DW_B ? call->inputs[CONV_BLOCK_DW_B] : NULL;
    conv_block_state_t *s = calloc(1, sizeof *s);
    int64_t e;
    status_t st = STATUS_OK;

    *state = NULL;
    if (!s)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    for (int k = CONV_BLOCK_EXPAND_W; k < call->n_inputs && k < CONV_BLOCK_RESIDUAL; k++)
        if (call->inputs[k] && (!call->inputs[k]->data || call->inputs[k]->dtype != DTYPE_FLOAT)) {
            st = op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                         "weights are not constant float32");
            goto cleanup;
        }
    e = wd->dims[0];
    if (p->expand &&
        (st = gemm_b_pack(we->data, we->dims[1], true, we->dims[1], we->dims[0], &s->expand, err)))
        goto cleanup;
    if ((st = gemm_b_pack(wp->data, e, true, e, wp->dims[0], &s->project, err)))
        goto cleanup;
    s->dw_taps = malloc((size_t)(CONV_DW_ROW_TAPS * e) * sizeof *s->dw_taps);
    s->dw_bias = calloc((size_t)e + 1, sizeof *s->dw_bias);
    if (!s->dw_taps || !s->dw_bias || !copy_bias(call, CONV_BLOCK_EXPAND_B, &s->expand_bias) ||
        !copy_bias(call, CONV_BLOCK_PROJECT_B, &s->project_bias)) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
        goto cleanup;
    }
    for (int64_t c = 0; c < e; c++)
        for (int t = 0; t < CONV_DW_ROW_TAPS; t++)
            s->dw_taps[t * e + c] = ((const float *)wd->data)[c * CONV_DW_ROW_TAPS + t];
    if (bd)
        memcpy(s->dw_bias, bd->data, (size_t)e * sizeof *s->dw_bias);
    *state = s;
    s = NULL;
cleanup:
    conv_block_release(s);
    return st;
}

/* Output rows per strip. */
static int64_t strip_rows(const conv_block_geom_t *g)
{
    int64_t row_bytes = g->ow * g->e * (int64_t)sizeof(float);
    int64_t rows = row_bytes > 0 ? CONV_BLOCK_STRIP_BYTES / row_bytes : 1;

    rows = rows < 1 ? 1 : rows;
    return rows < g->oh ? rows : g->oh;
}

static int64_t round_floats(int64_t n)
{
    return (n + CONV_BLOCK_ALIGN_FLOATS - 1) / CONV_BLOCK_ALIGN_FLOATS * CONV_BLOCK_ALIGN_FLOATS;
}

/*
 * Rows of a thread's ring: the window's three, and as many more as make
 * each expansion GEMM call CONV_BLOCK_EXPAND_M rows long (a narrow image's
 * row alone is a few tiles, each reading all of B), within
 * CONV_BLOCK_RING_BYTES.
 */
static int64_t ring_slots(const conv_block_geom_t *g)
{
    int64_t row_bytes = g->w * g->e * (int64_t)sizeof(float);
    int64_t more = g->w > 0 ? (CONV_BLOCK_EXPAND_M + g->w - 1) / g->w : 1;
    int64_t cap = row_bytes > 0 ? CONV_BLOCK_RING_BYTES / row_bytes : more, slots;

    more = more < cap - (CONV_DW_ROW_K - 1) ? more : cap - (CONV_DW_ROW_K - 1);
    slots = (CONV_DW_ROW_K - 1) + (more > 1 ? more : 1);
    /* No more than the image has rows, nor fewer than the window's. */
    slots = slots < g->h ? slots : g->h;
    return slots > CONV_DW_ROW_K ? slots : CONV_DW_ROW_K;
}

/* Floats of one thread's scratch: the ring of expanded rows, then the strip. */
static int64_t thread_floats(const conv_block_geom_t *g, bool expand)
{
    int64_t ring = expand ? round_floats(ring_slots(g) * g->w * g->e) : 0;

    return ring + round_floats(strip_rows(g) * g->ow * g->e);
}

/* Threads a call runs on: no more than it has output rows. */
static int team_size(const conv_block_geom_t *g, int threads)
{
    int64_t rows = g->n * g->oh;

    return (int)(threads < 1 ? 1 : threads < rows ? threads : rows > 0 ? rows : 1);
}

/*
 * How a call runs. In strips, threads split the batch's output rows, each
 * thread expanding the rows above and below its range again; on an image
 * with few rows per thread (MobileNetV2's 28x28 to 7x7 blocks at batch 1
 * on two threads) that costs up to half the expansion again and leaves the
 * threads unevenly loaded, and the whole expanded image fits the L2 cache
 * anyway. Such calls run layer by layer: the expansion, the depthwise rows
 * and the projection each split evenly between the threads (in one
 * parallel region, a barrier between layers), through a workspace holding
 * one expanded image and its depthwise output.
 */
typedef enum block_mode {
    BLOCK_STRIPS,
    BLOCK_LAYERS,
} block_mode_t;

/* Output rows of an image each thread must get for its threads to split it in strips. */
#define CONV_BLOCK_MIN_THREAD_ROWS 16

static block_mode_t block_mode(const conv_block_geom_t *g, int threads)
{
    int team = team_size(g, threads);

    if (team == 1 || g->n >= team || g->oh >= (int64_t)team * CONV_BLOCK_MIN_THREAD_ROWS)
        return BLOCK_STRIPS;
    return BLOCK_LAYERS;
}

/* Floats of the layer-by-layer workspace: one expanded image, then its depthwise output. */
static int64_t layers_floats(const conv_block_geom_t *g)
{
    return round_floats(g->h * g->w * g->e) + round_floats(g->oh * g->ow * g->e);
}

size_t conv_block_workspace(const conv_block_geom_t *g, int threads)
{
    /* Counted as with an expansion: a few rows more, whatever the block. */
    if (block_mode(g, threads) == BLOCK_LAYERS)
        return (size_t)layers_floats(g) * sizeof(float);
    return (size_t)(team_size(g, threads) * thread_floats(g, true)) * sizeof(float);
}

/* The clamp an activation applies (none: the whole line). */
static void clamp_of(const conv_nhwc_params_t *p, float *lo, float *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    if (p->activation == CONV_ACTIVATION_RELU)
        *lo = 0.0f;
    if (p->activation == CONV_ACTIVATION_CLIP) {
        *lo = p->clip_min;
        *hi = p->clip_max;
    }
}

/* What every thread of a run shares. */
typedef struct block_run {
    const conv_block_geom_t *g;
    const conv_block_state_t *s;
    const float *x;
    float *y;
    gemm_epilogue_t expand_ep, project_ep;
    conv_dw_row_t dw; /* the depthwise step's constant fields */
    conv_dw_row_fn dw_row;
    int64_t strip;  /* output rows per strip */
    int64_t floats; /* of each thread's scratch */
} block_run_t;

/*
 * One thread's ring of expanded rows: row ih of image n in slot ih % slots,
 * rows up to last made. Requests only move down an image, so a new row
 * overwrites one that no window needs any more.
 */
typedef struct ring {
    float *rows; /* [slots][W][E] */
    int64_t slots, n, last;
} ring_t;

/* Expands rows [from, to) of image n into their slots, which do not wrap. */
static void expand_rows(const block_run_t *b, ring_t *ring, int64_t n, int64_t from, int64_t to)
{
    const conv_block_geom_t *g = b->g;
    gemm_a_t a = {.data = b->x + (n * g->h + from) * g->w * g->c, .lda = g->c};

    gemm_run(&a, (to - from) * g->w, b->s->expand, ring->rows + from % ring->slots * g->w * g->e,
             g->e, &b->expand_ep, NULL, 1);
}

/*
 * Makes sure expanded rows [lo, hi] (inside the image) of image n are in
 * the ring, expanding as many rows past the last one made as the ring has
 * room for beside rows from lo on, so each GEMM call gets several rows
 * where the image is narrow.
 */
static void ring_fill(const block_run_t *b, ring_t *ring, int64_t n, int64_t lo, int64_t hi)
{
    int64_t from, to;

    if (ring->n != n || lo > ring->last + 1) {
        ring->n = n;
        ring->last = lo - 1;
    }
    if (hi <= ring->last)
        return;
    from = ring->last + 1;
    to = lo + ring->slots < b->g->h ? lo + ring->slots : b->g->h;
    assert(to > hi && from >= lo);
    /* At most two runs: up to the ring's end, then from its start. */
    while (from < to) {
        int64_t end = from + (ring->slots - from % ring->slots);
        end = end < to ? end : to;
        expand_rows(b, ring, n, from, end);
        from = end;
    }
    ring->last = to - 1;
}

/* Expanded row ih of image n: the ring's slot, or X's row without an expansion. */
static const float *expanded_row(const block_run_t *b, const ring_t *ring, int64_t n, int64_t ih)
{
    const conv_block_geom_t *g = b->g;

    if (!b->s->expand)
        return b->x + (n * g->h + ih) * g->w * g->c;
    assert(ring->n == n && ih <= ring->last && ih > ring->last - ring->slots);
    return ring->rows + ih % ring->slots * g->w * g->e;
}

/* Output rows [r0, r1) of the batch, counted across images, on the calling thread. */
static void run_rows(const block_run_t *b, int64_t r0, int64_t r1, float *scratch)
{
    const conv_block_geom_t *g = b->g;
    ring_t ring = {.rows = scratch, .slots = ring_slots(g), .n = -1, .last = -1};
    float *strip = scratch + (b->s->expand ? round_floats(ring.slots * g->w * g->e) : 0);
    conv_dw_row_t dw = b->dw;

    for (int64_t row = r0; row < r1;) {
        int64_t n = row / g->oh, oh0 = row % g->oh, rows = b->strip;
        int64_t at = (n * g->oh + oh0) * g->ow;
        gemm_a_t a = {.data = strip, .lda = g->e};
        gemm_epilogue_t ep = b->project_ep;
        rows = rows < g->oh - oh0 ? rows : g->oh - oh0;
        rows = rows < r1 - row ? rows : r1 - row;
        for (int64_t i = 0; i < rows; i++) {
            int64_t ih0 = (oh0 + i) * g->stride - g->pad_top;
            int64_t lo = ih0 > 0 ? ih0 : 0, hi = ih0 + CONV_DW_ROW_K - 1;
            hi = hi < g->h ? hi : g->h - 1;
            if (b->s->expand && lo <= hi)
                ring_fill(b, &ring, n, lo, hi);
            for (int kh = 0; kh < CONV_DW_ROW_K; kh++) {
                int64_t ih = ih0 + kh;
                dw.rows[kh] = ih >= 0 && ih < g->h ? expanded_row(b, &ring, n, ih) : NULL;
            }
            dw.out = strip + i * g->ow * g->e;
            b->dw_row(&dw);
        }
        if (ep.residual)
            ep.residual += at * g->m;
        gemm_run(&a, rows * g->ow, b->s->project, b->y + at * g->m, g->m, &ep, NULL, 1);
        row += rows;
    }
}

/*
 * Thread me of got's share [*lo, *hi) of n items, cut at multiples of
 * unit where there are enough of them (whole GEMM tiles).
 */
static void share(int64_t n, int64_t unit, int me, int got, int64_t *lo, int64_t *hi)
{
    int64_t units = n / unit >= got ? unit : 1;

    *lo = n / units * me / got * units;
    *hi = me + 1 == got ? n : n / units * (me + 1) / got * units;
}

/* Rows a GEMM share is cut at: a multiple of every micro-kernel's tile height. */
#define CONV_BLOCK_SHARE_ROWS 12

/*
 * Image n layer by layer (BLOCK_LAYERS) as thread me of got, inside the
 * caller's parallel region: the expansion, the depthwise rows and the
 * projection, each split evenly, with a barrier after each.
 */
static void run_layers(const block_run_t *b, int64_t n, int me, int got, float *scratch)
{
    const conv_block_geom_t *g = b->g;
    float *expanded = scratch, *dw_out = scratch + round_floats(g->h * g->w * g->e);
    const float *x = b->x + n * g->h * g->w * g->c, *xe = b->s->expand ? expanded : x;
    gemm_epilogue_t ep = b->project_ep;
    int64_t lo, hi;
    gemm_a_t a;

    if (b->s->expand) {
        share(g->h * g->w, CONV_BLOCK_SHARE_ROWS, me, got, &lo, &hi);
        a = (gemm_a_t){.data = x + lo * g->c, .lda = g->c};
        if (hi > lo)
            gemm_run(&a, hi - lo, b->s->expand, expanded + lo * g->e, g->e, &b->expand_ep, NULL, 1);
#pragma omp barrier
    }
    share(g->oh, 1, me, got, &lo, &hi);
    for (int64_t oh = lo; oh < hi; oh++) {
        conv_dw_row_t dw = b->dw;
        int64_t ih0 = oh * g->stride - g->pad_top;
        for (int kh = 0; kh < CONV_DW_ROW_K; kh++) {
            int64_t ih = ih0 + kh;
            dw.rows[kh] = ih >= 0 && ih < g->h ? xe + ih * g->w * g->e : NULL;
        }
        dw.out = dw_out + oh * g->ow * g->e;
        b->dw_row(&dw);
    }
#pragma omp barrier
    share(g->oh * g->ow, CONV_BLOCK_SHARE_ROWS, me, got, &lo, &hi);
    a = (gemm_a_t){.data = dw_out + lo * g->e, .lda = g->e};
    lo += n * g->oh * g->ow;
    hi += n * g->oh * g->ow;
    if (ep.residual)
        ep.residual += lo * g->m;
    if (hi > lo) {
        gemm_run(&a, hi - lo, b->s->project, b->y + lo * g->m, g->m, &ep, NULL, 1);
    }
    /* The next image reuses the workspace. */
#pragma omp barrier
}

status_t conv_block_run(op_call_t *call, error_t *err)
{
    const conv_block_params_t *p = call->params;
    const conv_block_state_t *s = call->state;
    conv_block_geom_t g;
    tensor_t y;
    block_run_t b;
    int team;
    status_t st = conv_block_resolve(call, &g, &y, err);

    if (st)
        return st;
    if (!s)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not packed");
    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    team = team_size(&g, call->threads);
    assert(call->workspace_size >= conv_block_workspace(&g, call->threads));
    b = (block_run_t){
        .g = &g,
        .s = s,
        .x = call->inputs[CONV_BLOCK_X]->data,
        .y = call->outputs[0].data,
        .expand_ep = conv_gemm_epilogue(&p->expand_conv, s->expand_bias),
        .project_ep = conv_gemm_epilogue(&p->project, s->project_bias),
        .dw = {.w = g.w,
               .ow = g.ow,
               .c = g.e,
               .stride = g.stride,
               .pad = g.pad_left,
               .taps = s->dw_taps,
               .bias = s->dw_bias},
        .dw_row = conv_dw_row_pick(),
        .strip = strip_rows(&g),
        .floats = thread_floats(&g, s->expand != NULL),
    };
    clamp_of(&p->depthwise, &b.dw.lo, &b.dw.hi);
    if (p->project.sum) {
        b.project_ep.residual = call->inputs[CONV_BLOCK_RESIDUAL]->data;
        b.project_ep.ld_residual = g.m;
    }
    if (team == 1) {
        run_rows(&b, 0, g.n * g.oh, call->workspace);
        return STATUS_OK;
    }
    if (block_mode(&g, call->threads) == BLOCK_LAYERS) {
#pragma omp parallel num_threads(team)
        for (int64_t n = 0; n < g.n; n++)
            run_layers(&b, n, omp_get_thread_num(), omp_get_num_threads(), call->workspace);
        return STATUS_OK;
    }
#pragma omp parallel num_threads(team)
    {
        /* The team may be smaller than asked for (inside another parallel region). */
        int64_t me = omp_get_thread_num(), got = omp_get_num_threads(), rows = g.n * g.oh;
        run_rows(&b, rows * me / got, rows * (me + 1) / got,
                 (float *)call->workspace + me * b.floats);
    }
    return STATUS_OK;
}

bool conv_block_describe(const op_call_t *call, char *impl, size_t size)
{
    conv_block_geom_t g;
    tensor_t y;
    error_t err;
    bool layers =
        !conv_block_resolve(call, &g, &y, &err) && block_mode(&g, call->threads) == BLOCK_LAYERS;

    snprintf(impl, size, "inferd conv block%s:%s", layers ? " by layer" : "",
             cpu_isa_name(cpu_isa()));
    return false;
}
