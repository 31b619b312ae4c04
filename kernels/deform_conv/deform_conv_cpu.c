/*
 * deform_conv_cpu.c - DeformConv: sampling plan, sampled columns, GEMM.
 *
 * A tap at point (x1, .., xn) reads 0 when any xd <= -1 or xd >= Dd;
 * otherwise it interpolates linearly along every axis between its 2^n
 * neighbours, those outside X reading 0, as ONNX Runtime and torchvision
 * do in 2-D. Coordinates and weights are double; the columns are in X's
 * dtype.
 */
#include "deform_conv.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gemm/gemm.h"

/* The workspace's columns are followed by the plan, which starts 64-byte aligned. */
#define DEFORM_CONV_ALIGN 64

/*
 * The sampling plan: per entry (offset group x kernel tap x output
 * position), the 2^n neighbours' weights (mask folded in), then their
 * indices in a channel's volume, side by side so that sampling reads one
 * stream. A neighbour outside X has index 0 and weight 0, so filling the
 * columns never branches.
 */
typedef struct deform_conv_plan {
    char *entries;
    int corners; /* 2^n */
} deform_conv_plan_t;

/* Bytes of one plan entry: 24, 48, 96 ... (2^n >= 2 corners), so its weights stay aligned. */
static size_t entry_bytes(int corners)
{
    return (size_t)corners * (sizeof(double) + sizeof(int32_t));
}

static double load(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static size_t align_up(size_t v)
{
    return (v + DEFORM_CONV_ALIGN - 1) / DEFORM_CONV_ALIGN * DEFORM_CONV_ALIGN;
}

static int64_t kernel_taps(const deform_conv_geom_t *g)
{
    return deform_conv_volume(g->kernel, g->spatial);
}

/* Rows of one group's columns (and the GEMM's k): C / group x kernel taps. */
static int64_t group_rows(const deform_conv_geom_t *g)
{
    return g->c / g->group * kernel_taps(g);
}

static size_t columns_bytes(const deform_conv_geom_t *g, dtype_t t, int64_t cols)
{
    return t == DTYPE_FLOAT ? gemm_b_pack_size(group_rows(g), cols)
                            : (size_t)(group_rows(g) * cols) * sizeof(double);
}

static size_t plan_bytes(const deform_conv_geom_t *g, int64_t cols)
{
    return (size_t)(g->offset_group * kernel_taps(g) * cols) * entry_bytes(1 << g->spatial);
}

void deform_conv_pick_tile(deform_conv_geom_t *g, dtype_t t)
{
    const int64_t positions = deform_conv_volume(g->out, g->spatial);
    const size_t per_position = columns_bytes(g, t, GEMM_B_PANEL) / GEMM_B_PANEL + plan_bytes(g, 1);
    int64_t tile = (int64_t)(DEFORM_CONV_TILE_BYTES / per_position) / GEMM_B_PANEL * GEMM_B_PANEL;

    /* At least one full panel, whatever the layer's width. */
    if (tile < GEMM_B_PANEL)
        tile = GEMM_B_PANEL;
    g->tile = positions < tile ? positions : tile;
}

size_t deform_conv_workspace_bytes(const deform_conv_geom_t *g, dtype_t t)
{
    if (g->tile == 0)
        return 0;
    return align_up(columns_bytes(g, t, g->tile)) + plan_bytes(g, g->tile);
}

/* The plan in a workspace sized by deform_conv_workspace_bytes. */
static deform_conv_plan_t plan_in(const deform_conv_geom_t *g, dtype_t t, void *workspace)
{
    return (deform_conv_plan_t){
        .entries = (char *)workspace + align_up(columns_bytes(g, t, g->tile)),
        .corners = 1 << g->spatial,
    };
}

/*
 * Fills the plan entry of the point at coord: corner k takes, along axis d, the lower
 * neighbour when bit (n - 1 - d) of k is 0 and the upper one when it is 1,
 * so in 2-D the corners are (y0, x0), (y0, x1), (y1, x0), (y1, x1).
 */
static inline void plan_sample(const deform_conv_geom_t *g, const int n, const double *coord,
                               double mask, char *entry)
{
    const int corners = 1 << n;
    double *wt = (double *)entry;
    int32_t *at = (int32_t *)(entry + (size_t)corners * sizeof(double));
    int64_t lo[DEFORM_CONV_MAX_SPATIAL];
    double frac[DEFORM_CONV_MAX_SPATIAL];

    for (int k = 0; k < corners; k++) {
        wt[k] = 0;
        at[k] = 0;
    }
    for (int d = 0; d < n; d++) {
        const double f = floor(coord[d]);
        /* Written so that NaN offsets count as outside too. */
        if (!(coord[d] > -1.0 && coord[d] < (double)g->in[d]))
            return;
        lo[d] = (int64_t)f;
        frac[d] = coord[d] - f;
    }
    for (int k = 0; k < corners; k++) {
        double w = 1;
        int64_t index = 0;
        bool inside = true;
        for (int d = 0; d < n; d++) {
            const int up = (k >> (n - 1 - d)) & 1;
            const int64_t i = lo[d] + up;
            inside = inside && i >= 0 && i < g->in[d];
            w *= up ? frac[d] : 1 - frac[d];
            index = index * g->in[d] + i;
        }
        if (inside) {
            at[k] = (int32_t)index;
            wt[k] = w * mask;
        }
    }
}

/*
 * Plan row `row` (an offset group and kernel tap) of image b for output
 * positions [p0, p0 + cols) of an n-D convolution; build_plan passes n as
 * a constant for 1-D, 2-D and 3-D, so the loops over the axes unroll.
 */
static inline void plan_row(const deform_conv_geom_t *g, const int n, dtype_t t, const void *offset,
                            const void *mask, int64_t b, int64_t row, int64_t p0, int64_t cols,
                            const deform_conv_plan_t *plan)
{
    const int64_t taps = kernel_taps(g), positions = deform_conv_volume(g->out, n);
    const int64_t rows = g->offset_group * taps;
    /* offset channels: per offset group, per tap, one per axis; mask: per group, per tap. */
    const int64_t off_at = (b * rows + row) * n * positions + p0;
    const int64_t m_at = (b * rows + row) * positions + p0;
    char *entry = plan->entries + (size_t)(row * cols) * entry_bytes(1 << n);
    int64_t base[DEFORM_CONV_MAX_SPATIAL], o[DEFORM_CONV_MAX_SPATIAL];
    int64_t tap = row % taps, rest = p0;
    double coord[DEFORM_CONV_MAX_SPATIAL];

    /* The tap's place in the kernel, and output position p0, split into axes. */
    for (int d = n - 1; d >= 0; d--) {
        base[d] = tap % g->kernel[d] * g->dilation[d] - g->pad[d];
        tap /= g->kernel[d];
        o[d] = rest % g->out[d];
        rest /= g->out[d];
    }
    for (int64_t q = 0; q < cols; q++) {
        for (int d = 0; d < n; d++)
            coord[d] = (double)(o[d] * g->stride[d] + base[d]) +
                       load(t, offset, off_at + d * positions + q);
        plan_sample(g, n, coord, mask ? load(t, mask, m_at + q) : 1.0, entry);
        entry += entry_bytes(1 << n);
        for (int d = n - 1; d >= 0 && ++o[d] == g->out[d]; d--)
            o[d] = 0;
    }
}

/*
 * The plan of image b for output positions [p0, p0 + cols): rows of cols
 * entries, one row per offset group and kernel tap (offset_group x taps).
 */
static void build_plan(const deform_conv_geom_t *g, dtype_t t, const void *offset, const void *mask,
                       int64_t b, int64_t p0, int64_t cols, const deform_conv_plan_t *plan,
                       int threads)
{
    const int64_t rows = g->offset_group * kernel_taps(g);

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t row = 0; row < rows; row++) {
        switch (g->spatial) {
        case 1:
            plan_row(g, 1, t, offset, mask, b, row, p0, cols, plan);
            break;
        case 2:
            plan_row(g, 2, t, offset, mask, b, row, p0, cols, plan);
            break;
        case 3:
            plan_row(g, 3, t, offset, mask, b, row, p0, cols, plan);
            break;
        default:
            plan_row(g, g->spatial, t, offset, mask, b, row, p0, cols, plan);
        }
    }
}

