/*
 * Unit tests of DeformConv: the framework-free deform_conv against a
 * float64 loop written straight from the spec's formula (each tap of each
 * output position sampled, linearly along every axis, at its regular
 * position plus its offset, scaled by its mask), in 1-D, 2-D and 3-D, over
 * strides, dilations, uneven pads, groups and offset groups, in float and
 * double, on one and two threads, with the workspace's tile at its natural
 * size and forced down to one panel (16 positions), so that tiling and the
 * panel tails are covered; then the op through the registry, and its
 * refusals.
 */
#include "deform_conv/deform_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"
#include "op_harness.h"

/* Up to 3 spatial axes here; in[] etc. hold spatial values, pads 2 x spatial. */
typedef struct dc_case {
    int spatial;
    int64_t n, c, oc, group, offset_group;
    int64_t in[3], k[3], stride[3], dilation[3], pads[6];
    bool bias, mask;
} dc_case_t;

/*
 * Volume v (extents in[0..n)) at point p, interpolated linearly along each
 * axis between the neighbours floor(p) and floor(p) + 1, those outside
 * reading 0, as the spec's linear interpolation of fractional offsets.
 * Recursive over the axes: axis d's two neighbours weigh the rest.
 */
static double ref_sample(const double *v, int n, const int64_t *in, const double *p)
{
    double f, acc = 0;

    if (n == 0)
        return v[0];
    if (!(p[0] > -1 && p[0] < (double)in[0]))
        return 0;
    f = floor(p[0]);
    for (int up = 0; up < 2; up++) {
        const int64_t i = (int64_t)f + up;
        const double w = up ? p[0] - f : 1 - (p[0] - f);
        if (i >= 0 && i < in[0])
            acc += w * ref_sample(v + i * deform_conv_volume(in + 1, n - 1), n - 1, in + 1, p + 1);
    }
    return acc;
}

/* Splits index i of a row-major volume of extents dims[0..n) into idx. */
static void unflatten(int64_t i, int n, const int64_t *dims, int64_t *idx)
{
    for (int d = n - 1; d >= 0; d--) {
        idx[d] = i % dims[d];
        i /= dims[d];
    }
}

/* Y by the spec's formula, one output element at a time, in double. */
static void reference(const deform_conv_geom_t *g, const double *x, const double *wt,
                      const double *off, const double *bias, const double *mask, double *y)
{
    const int n = g->spatial;
    const int64_t icg = g->c / g->group, ocg = g->oc / g->group, per_og = g->c / g->offset_group;
    const int64_t taps = deform_conv_volume(g->kernel, n),
                  positions = deform_conv_volume(g->out, n);
    const int64_t volume = deform_conv_volume(g->in, n);

    for (int64_t b = 0; b < g->n; b++)
        for (int64_t o = 0; o < g->oc; o++)
            for (int64_t p = 0; p < positions; p++) {
                int64_t op[3], kp[3];
                double acc = bias ? bias[o] : 0;
                unflatten(p, n, g->out, op);
                for (int64_t cg = 0; cg < icg; cg++) {
                    const int64_t c = o / ocg * icg + cg, og = c / per_og;
                    for (int64_t k = 0; k < taps; k++) {
                        const int64_t ch = (b * g->offset_group + og) * taps + k;
                        const double m = mask ? mask[ch * positions + p] : 1;
                        double at[3];
                        unflatten(k, n, g->kernel, kp);
                        for (int d = 0; d < n; d++)
                            at[d] = (double)(op[d] * g->stride[d] - g->pad[d] +
                                             kp[d] * g->dilation[d]) +
                                    off[(ch * n + d) * positions + p];
                        acc += wt[(o * icg + cg) * taps + k] * m *
                               ref_sample(x + (b * g->c + c) * volume, n, g->in, at);
                    }
                }
                y[(b * g->oc + o) * positions + p] = acc;
            }
}

static double *random_doubles(int64_t n, double scale, double shift, unsigned seed)
{
    float *f = harness_random_floats(n, seed);
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);

    for (int64_t i = 0; i < n; i++)
        d[i] = f[i] * scale + shift;
    free(f);
    return d;
}

