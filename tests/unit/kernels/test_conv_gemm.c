/*
 * Unit tests of the channels-last convolution's implicit-GEMM path
 * (conv_gemm.c) against a naive NHWC loop: kernel sizes 1 to 7, strides,
 * symmetric and asymmetric pads, dilations, odd channel counts, batch > 1,
 * every epilogue (bias, residual, Relu, Clip, a residual that is the output
 * buffer itself), on 1 and 2 threads. Then the ConvNHWC kernel as the
 * engine drives it (pack, drop the weights, infer, prepare, run), whichever
 * implementation it picks.
 */
#include "conv/conv_nhwc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* Relative tolerance against the double-precision reference. */
#define TOLERANCE 1e-4

/* Largest thread count the tests run on. */
#define MAX_THREADS 2

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

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1)
{
    return (in + p0 + p1 - (k - 1) * d - 1) / s + 1;
}

static int64_t case_oh(const conv_case_t *t)
{
    return out_size(t->h, t->kh, t->stride[0], t->dilation[0], t->pads[0], t->pads[2]);
}

static int64_t case_ow(const conv_case_t *t)
{
    return out_size(t->w, t->kw, t->stride[1], t->dilation[1], t->pads[1], t->pads[3]);
}

static bool has_bias(enum epilogue e)
{
    return e == EPI_BIAS || e == EPI_BIAS_RELU || e == EPI_BIAS_SUM_RELU;
}

static bool has_sum(enum epilogue e)
{
    return e == EPI_BIAS_SUM_RELU || e == EPI_SUM_CLIP || e == EPI_INPLACE_SUM;
}

