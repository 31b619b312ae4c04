/*
 * grid_sample_cpu.c - GridSample. Per output point, each coordinate is
 * unnormalised and (for linear and nearest) mapped into the input by the
 * padding mode; cubic instead maps each of its 4 x 4 taps. Taps outside
 * the input read 0 (only zeros padding leaves any there). Arithmetic is
 * double, whatever the types of X (any) and grid (float or double).
 */
#include "grid_sample.h"

#include <math.h>

/* Element i of p as a double: X may be any T1 type, grid float or double (T2). */
static double load(dtype_t t, const void *p, int64_t i)
{
    switch (t) {
    case DTYPE_FLOAT:
        return ((const float *)p)[i];
    case DTYPE_DOUBLE:
        return ((const double *)p)[i];
    case DTYPE_INT8:
        return ((const int8_t *)p)[i];
    case DTYPE_INT16:
        return ((const int16_t *)p)[i];
    case DTYPE_INT32:
        return ((const int32_t *)p)[i];
    case DTYPE_INT64:
        return (double)((const int64_t *)p)[i];
    case DTYPE_UINT8:
        return ((const uint8_t *)p)[i];
    case DTYPE_UINT16:
        return ((const uint16_t *)p)[i];
    case DTYPE_UINT32:
        return ((const uint32_t *)p)[i];
    case DTYPE_UINT64:
        return (double)((const uint64_t *)p)[i];
    case DTYPE_BOOL:
        return ((const bool *)p)[i] ? 1.0 : 0.0;
    default:
        return 0.0;
    }
}

/* v clamped into [lo, hi] and truncated toward zero; NaN gives 0. */
static double to_range(double v, double lo, double hi)
{
    return !(v == v) ? 0.0 : v < lo ? lo : v > hi ? hi : trunc(v);
}

/*
 * Stores v in Y's type (T1). Nearest moves values exactly; linear and cubic
 * on an integer X truncate toward zero as ONNX's reference does when it
 * writes float samples into an integer array, saturating at the type's
 * range; bool is true for a nonzero sample.
 */
static void store(dtype_t t, void *p, int64_t i, double v)
{
    switch (t) {
    case DTYPE_FLOAT:
        ((float *)p)[i] = (float)v;
        break;
    case DTYPE_DOUBLE:
        ((double *)p)[i] = v;
        break;
    case DTYPE_INT8:
        ((int8_t *)p)[i] = (int8_t)to_range(v, INT8_MIN, INT8_MAX);
        break;
    case DTYPE_INT16:
        ((int16_t *)p)[i] = (int16_t)to_range(v, INT16_MIN, INT16_MAX);
        break;
    case DTYPE_INT32:
        ((int32_t *)p)[i] = (int32_t)to_range(v, INT32_MIN, INT32_MAX);
        break;
    case DTYPE_INT64: /* the largest double below 2^63 */
        ((int64_t *)p)[i] = (int64_t)to_range(v, -0x1p63, 0x1.fffffffffffffp62);
        break;
    case DTYPE_UINT8:
        ((uint8_t *)p)[i] = (uint8_t)to_range(v, 0, UINT8_MAX);
        break;
    case DTYPE_UINT16:
        ((uint16_t *)p)[i] = (uint16_t)to_range(v, 0, UINT16_MAX);
        break;
    case DTYPE_UINT32:
        ((uint32_t *)p)[i] = (uint32_t)to_range(v, 0, UINT32_MAX);
        break;
    case DTYPE_UINT64:
        ((uint64_t *)p)[i] = (uint64_t)to_range(v, 0, 0x1.fffffffffffffp63);
        break;
    case DTYPE_BOOL:
        ((bool *)p)[i] = v != 0.0;
        break;
    default:
        break;
    }
}

static double unnormalize(double coord, int64_t size, bool align_corners)
{
    return align_corners ? (coord + 1) / 2 * (double)(size - 1)
                         : ((coord + 1) * (double)size - 1) / 2;
}

/* Reflects coord into [twice_low / 2, twice_high / 2] (PyTorch's reflect_coordinates). */
static double reflect(double coord, double twice_low, double twice_high)
{
    const double min = twice_low / 2, span = (twice_high - twice_low) / 2;
    double extra, flips;

    if (twice_low == twice_high)
        return 0;
    coord = fabs(coord - min);
    extra = fmod(coord, span);
    flips = floor(coord / span);
    return fmod(flips, 2) == 0 ? extra + min : span - extra + min;
}

/* Applies border or reflection padding to an unnormalised coordinate. */
static double pad_coordinate(const grid_sample_params_t *p, double coord, int64_t size)
{
    if (p->padding == GRID_SAMPLE_REFLECTION) {
        coord = p->align_corners ? reflect(coord, 0, 2 * (double)(size - 1))
                                 : reflect(coord, -1, 2 * (double)size - 1);
    }
    if (p->padding != GRID_SAMPLE_ZEROS) {
        /* NaN (an out-of-range grid value) becomes the low edge rather than an index. */
        coord = !(coord > 0) ? 0 : coord > (double)(size - 1) ? (double)(size - 1) : coord;
    }
    return coord;
}