static void *as_dtype(dtype_t t, const double *v, int64_t n)
{
    void *out = malloc((size_t)(n > 0 ? n : 1) * dtype_size(t));

    for (int64_t i = 0; i < n; i++) {
        if (t == DTYPE_FLOAT)
            ((float *)out)[i] = (float)v[i];
        else
            ((double *)out)[i] = v[i];
    }
    return out;
}

static deform_conv_geom_t geom_of(const dc_case_t *k)
{
    deform_conv_geom_t g = {
        .spatial = k->spatial,
        .n = k->n,
        .c = k->c,
        .oc = k->oc,
        .group = k->group,
        .offset_group = k->offset_group,
    };

    for (int d = 0; d < k->spatial; d++) {
        g.in[d] = k->in[d];
        g.kernel[d] = k->k[d];
        g.stride[d] = k->stride[d];
        g.dilation[d] = k->dilation[d];
        g.pad[d] = k->pads[d];
        g.out[d] =
            (k->in[d] + k->pads[d] + k->pads[k->spatial + d] - (k->k[d] - 1) * k->dilation[d] - 1) /
                k->stride[d] +
            1;
    }
    return g;
}

static void run_case(const dc_case_t *k, unsigned seed)
{
    deform_conv_geom_t g = geom_of(k);
    const int n = g.spatial;
    const int64_t positions = deform_conv_volume(g.out, n), taps = deform_conv_volume(g.kernel, n);
    const int64_t nx = g.n * g.c * deform_conv_volume(g.in, n), nw = g.oc * (g.c / g.group) * taps;
    const int64_t nm = g.n * g.offset_group * taps * positions, noff = nm * n;
    const int64_t ny = g.n * g.oc * positions;
    double *x = random_doubles(nx, 1, 0, seed), *wt = random_doubles(nw, 1, 0, seed + 1);
    /* Offsets up to 3 elements either way: many taps land outside X or on its edge. */
    double *off = random_doubles(noff, 3, 0, seed + 2);
    double *bias = k->bias ? random_doubles(g.oc, 1, 0, seed + 3) : NULL;
    double *mask = k->mask ? random_doubles(nm, 0.5, 0.5, seed + 4) : NULL;
    double *want = malloc((size_t)ny * sizeof *want);
    static const dtype_t dtypes[] = {DTYPE_FLOAT, DTYPE_DOUBLE};

    reference(&g, x, wt, off, bias, mask, want);
    for (size_t di = 0; di < sizeof dtypes / sizeof dtypes[0]; di++) {
        const dtype_t t = dtypes[di];
        void *xt = as_dtype(t, x, nx), *wtt = as_dtype(t, wt, nw), *offt = as_dtype(t, off, noff);
        void *bt = bias ? as_dtype(t, bias, g.oc) : NULL, *mt = mask ? as_dtype(t, mask, nm) : NULL;
        const double tol = t == DTYPE_FLOAT ? 1e-4 : 1e-11;
        for (int forced = 0; forced < 2; forced++) {
            for (int threads = 1; threads <= 2; threads++) {
                size_t bytes;
                void *ws, *y;
                double worst = 0;
                deform_conv_pick_tile(&g, t);
                if (forced && g.tile > GEMM_B_PANEL)
                    g.tile = GEMM_B_PANEL;
                bytes = deform_conv_workspace_bytes(&g, t);
                ws = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
                y = malloc((size_t)ny * dtype_size(t));
                deform_conv(&g, t, xt, wtt, offt, bt, mt, y, ws, threads);
                for (int64_t i = 0; i < ny; i++) {
                    const double v = t == DTYPE_FLOAT ? ((float *)y)[i] : ((double *)y)[i];
                    const double e = fabs(v - want[i]) / (1 + fabs(want[i]));
                    worst = e > worst || isnan(e) ? e : worst;
                }
                if (!(worst <= tol))
                    fprintf(stderr,
                            "case %d-D in [%lld %lld %lld] c %lld oc %lld k [%lld %lld %lld] "
                            "group %lld og %lld: %s tile %lld threads %d: worst relative error "
                            "%g\n",
                            n, (long long)g.in[0], (long long)g.in[1], (long long)g.in[2],
                            (long long)g.c, (long long)g.oc, (long long)g.kernel[0],
                            (long long)g.kernel[1], (long long)g.kernel[2], (long long)g.group,
                            (long long)g.offset_group, dtype_name(t), (long long)g.tile, threads,
                            worst);
                CHECK(worst <= tol);
                free(ws);
                free(y);
            }
        }
        free(xt);
        free(wtt);
        free(offt);
        free(bt);
        free(mt);
    }
    free(x);
    free(wt);
    free(off);
    free(bias);
    free(mask);
    free(want);
}

