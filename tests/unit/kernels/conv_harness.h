/*
 * conv_harness.h - what the channels-last convolution tests share: a case
 * (geometry and epilogue), random operands, a naive NHWC reference in
 * double, and the two ways a test drives an implementation: one path
 * directly (pack, workspace, run) or the ConvNHWC kernel as the engine does
 * (pack, drop the weights, infer, prepare, run). Header-only; each test is
 * one translation unit.
 */
#ifndef INFERD_TEST_CONV_HARNESS_H
#define INFERD_TEST_CONV_HARNESS_H

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv/conv_nhwc.h"
#include "op_harness.h"

/* Largest thread count the tests run on. */
#define CONV_HARNESS_MAX_THREADS 2

/* Epilogue variants every geometry is run with. */
enum epilogue {
    EPI_NONE,
    EPI_BIAS,
    EPI_BIAS_RELU,
    EPI_BIAS_SUM_RELU,
    EPI_SUM_CLIP,
    EPI_INPLACE_SUM, /* the residual is the output buffer */
    EPI_COUNT,
};

typedef struct conv_case {
    int64_t n, c, m, h, w, kh, kw;
    int64_t stride[2], dilation[2];
    int64_t pads[4]; /* ONNX order: top, left, bottom, right */
} conv_case_t;

static inline int64_t harness_out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0,
                                       int64_t p1)
{
    return (in + p0 + p1 - (k - 1) * d - 1) / s + 1;
}

static inline int64_t case_oh(const conv_case_t *t)
{
    return harness_out_size(t->h, t->kh, t->stride[0], t->dilation[0], t->pads[0], t->pads[2]);
}

static inline int64_t case_ow(const conv_case_t *t)
{
    return harness_out_size(t->w, t->kw, t->stride[1], t->dilation[1], t->pads[1], t->pads[3]);
}

static inline bool has_bias(enum epilogue e)
{
    return e == EPI_BIAS || e == EPI_BIAS_RELU || e == EPI_BIAS_SUM_RELU;
}

static inline bool has_sum(enum epilogue e)
{
    return e == EPI_BIAS_SUM_RELU || e == EPI_SUM_CLIP || e == EPI_INPLACE_SUM;
}

/*
 * The params of a case. Unit strides and dilations are left absent on odd
 * epilogues, so the attribute defaults are exercised too.
 */
static inline conv_nhwc_params_t case_params(const conv_case_t *t, enum epilogue e)
{
    bool unit =
        t->stride[0] == 1 && t->stride[1] == 1 && t->dilation[0] == 1 && t->dilation[1] == 1;
    conv_nhwc_params_t p = {.conv = {.group = 1,
                                     .n_kernel_shape = -1,
                                     .n_strides = unit && e % 2 ? -1 : 2,
                                     .n_dilations = unit && e % 2 ? -1 : 2,
                                     .n_pads = 4,
                                     .n_output_padding = -1,
                                     .n_output_shape = -1}};

    for (int i = 0; i < 2; i++) {
        p.conv.strides[i] = t->stride[i];
        p.conv.dilations[i] = t->dilation[i];
    }
    for (int i = 0; i < 4; i++)
        p.conv.pads[i] = t->pads[i];
    p.sum = has_sum(e);
    if (e == EPI_BIAS_RELU || e == EPI_BIAS_SUM_RELU)
        p.activation = CONV_ACTIVATION_RELU;
    if (e == EPI_SUM_CLIP) {
        p.activation = CONV_ACTIVATION_CLIP;
        p.clip_min = -0.5f;
        p.clip_max = 0.75f;
    }
    return p;
}

/*
 * y = act(conv(x, w) + b + r) with x, y, r NHWC and w OIHW, in double.
 * Returns the largest |y| before the activation: a clipped output's scale
 * says nothing of the error the sums carry.
 */
