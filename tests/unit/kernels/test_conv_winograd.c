/*
 * Unit tests of the channels-last convolution's Winograd F(2x2, 3x3) path
 * (conv_winograd.c) against a naive NHWC loop in double: odd image sizes
 * (a last tile cut by the edge), no, symmetric and asymmetric pads, channel
 * counts off the 8-lane vectors, batch 1 to 3, every epilogue (bias,
 * residual, Relu, Clip, a residual that is the output buffer itself), on 1
 * and 2 threads, and a layer large enough to take several chunks. Then the
 * ConvNHWC kernel as the engine drives it (pack, drop the weights, infer,
 * prepare, run) on layers its dispatcher gives to Winograd.
 */
#include "conv/conv_nhwc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* Largest |y - ref| allowed, relative to the largest |ref| before the activation. */
#define TOLERANCE 1e-5

/* Largest thread count the tests run on. */
#define MAX_THREADS 2

/* Epilogue variants. */
enum epilogue {
    EPI_NONE,
    EPI_BIAS,
    EPI_BIAS_RELU,
    EPI_BIAS_SUM_RELU,
    EPI_SUM_CLIP,
    EPI_INPLACE_SUM, /* the residual is the output buffer */
    EPI_COUNT,
};

typedef struct wino_case {
    int64_t n, c, m, h, w;
    int64_t pads[4]; /* ONNX order: top, left, bottom, right */
} wino_case_t;

static int64_t case_oh(const wino_case_t *t)
{
    return t->h + t->pads[0] + t->pads[2] - 2;
}

static int64_t case_ow(const wino_case_t *t)
{
    return t->w + t->pads[1] + t->pads[3] - 2;
}

static bool has_bias(enum epilogue e)
{
    return e == EPI_BIAS || e == EPI_BIAS_RELU || e == EPI_BIAS_SUM_RELU;
}

static bool has_sum(enum epilogue e)
{
    return e == EPI_BIAS_SUM_RELU || e == EPI_SUM_CLIP || e == EPI_INPLACE_SUM;
}

