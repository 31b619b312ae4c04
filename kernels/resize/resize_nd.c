/*
 * resize_nd.c - N-D resize as a chain of 1-D passes.
 *
 * Shrinking axes go first and growing ones last, so no intermediate tensor
 * is larger than the bigger of input and output. Workspace layout: the
 * sample tables of every axis, then two ping-pong buffers for the
 * intermediates.
 */
#include "resize.h"

#include <assert.h>
#include <string.h>

/* Alignment of each workspace region, enough for any element type. */
#define RESIZE_ALIGN 64

static size_t align_up(size_t n)
{
    return (n + RESIZE_ALIGN - 1) / RESIZE_ALIGN * RESIZE_ALIGN;
}

/* Axes in pass order: shrinking ones, then the rest. Returns the count. */
static int pass_order(const resize_geom_t *g, int *order)
{
    int n = 0;
    for (int a = 0; a < g->rank; a++)
        if (g->axis[a].out < g->axis[a].in)
            order[n++] = a;
    for (int a = 0; a < g->rank; a++)
        if (g->axis[a].out >= g->axis[a].in)
            order[n++] = a;
    return n;
}

/* Elements of the largest intermediate: the tensor after each pass but the last. */
static int64_t largest_stage(const resize_geom_t *g)
{
    int order[TENSOR_MAX_RANK];
    int64_t dims[TENSOR_MAX_RANK], best = 0;
    int n = pass_order(g, order);

    for (int a = 0; a < g->rank; a++)
        dims[a] = g->axis[a].in;
    for (int p = 0; p + 1 < n; p++) {
        int64_t numel = 1;
        dims[order[p]] = g->axis[order[p]].out;
        for (int a = 0; a < g->rank; a++)
            numel *= dims[a];
        best = numel > best ? numel : best;
    }
    return best;
}

/* One axis's table: samples, or (antialias) spans then their weight rows. */
static size_t axis_table_bytes(const resize_axis_t *a)
{
    if (a->window > 0)
        return align_up((size_t)a->out * sizeof(resize_span_t)) +
               align_up((size_t)(a->out * a->window) * sizeof(double));
    return align_up((size_t)a->out * sizeof(resize_sample_t));
}

static size_t samples_bytes(const resize_geom_t *g)
{
    size_t n = 0;
    for (int a = 0; a < g->rank; a++)
        n += axis_table_bytes(&g->axis[a]);
    return n;
}

size_t resize_workspace(const resize_geom_t *g)
{
    return samples_bytes(g) + 2 * align_up((size_t)largest_stage(g) * g->elem_size);
}

static void pass_nearest(const resize_sample_t *s, int64_t outer, int64_t in, int64_t out,
                         int64_t inner, size_t elem, const void *extrapolation, const char *x,
                         char *y)
{
    const size_t row = (size_t)inner * elem;

    for (int64_t b = 0; b < outer; b++) {
        const char *src = x + (size_t)(b * in) * row;
        char *dst = y + (size_t)(b * out) * row;
        for (int64_t o = 0; o < out; o++, dst += row) {
            if (s[o].outside) {
                for (int64_t i = 0; i < inner; i++)
                    memcpy(dst + (size_t)i * elem, extrapolation, elem);
            } else if (row == sizeof(uint32_t)) {
                /* The innermost axis of a float tensor: a word copy, not a memcpy call. */
                uint32_t v;
                memcpy(&v, src + (size_t)s[o].index[0] * row, sizeof v);
                memcpy(dst, &v, sizeof v);
            } else {
                memcpy(dst, src + (size_t)s[o].index[0] * row, row);
            }
        }
    }
}

/*
 * The interpolating passes, one pair per real type T (suffix sfx): taps from
 * a sample table, or (antialias) a span of weights. The tables hold double
 * weights; a float pass rounds each weight to float once per output row.
 */
