/*
 * deform_conv_cpu.c - DeformConv: sampling plan, sampled columns, GEMM.
 *
 * A tap at (y, x) reads 0 when y <= -1, y >= H, x <= -1 or x >= W;
 * otherwise it interpolates its four neighbours, those outside the image
 * reading 0, as ONNX Runtime and torchvision do. Coordinates and weights
 * are double; the columns are in X's dtype.
 */
#include "deform_conv.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gemm/gemm.h"

/* The workspace's columns are followed by the plan, each 64-byte aligned. */
#define DEFORM_CONV_ALIGN 64

/*
 * One entry of the sampling plan: the four neighbours' indices in the
 * plane and their weights, the mask folded in. A neighbour outside the
 * image has index 0 and weight 0, so filling the columns never branches.
 */
typedef struct deform_conv_sample {
    int32_t at[4];
    double wt[4];
} deform_conv_sample_t;

static double load(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static size_t align_up(size_t v)
{
    return (v + DEFORM_CONV_ALIGN - 1) / DEFORM_CONV_ALIGN * DEFORM_CONV_ALIGN;
}

/* Rows of one group's columns (and the GEMM's k): C / group x kH x kW. */
static int64_t group_rows(const deform_conv_geom_t *g)
{
    return g->c / g->group * g->kh * g->kw;
}

static size_t columns_bytes(const deform_conv_geom_t *g, dtype_t t, int64_t cols)
{
    return t == DTYPE_FLOAT ? gemm_b_pack_size(group_rows(g), cols)
                            : (size_t)(group_rows(g) * cols) * sizeof(double);
}

static size_t plan_bytes(const deform_conv_geom_t *g, int64_t cols)
{
    return (size_t)(g->offset_group * g->kh * g->kw * cols) * sizeof(deform_conv_sample_t);
}

void deform_conv_pick_tile(deform_conv_geom_t *g, dtype_t t)
{
    const int64_t pixels = g->oh * g->ow;
    const size_t per_pixel = columns_bytes(g, t, GEMM_B_PANEL) / GEMM_B_PANEL + plan_bytes(g, 1);
    int64_t tile = (int64_t)(DEFORM_CONV_TILE_BYTES / per_pixel) / GEMM_B_PANEL * GEMM_B_PANEL;

    /* At least one full panel, whatever the layer's width. */
    if (tile < GEMM_B_PANEL)
        tile = GEMM_B_PANEL;
    g->tile = pixels < tile ? pixels : tile;
}

size_t deform_conv_workspace_bytes(const deform_conv_geom_t *g, dtype_t t)
{
    if (g->tile == 0)
        return 0;
    return align_up(columns_bytes(g, t, g->tile)) + plan_bytes(g, g->tile);
}

static void plan_sample(deform_conv_sample_t *s, double y, double x, int64_t h, int64_t w,
                        double mask)
{
    double fy, fx, ly, lx, wt[4];
    int64_t y0, x0;

    memset(s, 0, sizeof *s);
    /* Written so that NaN offsets count as outside too. */
    if (!(y > -1.0 && y < (double)h && x > -1.0 && x < (double)w))
        return;
    fy = floor(y);
    fx = floor(x);
    y0 = (int64_t)fy;
    x0 = (int64_t)fx;
    ly = y - fy;
    lx = x - fx;
    wt[0] = (1 - ly) * (1 - lx);
    wt[1] = (1 - ly) * lx;
    wt[2] = ly * (1 - lx);
    wt[3] = ly * lx;
    for (int k = 0; k < 4; k++) {
        const int64_t yy = y0 + (k >> 1), xx = x0 + (k & 1);
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
            s->at[k] = (int32_t)(yy * w + xx);
            s->wt[k] = wt[k] * mask;
        }
    }
}

/*
 * The plan of image b for output pixels [p0, p0 + cols): rows of cols
 * entries, one row per offset group and kernel tap (offset_group x kH x kW).
 */