/*
 * dst[j] for count consecutive plan entries from `entries`: each the sum of
 * its corners' weights times X's volume xp (of type T) at their indices.
 * samples_<T> calls samples_<T>_n with corners a constant for 1-D, 2-D and
 * 3-D, so that the loop over the corners unrolls.
 */
#define DEFORM_CONV_DEFINE_SAMPLES(sfx, T)                                                         \
    static inline void samples_##sfx##_n(const T *xp, const char *entries, int64_t count,          \
                                         const int corners, T *dst)                                \
    {                                                                                              \
        for (int64_t j = 0; j < count; j++, entries += entry_bytes(corners)) {                     \
            const double *wt = (const double *)entries;                                            \
            const int32_t *at = (const int32_t *)(entries + (size_t)corners * sizeof(double));     \
            double v = 0;                                                                          \
            for (int k = 0; k < corners; k++)                                                      \
                v += wt[k] * xp[at[k]];                                                            \
            dst[j] = (T)v;                                                                         \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    static void samples_##sfx(const T *xp, const char *entries, int64_t count, int corners,        \
                              T *dst)                                                              \
    {                                                                                              \
        switch (corners) {                                                                         \
        case 2:                                                                                    \
            samples_##sfx##_n(xp, entries, count, 2, dst);                                         \
            break;                                                                                 \
        case 4:                                                                                    \
            samples_##sfx##_n(xp, entries, count, 4, dst);                                         \
            break;                                                                                 \
        case 8:                                                                                    \
            samples_##sfx##_n(xp, entries, count, 8, dst);                                         \
            break;                                                                                 \
        default:                                                                                   \
            samples_##sfx##_n(xp, entries, count, corners, dst);                                   \
        }                                                                                          \
    }

DEFORM_CONV_DEFINE_SAMPLES(f32, float)
DEFORM_CONV_DEFINE_SAMPLES(f64, double)

/*
 * Group gi's columns of image x (float) for cols positions, written straight
 * into the panels of the packed B the GEMM reads: row r of panel p holds
 * positions [16 p, 16 p + 16), zero past cols.
 */
static void fill_columns_f32(const deform_conv_geom_t *g, const float *x, int64_t gi,
                             const deform_conv_plan_t *plan, int64_t cols, gemm_b_t *b, int threads)
{
    const int64_t taps = kernel_taps(g), rows = group_rows(g), per_og = g->c / g->offset_group;
    const int64_t panels = (cols + GEMM_B_PANEL - 1) / GEMM_B_PANEL;
    const int64_t volume = deform_conv_volume(g->in, g->spatial);
    const int corners = plan->corners;

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t c = gi * (g->c / g->group) + r / taps, k = r % taps;
        const float *xp = x + c * volume;
        const char *row =
            plan->entries + (size_t)(((c / per_og) * taps + k) * cols) * entry_bytes(corners);
        for (int64_t p = 0; p < panels; p++) {
            float *dst = gemm_b_panel_mut(b, p) + r * GEMM_B_PANEL;
            const int64_t q0 = p * GEMM_B_PANEL;
            const int64_t n = cols - q0 < GEMM_B_PANEL ? cols - q0 : GEMM_B_PANEL;
            /* An empty volume (an axis of 0, padded into an output) reads nothing: all 0. */
            if (volume)
                samples_f32(xp, row + (size_t)q0 * entry_bytes(corners), n, corners, dst);
            for (int64_t j = volume ? n : 0; j < GEMM_B_PANEL; j++)
                dst[j] = 0;
        }
    }
}