#define RESIZE_DEFINE_PASSES(sfx, T)                                                               \
    static void pass_##sfx(const resize_sample_t *s, int taps, int64_t outer, int64_t in,          \
                           int64_t out, int64_t inner, T extrapolation, const T *x, T *y)          \
    {                                                                                              \
        for (int64_t b = 0; b < outer; b++) {                                                      \
            const T *src = x + b * in * inner;                                                     \
            T *dst = y + b * out * inner;                                                          \
            for (int64_t o = 0; o < out; o++, dst += inner) {                                      \
                const resize_sample_t *so = &s[o];                                                 \
                if (so->outside) {                                                                 \
                    for (int64_t i = 0; i < inner; i++)                                            \
                        dst[i] = extrapolation;                                                    \
                } else if (inner == 1) {                                                           \
                    T v = 0;                                                                       \
                    for (int t = 0; t < taps; t++)                                                 \
                        v += (T)so->weight[t] * src[so->index[t]];                                 \
                    dst[0] = v;                                                                    \
                } else {                                                                           \
                    const T *r0 = src + so->index[0] * inner;                                      \
                    const T w0 = (T)so->weight[0];                                                 \
                    for (int64_t i = 0; i < inner; i++)                                            \
                        dst[i] = w0 * r0[i];                                                       \
                    for (int t = 1; t < taps; t++) {                                               \
                        const T *rt = src + so->index[t] * inner;                                  \
                        const T w = (T)so->weight[t];                                              \
                        for (int64_t i = 0; i < inner; i++)                                        \
                            dst[i] += w * rt[i];                                                   \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* An antialiased axis: each output a weighted sum over its span. */                           \
    static void pass_span_##sfx(const resize_span_t *s, const double *weights, int64_t window,     \
                                int64_t outer, int64_t in, int64_t out, int64_t inner,             \
                                T extrapolation, const T *x, T *y)                                 \
    {                                                                                              \
        for (int64_t b = 0; b < outer; b++) {                                                      \
            const T *src = x + b * in * inner;                                                     \
            T *dst = y + b * out * inner;                                                          \
            for (int64_t o = 0; o < out; o++, dst += inner) {                                      \
                const resize_span_t *so = &s[o];                                                   \
                const double *w = weights + o * window;                                            \
                for (int64_t i = 0; i < inner; i++)                                                \
                    dst[i] = so->outside ? extrapolation : (T)0;                                   \
                for (int64_t t = 0; t < so->count; t++) {                                          \
                    const T *rt = src + (so->first + t) * inner;                                   \
                    const T wt = (T)w[t];                                                          \
                    for (int64_t i = 0; i < inner; i++)                                            \
                        dst[i] += wt * rt[i];                                                      \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

RESIZE_DEFINE_PASSES(f32, float)
RESIZE_DEFINE_PASSES(f64, double)

/* Runs the interpolating pass of one axis on float or double data (elem_size 4 or 8). */
static void pass_real(const resize_config_t *c, const resize_geom_t *g, int a, const void *table,
                      int64_t outer, int64_t in, int64_t inner, const void *extrapolation,
                      const void *x, void *y)
{
    const resize_axis_t *ax = &g->axis[a];
    const double *weights = NULL; /* antialias: the rows after the spans */

    if (ax->window > 0)
        weights = (const double *)((const char *)table +
                                   align_up((size_t)ax->out * sizeof(resize_span_t)));
    if (g->elem_size == sizeof(double)) {
        const double e = *(const double *)extrapolation;
        if (weights)
            pass_span_f64(table, weights, ax->window, outer, in, ax->out, inner, e, x, y);
        else
            pass_f64(table, resize_taps(c->mode), outer, in, ax->out, inner, e, x, y);
    } else {
        const float e = *(const float *)extrapolation;
        if (weights)
            pass_span_f32(table, weights, ax->window, outer, in, ax->out, inner, e, x, y);
        else
            pass_f32(table, resize_taps(c->mode), outer, in, ax->out, inner, e, x, y);
    }
}

void resize_nd(const resize_config_t *c, const resize_geom_t *g, const void *extrapolation,
               const void *x, void *y, void *workspace)
{
    void *tables[TENSOR_MAX_RANK];
    char *next = workspace;
    char *buf[2];
    bool skip[TENSOR_MAX_RANK];
    int order[TENSOR_MAX_RANK], passes = 0, n = pass_order(g, order);
    int64_t dims[TENSOR_MAX_RANK];
    const void *src = x;

    assert(c->mode == RESIZE_MODE_NEAREST || g->elem_size == sizeof(float) ||
           g->elem_size == sizeof(double));
    buf[0] = (char *)workspace + samples_bytes(g);
    buf[1] = buf[0] + align_up((size_t)largest_stage(g) * g->elem_size);
    for (int a = 0; a < g->rank; a++) {
        const resize_axis_t *ax = &g->axis[a];
        tables[a] = next;
        if (ax->window > 0)
            skip[a] = resize_axis_spans(
                c, ax, tables[a],
                (double *)(next + align_up((size_t)ax->out * sizeof(resize_span_t))));
        else
            skip[a] = resize_axis_samples(c, ax, tables[a]);
        next += axis_table_bytes(ax);
        dims[a] = g->axis[a].in;
        passes += !skip[a];
    }
    for (int p = 0; p < n; p++) {
        int a = order[p];
        int64_t outer = 1, inner = 1;
        void *dst;

        if (skip[a])
            continue;
        dst = --passes == 0 ? y : buf[passes % 2];
        for (int i = 0; i < a; i++)
            outer *= dims[i];
        for (int i = a + 1; i < g->rank; i++)
            inner *= dims[i];
        if (c->mode == RESIZE_MODE_NEAREST)
            pass_nearest(tables[a], outer, dims[a], g->axis[a].out, inner, g->elem_size,
                         extrapolation, src, dst);
        else
            pass_real(c, g, a, tables[a], outer, dims[a], inner, extrapolation, src, dst);
        dims[a] = g->axis[a].out;
        src = dst;
    }
    if (src == x) {
        /* Every axis is an identity. */
        int64_t numel = 1;
        for (int a = 0; a < g->rank; a++)
            numel *= dims[a];
        memcpy(y, x, (size_t)numel * g->elem_size);
    }
}