static void build_plan(const deform_conv_geom_t *g, dtype_t t, const void *offset, const void *mask,
                       int64_t b, int64_t p0, int64_t cols, deform_conv_sample_t *plan, int threads)
{
    const int64_t taps = g->kh * g->kw, pixels = g->oh * g->ow;
    const int64_t rows = g->offset_group * taps;

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t row = 0; row < rows; row++) {
        const int64_t k = row % taps, ki = k / g->kw, kj = k % g->kw;
        /* offset channels: per offset group, per tap, (dy, dx); mask: per group, per tap. */
        const int64_t dy_at = ((b * rows + row) * 2) * pixels, dx_at = dy_at + pixels;
        const int64_t m_at = (b * rows + row) * pixels;
        const int64_t tap_y = ki * g->dilation[0] - g->pad[0],
                      tap_x = kj * g->dilation[1] - g->pad[1];
        deform_conv_sample_t *s = plan + row * cols;
        int64_t oy = p0 / g->ow, ox = p0 % g->ow;
        for (int64_t q = 0; q < cols; q++) {
            const int64_t p = p0 + q;
            const double y = (double)(oy * g->stride[0] + tap_y) + load(t, offset, dy_at + p);
            const double x = (double)(ox * g->stride[1] + tap_x) + load(t, offset, dx_at + p);
            plan_sample(&s[q], y, x, g->h, g->w, mask ? load(t, mask, m_at + p) : 1.0);
            if (++ox == g->ow) {
                ox = 0;
                oy++;
            }
        }
    }
}

/* Sampled value of plane xp at plan entry s. */
#define DEFORM_CONV_SAMPLE(xp, s)                                                                  \
    ((s)->wt[0] * (xp)[(s)->at[0]] + (s)->wt[1] * (xp)[(s)->at[1]] +                               \
     (s)->wt[2] * (xp)[(s)->at[2]] + (s)->wt[3] * (xp)[(s)->at[3]])

/*
 * Group gi's columns of image x (float) for cols pixels, written straight
 * into the panels of the packed B the GEMM reads: row r of panel p holds
 * pixels [16 p, 16 p + 16), zero past cols.
 */
static void fill_columns_f32(const deform_conv_geom_t *g, const float *x, int64_t gi,
                             const deform_conv_sample_t *plan, int64_t cols, gemm_b_t *b,
                             int threads)
{
    const int64_t taps = g->kh * g->kw, rows = group_rows(g), per_og = g->c / g->offset_group;
    const int64_t panels = (cols + GEMM_B_PANEL - 1) / GEMM_B_PANEL, plane = g->h * g->w;

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t c = gi * (g->c / g->group) + r / taps, k = r % taps;
        const float *xp = x + c * plane;
        const deform_conv_sample_t *s = plan + ((c / per_og) * taps + k) * cols;
        for (int64_t p = 0; p < panels; p++) {
            float *dst = gemm_b_panel_mut(b, p) + r * GEMM_B_PANEL;
            const int64_t q0 = p * GEMM_B_PANEL;
            const int64_t n = cols - q0 < GEMM_B_PANEL ? cols - q0 : GEMM_B_PANEL;
            /* An empty plane (H or W 0, padded into an output) reads nothing: every tap is 0. */
            for (int64_t j = 0; j < n; j++)
                dst[j] = plane ? (float)DEFORM_CONV_SAMPLE(xp, &s[q0 + j]) : 0.0f;
            for (int64_t j = n; j < GEMM_B_PANEL; j++)
                dst[j] = 0;
        }
    }
}

/* Group gi's columns of image x (double), row-major [rows, cols] for dgemm. */
static void fill_columns_f64(const deform_conv_geom_t *g, const double *x, int64_t gi,
                             const deform_conv_sample_t *plan, int64_t cols, double *col,
                             int threads)
{
    const int64_t taps = g->kh * g->kw, rows = group_rows(g), per_og = g->c / g->offset_group;
    const int64_t plane = g->h * g->w;

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t c = gi * (g->c / g->group) + r / taps, k = r % taps;
        const double *xp = x + c * plane;
        const deform_conv_sample_t *s = plan + ((c / per_og) * taps + k) * cols;
        for (int64_t q = 0; q < cols; q++)
            col[r * cols + q] = plane ? DEFORM_CONV_SAMPLE(xp, &s[q]) : 0.0;
    }
}