static inline double ref_conv(const conv_case_t *t, const conv_nhwc_params_t *p, const float *x,
                              const float *w, const float *b, const float *r, double *y)
{
    int64_t oh = case_oh(t), ow = case_ow(t);
    double scale = 0.0;

    for (int64_t n = 0; n < t->n; n++)
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++)
                for (int64_t m = 0; m < t->m; m++) {
                    int64_t at = ((n * oh + oy) * ow + ox) * t->m + m;
                    double acc = b ? b[m] : 0.0;
                    for (int64_t c = 0; c < t->c; c++)
                        for (int64_t ky = 0; ky < t->kh; ky++)
                            for (int64_t kx = 0; kx < t->kw; kx++) {
                                int64_t iy = oy * t->stride[0] - t->pads[0] + ky * t->dilation[0];
                                int64_t ix = ox * t->stride[1] - t->pads[1] + kx * t->dilation[1];
                                if (iy < 0 || iy >= t->h || ix < 0 || ix >= t->w)
                                    continue;
                                acc += (double)x[((n * t->h + iy) * t->w + ix) * t->c + c] *
                                       w[((m * t->c + c) * t->kh + ky) * t->kw + kx];
                            }
                    if (p->sum)
                        acc += r[at];
                    if (fabs(acc) > scale)
                        scale = fabs(acc);
                    if (p->activation == CONV_ACTIVATION_RELU && acc < 0)
                        acc = 0;
                    if (p->activation == CONV_ACTIVATION_CLIP)
                        acc = acc < p->clip_min   ? p->clip_min
                              : acc > p->clip_max ? p->clip_max
                                                  : acc;
                    y[at] = acc;
                }
    return scale;
}

/* Operands of one case, random, and the reference output. */
typedef struct conv_data {
    conv_nhwc_params_t params;
    tensor_t x, w, b, r, y;
    double *expect;
    double scale; /* largest |expect| before the activation */
} conv_data_t;

static inline void data_init(conv_data_t *d, const conv_case_t *t, enum epilogue e, unsigned seed)
{
    int64_t oh = case_oh(t), ow = case_ow(t), taps = t->kh * t->kw;
    int64_t xd[4] = {t->n, t->h, t->w, t->c}, wd[4] = {t->m, t->c, t->kh, t->kw};
    int64_t bd[1] = {t->m}, yd[4] = {t->n, oh, ow, t->m};
    int64_t ny = t->n * oh * ow * t->m;

    d->params = case_params(t, e);
    d->x =
        harness_tensor(DTYPE_FLOAT, 4, xd, harness_random_floats(t->n * t->h * t->w * t->c, seed));
    d->w = harness_tensor(DTYPE_FLOAT, 4, wd, harness_random_floats(t->m * t->c * taps, seed + 1));
    d->b = harness_tensor(DTYPE_FLOAT, 1, bd, harness_random_floats(t->m, seed + 2));
    d->r = harness_tensor(DTYPE_FLOAT, 4, yd, harness_random_floats(ny, seed + 3));
    d->y = harness_tensor(DTYPE_FLOAT, 4, yd, malloc((size_t)ny * sizeof(float) + 1));
    d->expect = malloc((size_t)ny * sizeof(double) + 1);
    assert(d->y.data && d->expect);
    d->scale = ref_conv(t, &d->params, d->x.data, d->w.data, has_bias(e) ? d->b.data : NULL,
                        d->r.data, d->expect);
}

/* Y as a run must find it: R's values when the sum is in place (Y is also R). */
static inline void data_reset_output(conv_data_t *d, enum epilogue e)
{
    if (e == EPI_INPLACE_SUM)
        memcpy(d->y.data, d->r.data, (size_t)tensor_numel(&d->r) * sizeof(float));
}

static inline void data_free(conv_data_t *d)
{
    free(d->x.data);
    free(d->w.data);
    free(d->b.data);
    free(d->r.data);
    free(d->y.data);
    free(d->expect);
}

/* Fails unless every output is within tolerance x the largest |reference| before the activation. */
static inline void check_output(const conv_data_t *d, double tolerance, const char *what,
                                const conv_case_t *t, int e, int threads)
{
    const float *y = d->y.data;
    int64_t n = tensor_numel(&d->y);
    double worst = 0.0;

    for (int64_t i = 0; i < n; i++) {
        double diff = fabs(y[i] - d->expect[i]);
        /* NaN fails the comparison below through worst. */
        if (!(diff <= worst))
            worst = diff;
    }
    if (!(worst <= tolerance * d->scale)) {
        fprintf(stderr,
                "%s: max |diff| %g, max |ref| %g (n %lld c %lld m %lld %lldx%lld k %lldx%lld "
                "stride %lld %lld dilation %lld %lld pads %lld %lld %lld %lld epilogue %d "
                "threads %d)\n",
                what, worst, d->scale, (long long)t->n, (long long)t->c, (long long)t->m,
                (long long)t->h, (long long)t->w, (long long)t->kh, (long long)t->kw,
                (long long)t->stride[0], (long long)t->stride[1], (long long)t->dilation[0],
                (long long)t->dilation[1], (long long)t->pads[0], (long long)t->pads[1],
                (long long)t->pads[2], (long long)t->pads[3], e, threads);
        check_failures++;
    }
}

