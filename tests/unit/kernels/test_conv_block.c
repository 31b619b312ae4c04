/*
 * test_conv_block.c - the fused inverted-residual block (conv/conv_block.h)
 * against the unfused composition it replaces: the same three
 * convolutions run one after another on the ConvNHWC kernel, as the engine
 * runs them without the fusion. Odd widths and channel counts (tails of
 * every vector width), stride 1 and 2, symmetric and trailing-only pads,
 * with and without the expansion and the residual, batch 1 and 3, on 1
 * and 2 threads (strips split inside an image, between images, and the
 * layer-by-layer mode of small images), at whatever ISA cap the run has.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conv/conv_block.h"
#include "conv_harness.h"
#include "cpu_isa.h"

/* Relative to the largest |output|: the GEMM and depthwise sums differ from oneDNN's in order. */
#define TOLERANCE 1e-5

typedef struct block_case {
    int64_t n, h, w, c, e, m, stride;
    int64_t pads[4]; /* the depthwise layer's, ONNX order: top, left, bottom, right */
    bool expand, residual;
    conv_activation_t act; /* of the expansion and the depthwise layer */
} block_case_t;

static const block_case_t cases[] = {
    {1, 9, 13, 5, 19, 7, 1, {1, 1, 1, 1}, true, true, CONV_ACTIVATION_CLIP},
    {1, 11, 15, 8, 33, 12, 2, {1, 1, 1, 1}, true, false, CONV_ACTIVATION_CLIP},
    {3, 7, 9, 6, 40, 6, 1, {1, 1, 1, 1}, true, true, CONV_ACTIVATION_RELU},
    {2, 10, 11, 17, 17, 9, 2, {0, 0, 1, 1}, false, false, CONV_ACTIVATION_CLIP},
    {1, 12, 7, 17, 17, 17, 1, {1, 1, 1, 1}, false, true, CONV_ACTIVATION_NONE},
    /* Several strips per image, and a ring of many rows on a narrow image. */
    {1, 40, 20, 16, 96, 24, 1, {1, 1, 1, 1}, true, false, CONV_ACTIVATION_CLIP},
    {1, 70, 21, 16, 48, 24, 2, {1, 1, 1, 1}, true, false, CONV_ACTIVATION_CLIP},
    {2, 17, 3, 4, 24, 4, 1, {1, 1, 1, 1}, true, true, CONV_ACTIVATION_CLIP},
    {1, 34, 34, 24, 144, 24, 1, {1, 1, 1, 1}, true, true, CONV_ACTIVATION_CLIP},
};

#define N_CASES (sizeof cases / sizeof cases[0])

static int64_t out_size(int64_t in, int64_t s, int64_t p0, int64_t p1)
{
    return (in + p0 + p1 - 3) / s + 1;
}

/* The params of a 1x1 convolution, or of the depthwise one when group > 1. */
static conv_nhwc_params_t conv_params(const block_case_t *t, int64_t group, conv_activation_t act)
{
    conv_nhwc_params_t p = {.conv = {.group = group,
                                     .n_kernel_shape = -1,
                                     .n_strides = -1,
                                     .n_dilations = -1,
                                     .n_pads = -1,
                                     .n_output_padding = -1,
                                     .n_output_shape = -1},
                            .activation = act,
                            .clip_min = -0.25f,
                            .clip_max = 0.5f};

    if (group > 1) {
        p.conv.n_strides = 2;
        p.conv.strides[0] = p.conv.strides[1] = t->stride;
        p.conv.n_pads = 4;
        memcpy(p.conv.pads, t->pads, sizeof t->pads);
    }
    return p;
}