/* Strides and dilations are given as explicit ones or left absent, alternately. */
static conv_nhwc_params_t case_params(const wino_case_t *t, enum epilogue e)
{
    conv_nhwc_params_t p = {.conv = {.group = 1,
                                     .n_kernel_shape = -1,
                                     .n_strides = e % 2 ? 2 : -1,
                                     .n_dilations = e % 2 ? -1 : 2,
                                     .n_pads = 4,
                                     .n_output_padding = -1,
                                     .n_output_shape = -1,
                                     .strides = {1, 1},
                                     .dilations = {1, 1}}};

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
 * y = act(conv3x3(x, w) + b + r) with x, y, r NHWC and w OIHW, in double.
 * Returns the largest |y| before the activation: a clipped output's scale
 * says nothing of the error the sums carry.
 */
static double ref_conv(const wino_case_t *t, const conv_nhwc_params_t *p, const float *x,
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
                        for (int64_t ky = 0; ky < 3; ky++)
                            for (int64_t kx = 0; kx < 3; kx++) {
                                int64_t iy = oy - t->pads[0] + ky, ix = ox - t->pads[1] + kx;
                                if (iy < 0 || iy >= t->h || ix < 0 || ix >= t->w)
                                    continue;
                                acc += (double)x[((n * t->h + iy) * t->w + ix) * t->c + c] *
                                       w[((m * t->c + c) * 3 + ky) * 3 + kx];
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
typedef struct wino_data {
    conv_nhwc_params_t params;
    tensor_t x, w, b, r, y;
    double *expect;
    double scale; /* largest |expect| before the activation */
} wino_data_t;

static void data_init(wino_data_t *d, const wino_case_t *t, enum epilogue e, unsigned seed)
{
    int64_t oh = case_oh(t), ow = case_ow(t);
    int64_t xd[4] = {t->n, t->h, t->w, t->c}, wd[4] = {t->m, t->c, 3, 3};
    int64_t bd[1] = {t->m}, yd[4] = {t->n, oh, ow, t->m};
    int64_t ny = t->n * oh * ow * t->m;

    d->params = case_params(t, e);
    d->x =
        harness_tensor(DTYPE_FLOAT, 4, xd, harness_random_floats(t->n * t->h * t->w * t->c, seed));
    d->w = harness_tensor(DTYPE_FLOAT, 4, wd, harness_random_floats(t->m * t->c * 9, seed + 1));
    d->b = harness_tensor(DTYPE_FLOAT, 1, bd, harness_random_floats(t->m, seed + 2));
    d->r = harness_tensor(DTYPE_FLOAT, 4, yd, harness_random_floats(ny, seed + 3));
    d->y = harness_tensor(DTYPE_FLOAT, 4, yd, malloc((size_t)ny * sizeof(float) + 1));
    d->expect = malloc((size_t)ny * sizeof(double) + 1);
    assert(d->y.data && d->expect);
    d->scale = ref_conv(t, &d->params, d->x.data, d->w.data, has_bias(e) ? d->b.data : NULL,
                        d->r.data, d->expect);
    if (e == EPI_INPLACE_SUM)
        memcpy(d->y.data, d->r.data, (size_t)ny * sizeof(float));
}

static void data_free(wino_data_t *d)
{
    free(d->x.data);
    free(d->w.data);
    free(d->b.data);
    free(d->r.data);
    free(d->y.data);
    free(d->expect);
}

static void check_output(const wino_data_t *d, const char *what, const wino_case_t *t, int e,
                         int threads)
{
    const float *y = d->y.data;
    int64_t n = tensor_numel(&d->y);
    double worst = 0.0, scale = d->scale;

    for (int64_t i = 0; i < n; i++) {
        double diff = fabs(y[i] - d->expect[i]);
        /* NaN fails the comparison below through worst. */
        if (!(diff <= worst))
            worst = diff;
    }
    if (!(worst <= TOLERANCE * scale)) {
        fprintf(stderr,
                "%s: max |diff| %g, max |ref| %g (n %lld c %lld m %lld %lldx%lld pads %lld %lld "
                "%lld %lld epilogue %d threads %d)\n",
                what, worst, scale, (long long)t->n, (long long)t->c, (long long)t->m,
                (long long)t->h, (long long)t->w, (long long)t->pads[0], (long long)t->pads[1],
                (long long)t->pads[2], (long long)t->pads[3], e, threads);
        check_failures++;
    }
}

/* The call on d's tensors; in holds the input pointers (R is Y when in place). */
static op_call_t data_call(wino_data_t *d, enum epilogue e, const tensor_t **in, int threads)
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

/* conv_winograd.c directly: pack, workspace, run. */
static void check_winograd(const wino_case_t *t, enum epilogue e, int threads, unsigned seed)
{
    wino_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    conv_geom_t g;
    tensor_t y;
    void *packed = NULL;

    data_init(&d, t, e, seed);
    call = data_call(&d, e, in, threads);
    CHECK(conv_winograd_supports(&d.params, &d.w));
    CHECK(conv_winograd_pack(&call, &packed, &err) == STATUS_OK);
    call.state = packed;
    CHECK(conv_nhwc_resolve(&call, &g, &y, &err) == STATUS_OK);
    CHECK(y.dims[1] == case_oh(t) && y.dims[2] == case_ow(t) && y.dims[3] == t->m);
    call.workspace_size = conv_winograd_workspace(&call, &g);
    call.workspace = malloc(call.workspace_size + 1);
    assert(call.workspace);
    CHECK(conv_winograd_run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    check_output(&d, "winograd path", t, e, threads);
    free(call.workspace);
    conv_winograd_release(packed);
    data_free(&d);
}

/* The kernel as the engine runs it; W's data is gone once packed. */
static void check_kernel(const wino_case_t *t, enum epilogue e, int threads, unsigned seed)
{
    const op_kernel_t *k = &conv_nhwc_kernel;
    wino_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    void *weights, *y_data, *prepared = NULL;

    data_init(&d, t, e, seed);
    call = data_call(&d, e, in, 1);
    CHECK(k->pack(&call, &call.state, &err) == STATUS_OK);
    weights = d.w.data;
    d.w.data = NULL;
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

/* Image sizes and pads every channel pairing below is run with. */
static const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13};
static const int64_t pad_sets[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 0, 1, 2}, {0, 1, 2, 1}};
static const int64_t channels[][2] = {{1, 1}, {3, 5}, {8, 8}, {17, 9}, {5, 17}, {64, 24}};

/* Layers the kernel test runs, and one that takes many chunks. */
static const wino_case_t layers[] = {
    {1, 64, 64, 14, 14, {1, 1, 1, 1}},
    {2, 32, 48, 9, 11, {1, 0, 0, 1}},
    {3, 16, 16, 13, 7, {1, 1, 1, 1}},
    {2, 40, 72, 31, 29, {1, 1, 1, 1}},
};

#define N_SIZES    (sizeof sizes / sizeof sizes[0])
#define N_PAD_SETS (sizeof pad_sets / sizeof pad_sets[0])
#define N_CHANNELS (sizeof channels / sizeof channels[0])
#define N_LAYERS   (sizeof layers / sizeof layers[0])

int main(void)
{
    unsigned seed = 1, round = 0;

    for (size_t ci = 0; ci < N_CHANNELS; ci++)
        for (size_t pi = 0; pi < N_PAD_SETS; pi++)
            for (size_t hi = 0; hi < N_SIZES; hi++) {
                /* Width and batch vary with the height, so every size meets several. */
                wino_case_t t = {.n = 1 + (int64_t)(round % 3),
                                 .c = channels[ci][0],
                                 .m = channels[ci][1],
                                 .h = sizes[hi],
                                 .w = sizes[(hi + pi + ci) % N_SIZES]};
                memcpy(t.pads, pad_sets[pi], sizeof t.pads);
                round++;
                if (case_oh(&t) < 1 || case_ow(&t) < 1)
                    continue;
                for (int threads = 1; threads <= MAX_THREADS; threads++)
                    check_winograd(&t, (enum epilogue)(round % EPI_COUNT), threads, seed += 7);
            }
    for (size_t i = 0; i < N_LAYERS; i++)
        for (int e = 0; e < EPI_COUNT; e++)
            for (int threads = 1; threads <= MAX_THREADS; threads++) {
                check_winograd(&layers[i], (enum epilogue)e, threads, seed += 7);
                check_kernel(&layers[i], (enum epilogue)e, threads, seed += 7);
            }
    CHECK_DONE();
}