/* The call on d's tensors; in holds the input pointers (R is Y when in place). */
static inline op_call_t data_call(conv_data_t *d, enum epilogue e, const tensor_t **in, int threads)
{
    in[0] = &d->x;
    in[1] = &d->w;
    in[2] = has_bias(e) ? &d->b : NULL;
    in[3] = e == EPI_INPLACE_SUM ? &d->y : &d->r;
    return (op_call_t){.op_type = CONV_NHWC_OP,
                       .node = HARNESS_NODE,
                       .params = &d->params,
                       .n_inputs = has_sum(e) ? 4 : 3,
                       .inputs = in,
                       .n_outputs = 1,
                       .outputs = &d->y,
                       .threads = threads};
}

/* One implementation of conv_nhwc.h driven directly. */
typedef struct conv_path {
    const char *name;
    status_t (*pack)(const op_call_t *call, void **state, error_t *err);
    size_t (*workspace)(const op_call_t *call, const conv_geom_t *g);
    status_t (*run)(op_call_t *call, error_t *err);
    void (*release)(void *state);
} conv_path_t;

/* The 64-byte aligned workspace the engine would give a call. */
static inline void *harness_workspace(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes / 64 + 1) * 64);
    assert(p);
    return p;
}

/*
 * path on case t with operands d (data_init with the same t and e): pack,
 * workspace, run, compared with the reference. d can serve several runs:
 * the reference is the costly part (minutes under the sanitizers).
 */
static inline void check_path_on(const conv_path_t *path, double tolerance, const conv_case_t *t,
                                 enum epilogue e, int threads, conv_data_t *d)
{
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    conv_geom_t g;
    tensor_t y;
    void *packed = NULL;

    data_reset_output(d, e);
    call = data_call(d, e, in, threads);
    CHECK(path->pack(&call, &packed, &err) == STATUS_OK);
    call.state = packed;
    CHECK(conv_nhwc_resolve(&call, &g, &y, &err) == STATUS_OK);
    CHECK(y.dims[1] == case_oh(t) && y.dims[2] == case_ow(t) && y.dims[3] == t->m);
    call.workspace_size = path->workspace(&call, &g);
    call.workspace = harness_workspace(call.workspace_size);
    CHECK(path->run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    check_output(d, tolerance, path->name, t, e, threads);
    free(call.workspace);
    path->release(packed);
}

/* path on case t with fresh random operands from seed. */
static inline void check_path(const conv_path_t *path, double tolerance, const conv_case_t *t,
                              enum epilogue e, int threads, unsigned seed)
{
    conv_data_t d;

    data_init(&d, t, e, seed);
    check_path_on(path, tolerance, t, e, threads, &d);
    data_free(&d);
}

/*
 * The ConvNHWC kernel as the engine runs it, on operands d (as for
 * check_path_on); W's data is gone once packed.
 */
static inline void check_kernel_on(double tolerance, const conv_case_t *t, enum epilogue e,
                                   int threads, conv_data_t *dp)
{
    const op_kernel_t *k = &conv_nhwc_kernel;
    conv_data_t d = *dp;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    void *weights, *y_data, *prepared = NULL;

    data_reset_output(&d, e);
    call = data_call(&d, e, in, 1);
    CHECK(k->pack(&call, &call.state, &err) == STATUS_OK);
    CHECK(k->packed_inputs & (1u << 1));
    weights = d.w.data;
    d.w.data = NULL;
    /* infer writes Y's shape, and no data, into the output tensor */
    y_data = d.y.data;
    CHECK(k->infer(&call, &err) == STATUS_OK);
    CHECK(tensor_numel(&d.y) == case_oh(t) * case_ow(t) * t->m * t->n);
    d.y.data = y_data;
    call.threads = threads;
    CHECK(k->prepare(&call, &prepared, &err) == STATUS_OK);
    call.prepared = prepared;
    call.workspace = harness_workspace(call.workspace_size);
    CHECK(k->run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    check_output(&d, tolerance, "ConvNHWC kernel", t, e, threads);
    free(call.workspace);
    k->unprepare(prepared);
    k->release(call.state);
    d.w.data = weights;
}

/* The ConvNHWC kernel on case t with fresh random operands from seed. */
static inline void check_kernel(double tolerance, const conv_case_t *t, enum epilogue e,
                                int threads, unsigned seed)
{
    conv_data_t d;

    data_init(&d, t, e, seed);
    check_kernel_on(tolerance, t, e, threads, &d);
    data_free(&d);
}

#endif