/* Group gi's columns of image x (double), row-major [rows, cols] for dgemm. */
static void fill_columns_f64(const deform_conv_geom_t *g, const double *x, int64_t gi,
                             const deform_conv_plan_t *plan, int64_t cols, double *col, int threads)
{
    const int64_t taps = kernel_taps(g), rows = group_rows(g), per_og = g->c / g->offset_group;
    const int64_t volume = deform_conv_volume(g->in, g->spatial);
    const int corners = plan->corners;

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t c = gi * (g->c / g->group) + r / taps, k = r % taps;
        const double *xp = x + c * volume;
        const char *row =
            plan->entries + (size_t)(((c / per_og) * taps + k) * cols) * entry_bytes(corners);
        if (volume)
            samples_f64(xp, row, cols, corners, col + r * cols);
        else
            memset(col + r * cols, 0, (size_t)cols * sizeof *col);
    }
}

/* Y of image b at positions [p0, p0 + cols): zero when k is 0, plus bias. */
static void finish_tile(const deform_conv_geom_t *g, dtype_t t, const void *bias, bool zero,
                        int64_t b, int64_t p0, int64_t cols, void *y)
{
    const int64_t positions = deform_conv_volume(g->out, g->spatial);

    for (int64_t o = 0; o < g->oc; o++) {
        const int64_t at = (b * g->oc + o) * positions + p0;
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
    const int64_t positions = deform_conv_volume(g->out, g->spatial);
    const int64_t rows = group_rows(g), ocg = g->oc / g->group;
    const size_t esize = dtype_size(t);
    deform_conv_plan_t plan;

    if (g->n == 0 || g->oc == 0 || positions == 0)
        return;
    plan = plan_in(g, t, workspace);
    for (int64_t b = 0; b < g->n; b++) {
        const char *xb =
            (const char *)x + (size_t)(b * g->c * deform_conv_volume(g->in, g->spatial)) * esize;
        for (int64_t p0 = 0; p0 < positions; p0 += g->tile) {
            const int64_t cols = positions - p0 < g->tile ? positions - p0 : g->tile;
            if (rows > 0)
                build_plan(g, t, offset, mask, b, p0, cols, &plan, threads);
            for (int64_t gi = 0; gi < g->group && rows > 0; gi++) {
                const size_t y_at = (size_t)((b * g->oc + gi * ocg) * positions + p0);
                if (t == DTYPE_FLOAT) {
                    gemm_b_t *cb = gemm_b_layout_into(workspace, rows, cols);
                    const gemm_a_t a = {.data = (const float *)w + gi * ocg * rows, .lda = rows};
                    fill_columns_f32(g, (const float *)xb, gi, &plan, cols, cb, threads);
                    gemm_run(&a, ocg, cb, (float *)y + y_at, positions, NULL, NULL, threads);
                } else {
                    double *col = workspace;
                    fill_columns_f64(g, (const double *)xb, gi, &plan, cols, col, threads);
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)ocg, (int)cols,
                                (int)rows, 1.0, (const double *)w + gi * ocg * rows, (int)rows, col,
                                (int)cols, 0.0, (double *)y + y_at, (int)positions);
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
