/*
 * resize_sample.c - per-axis sample tables: coordinate transformation, then
 * the taps and weights of the interpolation at that coordinate.
 *
 * The tap layout follows the ONNX reference: with f = ceil(x) - 1 and
 * r = x - f in (0, 1], linear reads f and f + 1, cubic f - 1 .. f + 2, and
 * nearest picks f or f + 1. Indices outside the input read the edge.
 * Coordinates are computed in double like the reference, so rounding ties
 * fall the same way.
 */
#include "resize.h"

#include <assert.h>
#include <math.h>

int resize_taps(resize_mode_t mode)
{
    switch (mode) {
    case RESIZE_MODE_LINEAR:
        return 2;
    case RESIZE_MODE_CUBIC:
        return 4;
    default:
        return 1;
    }
}

/* Input coordinate of output index o; *outside for tf_crop_and_resize past the input. */
static double source_coord(const resize_config_t *c, const resize_axis_t *a, int64_t o,
                           bool *outside)
{
    const double x = (double)o, in = (double)a->in;
    double roi_len, v;

    *outside = false;
    switch (c->coord) {
    case RESIZE_COORD_ASYMMETRIC:
        return x / a->scale;
    case RESIZE_COORD_ALIGN_CORNERS:
        return a->out_width == 1.0 ? 0.0 : x * (in - 1.0) / (a->out_width - 1.0);
    case RESIZE_COORD_PYTORCH_HALF_PIXEL:
        return a->out_width == 1.0 ? 0.0 : (x + 0.5) / a->scale - 0.5;
    case RESIZE_COORD_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / a->scale;
    case RESIZE_COORD_TF_CROP_AND_RESIZE:
        roi_len = a->roi_end - a->roi_start;
        v = a->out_width == 1.0 ? roi_len * (in - 1.0) / 2.0
                                : x * roi_len * (in - 1.0) / (a->out_width - 1.0);
        v += a->roi_start * (in - 1.0);
        *outside = v < 0.0 || v > in - 1.0;
        return v;
    case RESIZE_COORD_HALF_PIXEL_SYMMETRIC:
        /* Half pixel, shifted so the rounding of the output size is shared by both ends. */
        v = in / 2.0 * (1.0 - (double)a->out / a->out_width);
        return v + (x + 0.5) / a->scale - 0.5;
    default:
        return (x + 0.5) / a->scale - 0.5;
    }
}