/* y = the ConvNHWC kernel on (x, w, b[, r]) as the engine runs it; y's data is the caller's. */
static void run_conv(const conv_nhwc_params_t *p, const tensor_t *x, const tensor_t *w,
                     const tensor_t *b, const tensor_t *r, tensor_t *y, int threads)
{
    const op_kernel_t *k = &conv_nhwc_kernel;
    const tensor_t *in[4] = {x, w, b, r};
    op_call_t call = {.op_type = CONV_NHWC_OP,
                      .node = HARNESS_NODE,
                      .params = p,
                      .n_inputs = r ? 4 : 3,
                      .inputs = in,
                      .n_outputs = 1,
                      .outputs = y,
                      .threads = threads};
    error_t err = {0};
    void *prepared = NULL, *data = y->data;

    CHECK(k->pack(&call, &call.state, &err) == STATUS_OK);
    CHECK(k->infer(&call, &err) == STATUS_OK);
    y->data = data;
    CHECK(k->prepare(&call, &prepared, &err) == STATUS_OK);
    call.prepared = prepared;
    call.workspace = harness_workspace(call.workspace_size);
    CHECK(k->run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    free(call.workspace);
    k->unprepare(prepared);
    k->release(call.state);
}

static void check_case(const block_case_t *t, int threads, unsigned seed)
{
    const int64_t oh = out_size(t->h, t->stride, t->pads[0], t->pads[2]);
    const int64_t ow = out_size(t->w, t->stride, t->pads[1], t->pads[3]);
    int64_t xd[4] = {t->n, t->h, t->w, t->c}, ed[4] = {t->n, t->h, t->w, t->e};
    int64_t dd[4] = {t->n, oh, ow, t->e}, yd[4] = {t->n, oh, ow, t->m};
    int64_t wed[4] = {t->e, t->c, 1, 1}, wdd[4] = {t->e, 1, 3, 3}, wpd[4] = {t->m, t->e, 1, 1};
    int64_t bed[1] = {t->e}, bpd[1] = {t->m};
    int64_t ny = t->n * oh * ow * t->m;
    tensor_t x =
        harness_tensor(DTYPE_FLOAT, 4, xd, harness_random_floats(t->n * t->h * t->w * t->c, seed));
    tensor_t we = harness_tensor(DTYPE_FLOAT, 4, wed, harness_random_floats(t->e * t->c, seed + 1));
    tensor_t be = harness_tensor(DTYPE_FLOAT, 1, bed, harness_random_floats(t->e, seed + 2));
    tensor_t wd = harness_tensor(DTYPE_FLOAT, 4, wdd, harness_random_floats(t->e * 9, seed + 3));
    tensor_t bd = harness_tensor(DTYPE_FLOAT, 1, bed, harness_random_floats(t->e, seed + 4));
    tensor_t wp = harness_tensor(DTYPE_FLOAT, 4, wpd, harness_random_floats(t->m * t->e, seed + 5));
    tensor_t bp = harness_tensor(DTYPE_FLOAT, 1, bpd, harness_random_floats(t->m, seed + 6));
    tensor_t r = harness_tensor(DTYPE_FLOAT, 4, yd, harness_random_floats(ny, seed + 7));
    tensor_t xe =
        harness_tensor(DTYPE_FLOAT, 4, ed, malloc((size_t)(t->n * t->h * t->w * t->e) * 4 + 4));
    tensor_t xd_out =
        harness_tensor(DTYPE_FLOAT, 4, dd, malloc((size_t)(t->n * oh * ow * t->e) * 4 + 4));
    tensor_t want = harness_tensor(DTYPE_FLOAT, 4, yd, malloc((size_t)ny * 4 + 4));
    tensor_t got = harness_tensor(DTYPE_FLOAT, 4, yd, malloc((size_t)ny * 4 + 4));
    conv_block_params_t p = {.expand = t->expand,
                             .expand_conv = conv_params(t, 1, t->act),
                             .depthwise = conv_params(t, t->e, t->act),
                             .project = conv_params(t, 1, CONV_ACTIVATION_NONE)};
    const tensor_t *in[CONV_BLOCK_INPUTS] = {
        &x, t->expand ? &we : NULL, t->expand ? &be : NULL, &wd, &bd, &wp, &bp, &r};
    const op_kernel_t *k = &conv_block_kernel;
    op_call_t call = {.op_type = CONV_BLOCK_OP,
                      .node = HARNESS_NODE,
                      .params = &p,
                      .n_inputs = t->residual ? CONV_BLOCK_INPUTS : CONV_BLOCK_RESIDUAL,
                      .inputs = in,
                      .n_outputs = 1,
                      .outputs = &got,
                      .threads = threads};
    error_t err = {0};
    char impl[OP_IMPL_MAX], want_impl[OP_IMPL_MAX];
    void *prepared = NULL, *data = got.data;
    double worst = 0.0, scale = 0.0;

    assert(xe.data && xd_out.data && want.data && got.data);
    assert(t->expand || t->c == t->e);
    p.project.sum = t->residual;
    /* The unfused composition. */
    if (t->expand)
        run_conv(&p.expand_conv, &x, &we, &be, NULL, &xe, threads);
    run_conv(&p.depthwise, t->expand ? &xe : &x, &wd, &bd, NULL, &xd_out, threads);
    run_conv(&p.project, &xd_out, &wp, &bp, t->residual ? &r : NULL, &want, threads);
    /* The fused block, as the engine runs it: the weights are gone once packed. */
    CHECK(k->pack(&call, &call.state, &err) == STATUS_OK);
    CHECK(k->infer(&call, &err) == STATUS_OK);
    CHECK(got.dims[1] == oh && got.dims[2] == ow && got.dims[3] == t->m);
    got.data = data;
    CHECK(k->prepare(&call, &prepared, &err) == STATUS_OK);
    call.workspace = harness_workspace(call.workspace_size);
    CHECK(k->run(&call, &err) == STATUS_OK);
    if (err.message[0])
        fprintf(stderr, "%s\n", err.message);
    k->describe(&call, impl, sizeof impl);
    snprintf(want_impl, sizeof want_impl, ":%s", cpu_isa_name(cpu_isa()));
    CHECK(strncmp(impl, "inferd conv block", 17) == 0 && strstr(impl, want_impl));
    for (int64_t i = 0; i < ny; i++) {
        double diff = fabs((double)((float *)got.data)[i] - ((float *)want.data)[i]);
        double mag = fabs(((float *)want.data)[i]);
        scale = mag > scale ? mag : scale;
        if (!(diff <= worst))
            worst = diff;
    }
    if (!(worst <= TOLERANCE * (scale > 1.0 ? scale : 1.0))) {
        fprintf(stderr,
                "block n %lld %lldx%lld c %lld e %lld m %lld stride %lld expand %d residual %d "
                "threads %d (%s): max |diff| %g, max |ref| %g\n",
                (long long)t->n, (long long)t->h, (long long)t->w, (long long)t->c, (long long)t->e,
                (long long)t->m, (long long)t->stride, t->expand, t->residual, threads, impl, worst,
                scale);
        check_failures++;
    }
    free(call.workspace);
    k->release(call.state);
    free(x.data);
    free(we.data);
    free(be.data);
    free(wd.data);
    free(bd.data);
    free(wp.data);
    free(bp.data);
    free(r.data);
    free(xe.data);
    free(xd_out.data);
    free(want.data);
    free(got.data);
}

/* What the engine's fusion pass asks before it fuses: only the blocks the kernel runs. */
static void check_supports(void)
{
    const block_case_t t = cases[0];
    conv_nhwc_params_t e = conv_params(&t, 1, CONV_ACTIVATION_CLIP);
    conv_nhwc_params_t d = conv_params(&t, t.e, CONV_ACTIVATION_CLIP);
    conv_nhwc_params_t pr = conv_params(&t, 1, CONV_ACTIVATION_NONE);
    int64_t wdd[4] = {t.e, 1, 3, 3}, w5[4] = {t.e, 1, 5, 5};
    tensor_t wd = harness_tensor(DTYPE_FLOAT, 4, wdd, NULL),
             wd5 = harness_tensor(DTYPE_FLOAT, 4, w5, NULL);

    CHECK(conv_block_supports(&e, &d, &wd, &pr));
    CHECK(conv_block_supports(NULL, &d, &wd, &pr));
    CHECK(!conv_block_supports(&e, &d, &wd5, &pr));
    d.conv.strides[0] = d.conv.strides[1] = 3;
    CHECK(!conv_block_supports(&e, &d, &wd, &pr));
    d.conv.strides[1] = 1;
    CHECK(!conv_block_supports(&e, &d, &wd, &pr));
    d = conv_params(&t, t.e, CONV_ACTIVATION_CLIP);
    d.conv.n_dilations = 2;
    d.conv.dilations[0] = d.conv.dilations[1] = 2;
    CHECK(!conv_block_supports(&e, &d, &wd, &pr));
    d = conv_params(&t, t.e, CONV_ACTIVATION_CLIP);
    e.sum = true;
    CHECK(!conv_block_supports(&e, &d, &wd, &pr));
}

int main(void)
{
    unsigned seed = 1;

    check_supports();
    for (size_t i = 0; i < N_CASES; i++)
        for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++)
            check_case(&cases[i], threads, seed += 11);
    CHECK_DONE();
}