/* x[plane + index] where every coordinate is inside, else 0. */
static double tap(dtype_t t, const void *x, int64_t plane, int r, const int64_t *in,
                  const int64_t *at)
{
    int64_t off = 0;

    for (int d = 0; d < r; d++) {
        if (at[d] < 0 || at[d] >= in[d])
            return 0;
        off = off * in[d] + at[d];
    }
    return load(t, x, plane + off);
}

static void cubic_weights(double t, double w[4])
{
    const double a = -0.75;

    w[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
    w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    w[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
    w[3] = 1 - w[0] - w[1] - w[2];
}

/* One channel plane sampled at coordinates coord[r] (dim order, unnormalised). */
static double sample(const grid_sample_params_t *p, const grid_sample_shape_t *s, dtype_t t,
                     const void *x, int64_t plane, const double *coord)
{
    int64_t at[GRID_SAMPLE_MAX_SPATIAL];

    if (p->mode == GRID_SAMPLE_NEAREST) {
        for (int d = 0; d < s->r; d++) {
            const double c = nearbyint(pad_coordinate(p, coord[d], s->in[d]));
            /* Beyond any index: read as outside (0) instead of converting. */
            at[d] = fabs(c) < 1e18 ? (int64_t)c : -1;
        }
        return tap(t, x, plane, s->r, s->in, at);
    }
    if (p->mode == GRID_SAMPLE_LINEAR) {
        double c[GRID_SAMPLE_MAX_SPATIAL], sum = 0;
        int64_t base[GRID_SAMPLE_MAX_SPATIAL];
        for (int d = 0; d < s->r; d++) {
            c[d] = pad_coordinate(p, coord[d], s->in[d]);
            if (!(fabs(c[d]) < 1e18))
                return 0;
            base[d] = (int64_t)floor(c[d]);
        }
        for (int corner = 0; corner < (1 << s->r); corner++) {
            double w = 1;
            for (int d = 0; d < s->r; d++) {
                const int bit = corner >> (s->r - 1 - d) & 1;
                const double frac = c[d] - (double)base[d];
                at[d] = base[d] + bit;
                w *= bit ? frac : 1 - frac;
            }
            if (w != 0)
                sum += w * tap(t, x, plane, s->r, s->in, at);
        }
        return sum;
    }
    /* Cubic (2-D): the padding applies to each tap's coordinate. */
    {
        double wy[4], wx[4], sum = 0;
        int64_t y0, x0;
        if (!(fabs(coord[0]) < 1e18 && fabs(coord[1]) < 1e18))
            return 0;
        y0 = (int64_t)floor(coord[0]);
        x0 = (int64_t)floor(coord[1]);
        cubic_weights(coord[0] - (double)y0, wy);
        cubic_weights(coord[1] - (double)x0, wx);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double cy = (double)(y0 - 1 + i), cx = (double)(x0 - 1 + j);
                if (p->padding != GRID_SAMPLE_ZEROS) {
                    cy = pad_coordinate(p, cy, s->in[0]);
                    cx = pad_coordinate(p, cx, s->in[1]);
                }
                at[0] = (int64_t)cy;
                at[1] = (int64_t)cx;
                sum += wy[i] * wx[j] * tap(t, x, plane, 2, s->in, at);
            }
        }
        return sum;
    }
}

void grid_sample(const grid_sample_params_t *p, const grid_sample_shape_t *s, dtype_t t,
                 const void *x, dtype_t grid_type, const void *grid, void *y)
{
    int64_t in_plane = 1, out_plane = 1;

    for (int d = 0; d < s->r; d++) {
        in_plane *= s->in[d];
        out_plane *= s->out[d];
    }
    for (int64_t n = 0; n < s->n; n++) {
        for (int64_t o = 0; o < out_plane; o++) {
            double coord[GRID_SAMPLE_MAX_SPATIAL];
            const int64_t g = (n * out_plane + o) * s->r;
            /* Grid component j indexes spatial dim r - 1 - j. */
            for (int j = 0; j < s->r; j++)
                coord[s->r - 1 - j] = unnormalize(load(grid_type, grid, g + j), s->in[s->r - 1 - j],
                                                  p->align_corners);
            for (int64_t c = 0; c < s->c; c++)
                store(t, y, (n * s->c + c) * out_plane + o,
                      sample(p, s, t, x, (n * s->c + c) * in_plane, coord));
        }
    }
}

status_t grid_sample_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *y = &call->outputs[0];
    grid_sample_shape_t s = {.r = x->rank - 2, .n = x->dims[0], .c = x->dims[1]};

    (void)err;
    for (int d = 0; d < s.r; d++) {
        s.in[d] = x->dims[2 + d];
        s.out[d] = y->dims[2 + d];
    }
    grid_sample(call->params, &s, x->dtype, x->data, call->inputs[1]->dtype, call->inputs[1]->data,
                y->data);
    return STATUS_OK;
}