static conv_nhwc_params_t case_params(const conv_case_t *t, enum epilogue e)
{
    conv_nhwc_params_t p = {.conv = {.group = 1,
                                     .n_kernel_shape = -1,
                                     .n_strides = 2,
                                     .n_dilations = 2,
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

/* y = act(conv(x, w) + b + r) with x, y, r NHWC and w OIHW, in double. */
static void ref_conv_nhwc(const conv_case_t *t, const conv_nhwc_params_t *p, const float *x,
                          const float *w, const float *b, const float *r, float *y)
{
    int64_t oh = case_oh(t), ow = case_ow(t);

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
                    if (p->activation == CONV_ACTIVATION_RELU && acc < 0)
                        acc = 0;
                    if (p->activation == CONV_ACTIVATION_CLIP)
                        acc = acc < p->clip_min   ? p->clip_min
                              : acc > p->clip_max ? p->clip_max
                                                  : acc;
                    y[at] = (float)acc;
                }
}

/* Operands of one case, random, and the reference output. */
typedef struct conv_data {
    conv_nhwc_params_t params;
    tensor_t x, w, b, r, y;
    float *expect;
} conv_data_t;

static void data_init(conv_data_t *d, const conv_case_t *t, enum epilogue e, unsigned seed)
{
    int64_t oh = case_oh(t), ow = case_ow(t);
    int64_t xd[4] = {t->n, t->h, t->w, t->c}, wd[4] = {t->m, t->c, t->kh, t->kw};
    int64_t bd[1] = {t->m}, yd[4] = {t->n, oh, ow, t->m};
    int64_t ny = t->n * oh * ow * t->m;

    d->params = case_params(t, e);
    d->x =
        harness_tensor(DTYPE_FLOAT, 4, xd, harness_random_floats(t->n * t->h * t->w * t->c, seed));
    d->w = harness_tensor(DTYPE_FLOAT, 4, wd,
                          harness_random_floats(t->m * t->c * t->kh * t->kw, seed + 1));
    d->b = harness_tensor(DTYPE_FLOAT, 1, bd, harness_random_floats(t->m, seed + 2));
    d->r = harness_tensor(DTYPE_FLOAT, 4, yd, harness_random_floats(ny, seed + 3));
    d->y = harness_tensor(DTYPE_FLOAT, 4, yd, malloc((size_t)ny * sizeof(float) + 1));
    d->expect = malloc((size_t)ny * sizeof(float) + 1);
    assert(d->y.data && d->expect);
    ref_conv_nhwc(t, &d->params, d->x.data, d->w.data, has_bias(e) ? d->b.data : NULL, d->r.data,
                  d->expect);
    if (e == EPI_INPLACE_SUM)
        memcpy(d->y.data, d->r.data, (size_t)ny * sizeof(float));
}

static void data_free(conv_data_t *d)
{
    free(d->x.data);
    free(d->w.data);
    free(d->b.data);
    free(d->r.data);
    free(d->y.data);
    free(d->expect);
}

static void check_output(const conv_data_t *d, const char *what, const conv_case_t *t, int e,
                         int threads)
{
    const float *y = d->y.data;
    int64_t n = tensor_numel(&d->y), bad = 0;

    for (int64_t i = 0; i < n; i++) {
        double ref = d->expect[i];
        if (!(fabs(y[i] - ref) <= TOLERANCE * (1.0 + fabs(ref))))
            bad++;
    }
    if (bad) {
        fprintf(stderr,
                "%s: %lld of %lld outputs off (n %lld c %lld m %lld %lldx%lld k %lldx%lld "
                "epilogue %d threads %d)\n",
                what, (long long)bad, (long long)n, (long long)t->n, (long long)t->c,
                (long long)t->m, (long long)t->h, (long long)t->w, (long long)t->kh,
                (long long)t->kw, e, threads);
        check_failures++;
    }
}

/* The call on d's tensors; in holds the input pointers (R is Y when in place). */
static op_call_t data_call(conv_data_t *d, enum epilogue e, const tensor_t **in, int threads)
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

/* conv_gemm.c directly: pack, workspace, run. */
static void check_gemm_path(const conv_case_t *t, enum epilogue e, int threads, unsigned seed)
{
    conv_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    conv_geom_t g;
    tensor_t y;
    void *packed = NULL;

    data_init(&d, t, e, seed);
    call = data_call(&d, e, in, threads);
    CHECK(conv_gemm_pack(&call, &packed, &err) == STATUS_OK);
    call.state = packed;
    CHECK(conv_nhwc_resolve(&call, &g, &y, &err) == STATUS_OK);
    CHECK(y.dims[1] == case_oh(t) && y.dims[2] == case_ow(t) && y.dims[3] == t->m);
    call.workspace_size = conv_gemm_workspace(&call, &g);
    call.workspace = malloc(call.workspace_size + 1);
    assert(call.workspace);
    CHECK(conv_gemm_run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    check_output(&d, "gemm path", t, e, threads);
    free(call.workspace);
    conv_gemm_release(packed);
    data_free(&d);
}

/* The kernel as the engine runs it; W's data is gone once packed. */
static void check_kernel(const conv_case_t *t, enum epilogue e, int threads, unsigned seed)
{
    const op_kernel_t *k = &conv_nhwc_kernel;
    conv_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    void *weights, *y_data, *prepared = NULL;

    data_init(&d, t, e, seed);
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
    call.workspace = malloc(call.workspace_size + 1);
    assert(call.workspace);
    CHECK(k->run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    check_output(&d, "ConvNHWC kernel", t, e, threads);
    free(call.workspace);
    k->unprepare(prepared);
    k->release(call.state);
    d.w.data = weights;
    data_free(&d);
}

static const conv_case_t cases[] = {
    /* pointwise: A is X itself */
    {2, 5, 7, 6, 6, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},
    /* 1x1 with stride, and with padding: gathered */
    {2, 9, 6, 7, 5, 1, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}},
    {1, 4, 3, 3, 4, 1, 1, {1, 1}, {1, 1}, {1, 0, 0, 1}},
    {1, 3, 4, 8, 8, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 6, 5, 9, 7, 3, 3, {2, 2}, {1, 1}, {0, 1, 1, 0}},
    {1, 5, 3, 9, 9, 3, 3, {1, 1}, {2, 2}, {2, 2, 2, 2}},
    {1, 4, 4, 8, 9, 3, 3, {1, 2}, {2, 1}, {2, 0, 1, 2}},
    {1, 3, 5, 9, 10, 3, 3, {2, 1}, {1, 3}, {1, 3, 0, 2}},
    {1, 2, 3, 6, 7, 1, 3, {1, 1}, {1, 1}, {0, 1, 0, 1}},
    {1, 3, 2, 7, 6, 3, 1, {1, 2}, {1, 1}, {1, 0, 1, 0}},
    {2, 17, 9, 9, 8, 5, 5, {1, 1}, {1, 1}, {2, 2, 2, 2}},
    {1, 3, 16, 15, 15, 7, 7, {2, 2}, {1, 1}, {3, 3, 3, 3}},
    /* padding wider than the image on one side, and a window larger than the padded image row */
    {1, 3, 4, 3, 3, 5, 5, {1, 1}, {1, 1}, {4, 1, 0, 3}},
    /* K spans several blocks, M several tiles */
    {2, 64, 40, 10, 10, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 130, 33, 7, 7, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 96, 70, 12, 12, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},
};

#define N_CASES (sizeof cases / sizeof cases[0])

int main(void)
{
    unsigned seed = 1;

    for (size_t i = 0; i < N_CASES; i++)
        for (int e = 0; e < EPI_COUNT; e++)
            for (int threads = 1; threads <= MAX_THREADS; threads++)
                check_gemm_path(&cases[i], e, threads, seed += 7);
    for (size_t i = 0; i < N_CASES; i++)
        for (int threads = 1; threads <= MAX_THREADS; threads++)
            check_kernel(&cases[i], (int)(i % EPI_COUNT), threads, seed += 7);
    CHECK_DONE();
}