static void test_against_reference(void)
{
    /* spatial, n, c, oc, group, offset_group, in, k, stride, dilation, pads, bias, mask */
    static const dc_case_t cases[] = {
        {2, 1, 3, 4, 1, 1, {7, 8}, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, false, false},
        {2, 2, 4, 6, 2, 2, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, true, true},
        {2, 1, 6, 4, 1, 3, {11, 9}, {3, 2}, {2, 1}, {1, 2}, {1, 0, 2, 1}, true, false},
        {2, 1, 8, 8, 4, 2, {12, 13}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, false, true},
        {2, 1, 16, 5, 1, 1, {17, 19}, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, true, true},
        {2, 3, 2, 2, 2, 2, {5, 5}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}, false, true},
        /* 1-D: every axis feature once more, and a long row that takes several tiles. */
        {1, 2, 4, 6, 2, 2, {23}, {3}, {1}, {1}, {1, 2}, true, true},
        {1, 1, 6, 3, 1, 3, {40}, {4}, {3}, {2}, {0, 3}, false, true},
        {1, 1, 3, 2, 1, 1, {9}, {1}, {1}, {1}, {0, 0}, true, false},
        /* 3-D: groups, offset groups, uneven pads, strides and dilations per axis. */
        {3,
         1,
         2,
         3,
         1,
         1,
         {4, 5, 6},
         {2, 2, 2},
         {1, 1, 1},
         {1, 1, 1},
         {0, 0, 0, 0, 0, 0},
         false,
         false},
        {3,
         2,
         4,
         4,
         2,
         2,
         {5, 4, 6},
         {3, 2, 3},
         {2, 1, 1},
         {1, 2, 1},
         {1, 0, 1, 2, 1, 0},
         true,
         true},
        {3,
         1,
         6,
         2,
         1,
         3,
         {6, 7, 5},
         {1, 3, 2},
         {1, 2, 2},
         {1, 1, 2},
         {0, 1, 1, 0, 1, 1},
         true,
         false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], 100u + 10u * (unsigned)i);
}

