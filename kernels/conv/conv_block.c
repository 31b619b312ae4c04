/*
 * conv_block.c - the fused inverted-residual block (conv_block.h): packing
 * and the strip-by-strip run.
 *
 * Each thread takes a contiguous range of the batch's output rows (whole
 * images where the batch has enough of them) and walks it strip by strip:
 * per output row, the (up to) three expanded rows under the depthwise
 * window are made in a ring of three rows by the expansion GEMM, the
 * depthwise row is written into the strip, and once the strip is full the
 * projection GEMM turns it into output rows, adding bias and residual.
 * The reduction order of each GEMM is that of the unfused layer run on the
 * same GEMM (K is not split differently by a smaller M).
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
        if (call->inputs[k] &&
            (!call->inputs[k]->data || call->inputs[k]->dtype != DTYPE_FLOAT)) {
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

/* Floats of one thread's scratch: the ring of expanded rows, then the strip. */
static int64_t thread_floats(const conv_block_geom_t *g, bool expand)
{
    int64_t ring = expand ? round_floats(CONV_DW_ROW_K * g->w * g->e) : 0;

    return ring + round_floats(strip_rows(g) * g->ow * g->e);
}

/* Threads a call runs on: no more than it has output rows. */
static int team_size(const conv_block_geom_t *g, int threads)
{
    int64_t rows = g->n * g->oh;

    return (int)(threads < 1 ? 1 : threads < rows ? threads : rows > 0 ? rows : 1);
}

size_t conv_block_workspace(const conv_block_geom_t *g, int threads)
{
    /* Counted as with an expansion: a few rows more, whatever the block. */
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

static gemm_epilogue_t epilogue_of(const conv_nhwc_params_t *p, const float *bias)
{
    gemm_epilogue_t ep = {.bias = bias};

    if (p->activation == CONV_ACTIVATION_RELU)
        ep.act = GEMM_ACT_RELU;
    if (p->activation == CONV_ACTIVATION_CLIP) {
        ep.act = GEMM_ACT_CLIP;
        ep.clip_min = p->clip_min;
        ep.clip_max = p->clip_max;
    }
    return ep;
}

/* What every thread of a run shares. */
typedef struct block_run {
    const conv_block_geom_t *g;
    const conv_block_state_t *s;
    const float *x, *residual;
    float *y;
    gemm_epilogue_t expand_ep, project_ep;
    conv_dw_row_t dw; /* the depthwise step's constant fields */
    conv_dw_row_fn dw_row;
    int64_t strip;  /* output rows per strip */
    int64_t floats; /* of each thread's scratch */
} block_run_t;

/* One thread's ring: which image its rows are of and the last row made. */
typedef struct ring {
    float *rows; /* [3][W][E]: row ih in slot ih % 3 */
    int64_t n, last;
} ring_t;

/* Expanded row ih (inside the image) of image n: made in the ring unless it is there already. */
static const float *expanded_row(const block_run_t *b, ring_t *ring, int64_t n, int64_t ih)
{
    const conv_block_geom_t *g = b->g;
    const float *x = b->x + (n * g->h + ih) * g->w * g->c;
    float *row;
    gemm_a_t a = {.data = x, .lda = g->c};

    if (!b->s->expand)
        return x;
    row = ring->rows + ih % CONV_DW_ROW_K * g->w * g->e;
    /* Rows are asked for in increasing order within an image: a row below last is in the ring. */
    if (ring->n == n && ih <= ring->last)
        return row;
    assert(ring->n != n || ih > ring->last);
    gemm_run(&a, g->w, b->s->expand, row, g->e, &b->expand_ep, NULL, 1);
    ring->n = n;
    ring->last = ih;
    return row;
}

/* Output rows [r0, r1) of the batch, counted across images, on the calling thread. */
static void run_rows(const block_run_t *b, int64_t r0, int64_t r1, float *scratch)
{
    const conv_block_geom_t *g = b->g;
    ring_t ring = {.rows = scratch, .n = -1, .last = -1};
    float *strip = scratch + (b->s->expand ? round_floats(CONV_DW_ROW_K * g->w * g->e) : 0);
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
        .expand_ep = epilogue_of(&p->expand_conv, s->expand_bias),
        .project_ep = epilogue_of(&p->project, s->project_bias),
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
    (void)call;
    snprintf(impl, size, "inferd conv block:%s", cpu_isa_name(cpu_isa()));
    return false;
}
