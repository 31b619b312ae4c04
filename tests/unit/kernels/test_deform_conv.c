/*
 * Unit tests of DeformConv: the framework-free deform_conv against a
 * float64 loop written straight from the spec's formula (each tap of each
 * output pixel sampled bilinearly at its regular position plus its offset,
 * scaled by its mask), over strides, dilations, uneven pads, groups and
 * offset groups, in float and double, on one and two threads, with the
 * workspace's tile at its natural size and forced down to one panel (16
 * pixels), so that tiling and the panel tails are covered; then the op
 * through the registry, and its refusals.
 */
#include "deform_conv/deform_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"
#include "op_harness.h"

typedef struct dc_case {
    int64_t n, c, h, w, oc, kh, kw, group, offset_group;
    int64_t stride[2], dilation[2], pads[4];
    bool bias, mask;
} dc_case_t;

/* x[plane] at (y, x) bilinearly, 0 outside, as the spec's GridSample-based definition reads it. */
static double ref_sample(const double *plane, int64_t h, int64_t w, double y, double x)
{
    double fy, fx, v = 0;

    if (!(y > -1 && y < (double)h && x > -1 && x < (double)w))
        return 0;
    fy = floor(y);
    fx = floor(x);
    for (int dy = 0; dy < 2; dy++) {
        for (int dx = 0; dx < 2; dx++) {
            const int64_t yy = (int64_t)fy + dy, xx = (int64_t)fx + dx;
            const double wy = dy ? y - fy : 1 - (y - fy), wx = dx ? x - fx : 1 - (x - fx);
            if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                v += wy * wx * plane[yy * w + xx];
        }
    }
    return v;
}

static void reference(const deform_conv_geom_t *g, const double *x, const double *wt,
                      const double *off, const double *bias, const double *mask, double *y)
{
    const int64_t icg = g->c / g->group, ocg = g->oc / g->group, per_og = g->c / g->offset_group;
    const int64_t taps = g->kh * g->kw, pixels = g->oh * g->ow;

    for (int64_t b = 0; b < g->n; b++)
        for (int64_t o = 0; o < g->oc; o++)
            for (int64_t i = 0; i < g->oh; i++)
                for (int64_t j = 0; j < g->ow; j++) {
                    double acc = bias ? bias[o] : 0;
                    for (int64_t cg = 0; cg < icg; cg++) {
                        const int64_t c = o / ocg * icg + cg, og = c / per_og;
                        for (int64_t k = 0; k < taps; k++) {
                            const int64_t ki = k / g->kw, kj = k % g->kw, p = i * g->ow + j;
                            const int64_t ch = (b * g->offset_group + og) * taps + k;
                            const double dy = off[(ch * 2) * pixels + p];
                            const double dx = off[(ch * 2 + 1) * pixels + p];
                            const double m = mask ? mask[ch * pixels + p] : 1;
                            const double yy =
                                (double)(i * g->stride[0] - g->pad[0] + ki * g->dilation[0]) + dy;
                            const double xx =
                                (double)(j * g->stride[1] - g->pad[1] + kj * g->dilation[1]) + dx;
                            acc += wt[(o * icg + cg) * taps + k] * m *
                                   ref_sample(x + (b * g->c + c) * g->h * g->w, g->h, g->w, yy, xx);
                        }
                    }
                    y[((b * g->oc + o) * g->oh + i) * g->ow + j] = acc;
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
        .n = k->n,
        .c = k->c,
        .h = k->h,
        .w = k->w,
        .oc = k->oc,
        .kh = k->kh,
        .kw = k->kw,
        .group = k->group,
        .offset_group = k->offset_group,
    };

    for (int d = 0; d < 2; d++) {
        const int64_t in = d ? k->w : k->h, kk = d ? k->kw : k->kh;
        g.stride[d] = k->stride[d];
        g.dilation[d] = k->dilation[d];
        g.pad[d] = k->pads[d];
        *(d ? &g.ow : &g.oh) =
            (in + k->pads[d] + k->pads[d + 2] - (kk - 1) * k->dilation[d] - 1) / k->stride[d] + 1;
    }
    return g;
}

static void run_case(const dc_case_t *k, unsigned seed)
{
    deform_conv_geom_t g = geom_of(k);
    const int64_t pixels = g.oh * g.ow, taps = g.kh * g.kw;
    const int64_t nx = g.n * g.c * g.h * g.w, nw = g.oc * (g.c / g.group) * taps;
    const int64_t noff = g.n * g.offset_group * taps * 2 * pixels, nm = noff / 2;
    const int64_t ny = g.n * g.oc * pixels;
    double *x = random_doubles(nx, 1, 0, seed), *wt = random_doubles(nw, 1, 0, seed + 1);
    /* Offsets up to 3 pixels either way: many taps land outside the image or on its edge. */
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
                            "case c %lld oc %lld %lldx%lld k %lldx%lld group %lld og %lld: %s "
                            "tile %lld threads %d: worst relative error %g\n",
                            (long long)g.c, (long long)g.oc, (long long)g.h, (long long)g.w,
                            (long long)g.kh, (long long)g.kw, (long long)g.group,
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
    static const dc_case_t cases[] = {
        {1, 3, 7, 8, 4, 3, 3, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, false, false},
        {2, 4, 9, 10, 6, 3, 3, 2, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}, true, true},
        {1, 6, 11, 9, 4, 3, 2, 1, 3, {2, 1}, {1, 2}, {1, 0, 2, 1}, true, false},
        {1, 8, 12, 13, 8, 1, 1, 4, 2, {1, 1}, {1, 1}, {0, 0, 0, 0}, false, true},
        {1, 16, 17, 19, 5, 3, 3, 1, 1, {1, 1}, {2, 2}, {2, 2, 2, 2}, true, true},
        {3, 2, 5, 5, 2, 5, 5, 2, 2, {2, 2}, {1, 1}, {2, 2, 2, 2}, false, true},
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

    /* 3-D: valid ONNX, but only 2-D is computed. */
    {
        const int64_t x3[5] = {1, 2, 3, 4, 5}, w3[5] = {1, 2, 2, 2, 2}, o3[5] = {1, 24, 2, 3, 4};
        tensor_t a = harness_tensor(DTYPE_FLOAT, 5, x3, x),
                 b = harness_tensor(DTYPE_FLOAT, 5, w3, w);
        tensor_t c = harness_tensor(DTYPE_FLOAT, 5, o3, off);
        const tensor_t *in3[3] = {&a, &b, &c};
        st = harness_run_runtime("DeformConv", 19, NULL, 0, 3, in3, 1, out, &err);
        CHECK_FAILS(st, err, STATUS_UNSUPPORTED, "DeformConv node 'n0'", "only 2-D", "[1,2,3,4,5]");
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
        CHECK_FAILS(st, err, STATUS_INVALID_ARGUMENT, "kernel_shape [3, 2] does not match W");
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