/* y rows [o0, o0 + count) of image b, pixels [p0, p0 + cols): zero when k is 0, plus bias. */
static void finish_tile(const deform_conv_geom_t *g, dtype_t t, const void *bias, bool zero,
                        int64_t b, int64_t p0, int64_t cols, void *y)
{
    const int64_t pixels = g->oh * g->ow;

    for (int64_t o = 0; o < g->oc; o++) {
        const int64_t at = (b * g->oc + o) * pixels + p0;
        const double add = bias ? load(t, bias, o) : 0.0;
        for (int64_t q = 0; q < cols; q++) {
            if (t == DTYPE_FLOAT) {
                float *v = (float *)y + at + q;
                *v = (zero ? 0.0f : *v) + (float)add;
            } else {
                double *v = (double *)y + at + q;
                *v = (zero ? 0.0 : *v) + add;
            }
        }
    }
}

void deform_conv(const deform_conv_geom_t *g, dtype_t t, const void *x, const void *w,
                 const void *offset, const void *bias, const void *mask, void *y, void *workspace,
                 int threads)
{
    const int64_t pixels = g->oh * g->ow, rows = group_rows(g), ocg = g->oc / g->group;
    const size_t esize = dtype_size(t);
    deform_conv_sample_t *plan;

    if (g->n == 0 || g->oc == 0 || pixels == 0)
        return;
    plan = (deform_conv_sample_t *)((char *)workspace + align_up(columns_bytes(g, t, g->tile)));
    for (int64_t b = 0; b < g->n; b++) {
        const char *xb = (const char *)x + (size_t)(b * g->c * g->h * g->w) * esize;
        for (int64_t p0 = 0; p0 < pixels; p0 += g->tile) {
            const int64_t cols = pixels - p0 < g->tile ? pixels - p0 : g->tile;
            if (rows > 0)
                build_plan(g, t, offset, mask, b, p0, cols, plan, threads);
            for (int64_t gi = 0; gi < g->group && rows > 0; gi++) {
                const size_t y_at = (size_t)((b * g->oc + gi * ocg) * pixels + p0);
                if (t == DTYPE_FLOAT) {
                    gemm_b_t *cb = gemm_b_layout_into(workspace, rows, cols);
                    const gemm_a_t a = {.data = (const float *)w + gi * ocg * rows, .lda = rows};
                    fill_columns_f32(g, (const float *)xb, gi, plan, cols, cb, threads);
                    gemm_run(&a, ocg, cb, (float *)y + y_at, pixels, NULL, NULL, threads);
                } else {
                    double *col = workspace;
                    fill_columns_f64(g, (const double *)xb, gi, plan, cols, col, threads);
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)ocg, (int)cols,
                                (int)rows, 1.0, (const double *)w + gi * ocg * rows, (int)rows, col,
                                (int)cols, 0.0, (double *)y + y_at, (int)pixels);
                }
            }
            if (bias || rows == 0)
                finish_tile(g, t, bias, rows == 0, b, p0, cols, y);
        }
    }
}

status_t deform_conv_run(op_call_t *call, error_t *err)
{
    const tensor_t *const *in = call->inputs;
    const tensor_t *bias = call->n_inputs > 3 ? in[3] : NULL;
    const tensor_t *mask = call->n_inputs > 4 ? in[4] : NULL;
    deform_conv_geom_t g;
    status_t st = deform_conv_resolve(call, &g, NULL, err);

    if (st != STATUS_OK)
        return st;
    deform_conv(&g, in[0]->dtype, in[0]->data, in[1]->data, in[2]->data, bias ? bias->data : NULL,
                mask ? mask->data : NULL, call->outputs[0].data, call->workspace, call->threads);
    return STATUS_OK;
}
