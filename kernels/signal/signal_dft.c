/*
 * signal_dft.c - DFT: each 1-D signal along the axis is read into a
 * complex double buffer (zero-padded or cut to dft_length), transformed,
 * and written back with the axis holding dft_length or, onesided,
 * dft_length / 2 + 1 bins.
 */
#include "signal.h"

#include <assert.h>
#include <string.h>

/* The shapes of one DFT call; the prototype computed and checked them. */
typedef struct dft_geometry {
    int64_t outer, inner;  /* dims before the axis, and between it and the complex dim */
    int64_t in_len, in_ch; /* the signal's length along the axis, 1 (real) or 2 */
    int64_t n, out_len;    /* dft_length, and the bins kept */
} dft_geometry_t;

static double load(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static void store(dtype_t t, void *p, int64_t i, double v)
{
    if (t == DTYPE_FLOAT)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

static void dft_all(dtype_t t, const dft_geometry_t *g, const void *x, void *y, bool inverse,
                    double *scratch)
{
    signal_fft_t fft;
    double *buf = scratch + signal_fft_doubles(g->n);
    const int64_t used = g->in_len < g->n ? g->in_len : g->n;

    signal_fft_init(&fft, g->n, scratch);
    for (int64_t o = 0; o < g->outer; o++) {
        for (int64_t i = 0; i < g->inner; i++) {
            const int64_t in_base = o * g->in_len * g->inner + i;
            const int64_t out_base = o * g->out_len * g->inner + i;
            memset(buf, 0, 2 * (size_t)g->n * sizeof *buf);
            for (int64_t k = 0; k < used; k++) {
                const int64_t at = (in_base + k * g->inner) * g->in_ch;
                buf[2 * k] = load(t, x, at);
                buf[2 * k + 1] = g->in_ch == 2 ? load(t, x, at + 1) : 0.0;
            }
            signal_fft_run(&fft, buf, inverse);
            for (int64_t k = 0; k < g->out_len; k++) {
                const int64_t at = (out_base + k * g->inner) * 2;
                store(t, y, at, buf[2 * k]);
                store(t, y, at + 1, buf[2 * k + 1]);
            }
        }
    }
}

status_t dft_run(op_call_t *call, error_t *err)
{
    const signal_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *y = &call->outputs[0];
    dft_geometry_t g = {.outer = 1, .inner = 1, .in_ch = x->dims[x->rank - 1]};
    int axis;
    bool ok = signal_dft_axis(call, &axis);

    (void)err;
    assert(ok); /* checked by the prototype, which sees the axis input's value */
    (void)ok;
    for (int d = 0; d < axis; d++)
        g.outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank - 1; d++)
        g.inner *= x->dims[d];
    g.in_len = x->dims[axis];
    g.out_len = y->dims[axis];
    g.n = signal_dft_length(call);
    if (tensor_numel(y) == 0)
        return STATUS_OK;
    dft_all(x->dtype, &g, x->data, y->data, p->inverse, call->workspace);
    return STATUS_OK;
}