static int64_t clamp_index(int64_t i, int64_t n)
{
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* Offset (0: f, 1: f + 1) of the nearest tap for fraction r in (0, 1]. */
static int nearest_offset(resize_nearest_t mode, double r)
{
    if (r == 1.0)
        return 1;
    switch (mode) {
    case RESIZE_NEAREST_ROUND_PREFER_CEIL:
        return r >= 0.5;
    case RESIZE_NEAREST_FLOOR:
        return 0;
    case RESIZE_NEAREST_CEIL:
        return 1;
    default:
        return r > 0.5;
    }
}

/* Keys cubic convolution weights for taps f - 1 .. f + 2. */
static void cubic_weights(double a, double r, double *w)
{
    double s = r + 1.0, t = 1.0 - r, u = 2.0 - r;

    w[0] = ((a * s - 5.0 * a) * s + 8.0 * a) * s - 4.0 * a;
    w[1] = ((a + 2.0) * r - (a + 3.0)) * r * r + 1.0;
    w[2] = ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    w[3] = ((a * u - 5.0 * a) * u + 8.0 * a) * u - 4.0 * a;
}

static void fill_sample(const resize_config_t *c, const resize_axis_t *a, double x,
                        resize_sample_t *s)
{
    int64_t f = (int64_t)ceil(x) - 1;
    double r = x - (double)f, w[RESIZE_MAX_TAPS] = {0};
    int64_t first = f; /* unclamped index of tap 0 */
    int taps = resize_taps(c->mode);

    switch (c->mode) {
    case RESIZE_MODE_NEAREST:
        if (c->nearest == RESIZE_NEAREST_LEGACY)
            first = (int64_t)(a->scale < 1.0 ? ceil(x) : floor(x));
        else
            first = f + nearest_offset(c->nearest, r);
        w[0] = 1.0;
        break;
    case RESIZE_MODE_LINEAR:
        w[0] = 1.0 - r;
        w[1] = r;
        break;
    case RESIZE_MODE_CUBIC:
        first = f - 1;
        cubic_weights(c->cubic_coeff_a, r, w);
        if (c->exclude_outside) {
            double sum = 0.0;
            for (int t = 0; t < taps; t++) {
                if (first + t < 0 || first + t >= a->in)
                    w[t] = 0.0;
                sum += w[t];
            }
            for (int t = 0; t < taps && sum != 0.0; t++)
                w[t] /= sum;
        }
        break;
    }
    for (int t = 0; t < RESIZE_MAX_TAPS; t++) {
        s->index[t] = t < taps ? clamp_index(first + t, a->in) : 0;
        s->weight[t] = w[t];
    }
}

/* The antialias filters at distance x (in filter units) from the sample. */
static double antialias_filter(const resize_config_t *c, double x)
{
    const double a = c->cubic_coeff_a;

    x = fabs(x);
    if (c->mode == RESIZE_MODE_LINEAR)
        return x < 1.0 ? 1.0 - x : 0.0;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    return x < 2.0 ? ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a : 0.0;
}

/* Half the filter's width in input indices: stretched by 1 / scale when shrinking. */
static double antialias_support(const resize_config_t *c, const resize_axis_t *a)
{
    double half = c->mode == RESIZE_MODE_CUBIC ? 2.0 : 1.0;
    return a->scale < 1.0 ? half / a->scale : half;
}

int64_t resize_antialias_window(const resize_config_t *c, const resize_axis_t *a)
{
    double support = antialias_support(c, a);

    assert(c->antialias && c->mode != RESIZE_MODE_NEAREST);
    /* Bounded before converting: a tiny scale must fail the caller's size check, not overflow. */
    if (support > (double)TENSOR_MAX_ELEMENTS)
        support = (double)TENSOR_MAX_ELEMENTS;
    return 2 * (int64_t)ceil(support) + 1;
}

/*
 * One output's span. Taps run over [floor(center - support + 0.5),
 * floor(center + support + 0.5)) around center = coordinate + 0.5; those
 * outside the input are dropped (exclude_outside) or fold onto the edge tap
 * they would clamp to, and the weights are normalised to sum to 1.
 */
static void fill_span(const resize_config_t *c, const resize_axis_t *a, double x, resize_span_t *s,
                      double *w)
{
    const double support = antialias_support(c, a), center = x + 0.5;
    const double unit = a->scale < 1.0 ? a->scale : 1.0; /* input index -> filter distance */
    int64_t lo = (int64_t)floor(center - support + 0.5),
            hi = (int64_t)floor(center + support + 0.5);
    int64_t lo_in, hi_in;
    double total = 0.0;

    if (hi - lo > a->window)
        hi = lo + a->window;
    if (hi < lo)
        hi = lo;
    lo_in = lo < 0 ? 0 : lo > a->in ? a->in : lo;
    hi_in = hi < 0 ? 0 : hi > a->in ? a->in : hi;
    s->first = lo_in;
    s->count = hi_in - lo_in;
    for (int64_t t = 0; t < a->window; t++)
        w[t] = 0.0;
    if (s->count == 0)
        return;
    for (int64_t i = lo; i < hi; i++) {
        double v;
        if ((i < 0 || i >= a->in) && c->exclude_outside)
            continue;
        v = antialias_filter(c, ((double)i - center + 0.5) * unit);
        total += v;
        w[(i < lo_in ? lo_in : i >= hi_in ? hi_in - 1 : i) - lo_in] += v;
    }
    for (int64_t t = 0; t < s->count && total != 0.0; t++)
        w[t] /= total;
}

bool resize_axis_spans(const resize_config_t *c, const resize_axis_t *a, resize_span_t *spans,
                       double *weights)
{
    bool identity = a->in == a->out;

    assert(a->window > 0 && (a->in > 0 || a->out == 0));
    for (int64_t o = 0; o < a->out; o++) {
        resize_span_t *s = &spans[o];
        double *w = weights + o * a->window;
        double x = source_coord(c, a, o, &s->outside);

        if (s->outside) {
            *s = (resize_span_t){.outside = true};
            identity = false;
            continue;
        }
        fill_span(c, a, x, s, w);
        for (int64_t t = 0; t < s->count && identity; t++)
            identity = w[t] == 0.0 || (w[t] == 1.0 && s->first + t == o);
    }
    return identity;
}

bool resize_axis_samples(const resize_config_t *c, const resize_axis_t *a, resize_sample_t *samples)
{
    bool identity = a->in == a->out;
    int taps = resize_taps(c->mode);

    assert(a->in > 0 || a->out == 0);
    for (int64_t o = 0; o < a->out; o++) {
        resize_sample_t *s = &samples[o];
        double x = source_coord(c, a, o, &s->outside);

        if (s->outside) {
            /* x may be far out (any roi is allowed): no taps are read. */
            *s = (resize_sample_t){.outside = true};
            identity = false;
            continue;
        }
        fill_sample(c, a, x, s);
        for (int t = 0; t < taps && identity; t++)
            identity = s->weight[t] == 0.0 || (s->weight[t] == 1.0 && s->index[t] == o);
    }
    return identity;
}