/* Through the registry: optional B omitted and mask present, as a model writes it. */
static void test_op(void)
{
    const int64_t xd[4] = {1, 2, 5, 6}, wd[4] = {3, 2, 3, 3}, od[4] = {1, 18, 5, 6},
                  md[4] = {1, 9, 5, 6};
    const int64_t pads[4] = {1, 1, 1, 1};
    float *x = harness_random_floats(60, 1), *w = harness_random_floats(54, 2);
    float *off = harness_random_floats(540, 3), *mask = harness_random_floats(270, 4);
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, xd, x), tw = harness_tensor(DTYPE_FLOAT, 4, wd, w);
    tensor_t to = harness_tensor(DTYPE_FLOAT, 4, od, off),
             tm = harness_tensor(DTYPE_FLOAT, 4, md, mask);
    const tensor_t *in[5] = {&tx, &tw, &to, NULL, &tm};
    const attr_t attrs[] = {harness_ints_attr("pads", pads, 4)};
    tensor_t out[1];
    error_t err;
    status_t st = harness_run_runtime("DeformConv", 19, attrs, 1, 5, in, 1, out, &err);

    CHECK(st == STATUS_OK);
    if (st == STATUS_OK) {
        const int64_t want[4] = {1, 3, 5, 6};
        CHECK(shape_equal(out[0].rank, out[0].dims, 4, want));
        harness_free(out, 1);
    }

    /* 3-D through the registry: offset holds 3 values per tap, and 2 per tap is refused. */
    {
        const int64_t x3[5] = {1, 2, 3, 4, 5}, w3[5] = {1, 2, 2, 2, 2}, o3[5] = {1, 24, 2, 3, 4};
        const int64_t bad3[5] = {1, 16, 2, 3, 4}, y3[5] = {1, 1, 2, 3, 4};
        float *x5 = harness_random_floats(120, 5), *o5 = harness_random_floats(576, 6);
        tensor_t a = harness_tensor(DTYPE_FLOAT, 5, x3, x5),
                 b = harness_tensor(DTYPE_FLOAT, 5, w3, w);
        tensor_t c = harness_tensor(DTYPE_FLOAT, 5, o3, o5),
                 cb = harness_tensor(DTYPE_FLOAT, 5, bad3, o5);
        const tensor_t *in3[3] = {&a, &b, &c}, *inb[3] = {&a, &b, &cb};
        st = harness_run_runtime("DeformConv", 19, NULL, 0, 3, in3, 1, out, &err);
        CHECK(st == STATUS_OK);
        if (st == STATUS_OK) {
            CHECK(shape_equal(out[0].rank, out[0].dims, 5, y3));
            harness_free(out, 1);
        }
        st = harness_run_runtime("DeformConv", 19, NULL, 0, 3, inb, 1, out, &err);
        CHECK_FAILS(st, err, STATUS_INVALID_ARGUMENT, "DeformConv node 'n0'",
                    "offset is [1,16,2,3,4], expected [1,24,2,3,4]");
        free(x5);
        free(o5);
    }
    /* W's rank must be X's. */
    {
        const int64_t w3[5] = {3, 2, 1, 3, 3};
        tensor_t b = harness_tensor(DTYPE_FLOAT, 5, w3, w);
        const tensor_t *inw[3] = {&tx, &b, &to};
        st = harness_run_runtime("DeformConv", 19, NULL, 0, 3, inw, 1, out, &err);
        CHECK_FAILS(st, err, STATUS_INVALID_ARGUMENT, "W must be [oC, C / group, k1, ...]",
                    "[3,2,1,3,3]");
    }
    /* A mask of the wrong shape names itself and the expected shape. */
    {
        const int64_t bad[4] = {1, 9, 5, 5};
        tensor_t tb = harness_tensor(DTYPE_FLOAT, 4, bad, mask);
        const tensor_t *inb[5] = {&tx, &tw, &to, NULL, &tb};
        st = harness_run_runtime("DeformConv", 19, attrs, 1, 5, inb, 1, out, &err);
        CHECK_FAILS(st, err, STATUS_INVALID_ARGUMENT, "mask is [1,9,5,5], expected [1,9,5,6]");
    }
    /* kernel_shape must agree with W. */
    {
        const int64_t ks[2] = {3, 2};
        const attr_t a2[] = {harness_ints_attr("pads", pads, 4),
                             harness_ints_attr("kernel_shape", ks, 2)};
        st = harness_run_runtime("DeformConv", 19, a2, 2, 5, in, 1, out, &err);
        CHECK_FAILS(st, err, STATUS_INVALID_ARGUMENT, "kernel_shape [3,2] does not match W");
    }
    free(x);
    free(w);
    free(off);
    free(mask);
}

/* X with no rows, padded into a 2 x 6 output: every tap reads 0 and Y is the bias alone. */
static void test_empty_plane(void)
{
    const int64_t xd[4] = {1, 2, 0, 4}, wd[4] = {3, 2, 1, 1}, od[4] = {1, 2, 2, 6}, bd[1] = {3};
    const int64_t pads[4] = {1, 1, 1, 1};
    float w[6] = {1, 2, 3, 4, 5, 6}, off[24] = {0}, bias[3] = {0.5f, -1.5f, 2.5f}, x[1] = {0};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, xd, x), tw = harness_tensor(DTYPE_FLOAT, 4, wd, w);
    tensor_t to = harness_tensor(DTYPE_FLOAT, 4, od, off),
             tb = harness_tensor(DTYPE_FLOAT, 1, bd, bias);
    const tensor_t *in[4] = {&tx, &tw, &to, &tb};
    const attr_t attrs[] = {harness_ints_attr("pads", pads, 4)};
    tensor_t out[1];
    error_t err;
    status_t st = harness_run_runtime("DeformConv", 19, attrs, 1, 4, in, 1, out, &err);

    CHECK(st == STATUS_OK);
    if (st == STATUS_OK) {
        const float *y = out[0].data;
        for (int64_t i = 0; i < 36; i++)
            CHECK(y[i] == bias[i / 12]);
        harness_free(out, 1);
    }
}

int main(void)
{
    test_against_reference();
    test_op();
    test_empty_plane();
    CHECK_DONE();
}
