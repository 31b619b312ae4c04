/*
 * Unit tests of the oneDNN convolution path (conv_dnnl.c): its weights are
 * packed once in the format oneDNN picks for a nominal image, and each
 * plan's primitive must still run a fast implementation on the real shape.
 *
 * The AVX-512 failure this guards against: oneDNN's brgconv picks the
 * weight blocking per shape, and a primitive forced onto the nominal
 * format had only oneDNN's reference loop left (ResNet-50 at 17 s instead
 * of 70 ms). An AVX2 machine picks the same format for every image, so the
 * test forces the mismatch itself: it packs the weights in plain OIHW,
 * which no fast implementation takes for channels-last data on any ISA
 * (checked first, through oneDNN's own API), and prepare must recover: a
 * non-reference implementation, a repacked copy shared by later plans, and
 * outputs equal to a naive loop.
 *
 * The bf16 precision mode's tensors (where the CPU has AVX512_BF16): a layer
 * packed in bf16 that writes a bf16 Y (params.bf16_out) must write exactly
 * its float32 Y rounded to bf16, and one reading a bf16 X exactly what it
 * computes from the float X it would narrow itself.
 */
#include <dnnl.h>

#include "bf16.h"
#include "conv_harness.h"

/* Largest |y - ref| allowed, relative to the largest |ref| before the activation. */
#define TOLERANCE 1e-5
/* The same for bf16 layers: X and W rounded to 8 significant bits, float32 sums. */
#define BF16_TOLERANCE 2e-2

/* oneDNN's implementation for case t with its weights forced to format tag (bias, no post-ops). */
static const char *forced_impl(const conv_case_t *t, dnnl_format_tag_t tag)
{
    static dnnl_engine_t engine;
    static char impl[64];
    dnnl_dims_t src = {t->n, t->c, t->h, t->w}, w = {t->m, t->c, t->kh, t->kw}, b = {t->m};
    dnnl_dims_t dst = {t->n, t->m, case_oh(t), case_ow(t)};
    dnnl_dims_t strides = {t->stride[0], t->stride[1]};
    dnnl_dims_t dilates = {t->dilation[0] - 1, t->dilation[1] - 1};
    dnnl_dims_t pad_l = {t->pads[0], t->pads[1]}, pad_r = {t->pads[2], t->pads[3]};
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md;
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd;
    const char *name = NULL;

    if (!engine)
        CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success);
    dnnl_memory_desc_init_by_tag(&src_md, 4, src, dnnl_f32, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&dst_md, 4, dst, dnnl_f32, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&w_md, 4, w, dnnl_f32, tag);
    dnnl_memory_desc_init_by_tag(&b_md, 1, b, dnnl_f32, dnnl_x);
    CHECK(dnnl_dilated_convolution_forward_desc_init(
              &desc, dnnl_forward_inference, dnnl_convolution_direct, &src_md, &w_md, &b_md,
              &dst_md, strides, dilates, pad_l, pad_r) == dnnl_success);
    if (dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success)
        return "(none)";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    snprintf(impl, sizeof impl, "%s", name ? name : "(unnamed)");
    dnnl_primitive_desc_destroy(pd);
    return impl;
}

/* One prepared plan of the kernel on d: prepare, describe, run, compare. */
static void *prepare_and_run(conv_data_t *d, op_call_t *call, const conv_case_t *t, enum epilogue e,
                             int threads)
{
    void *prepared = NULL;
    char impl[64];
    error_t err = {0};

    call->threads = threads;
    call->workspace_size = 0;
    CHECK(conv_dnnl_prepare(call, &prepared, &err) == STATUS_OK);
    if (!prepared) {
        fprintf(stderr, "prepare: %s\n", err.message);
        return NULL;
    }
    call->prepared = prepared;
    CHECK(!conv_dnnl_describe(call, impl, sizeof impl));
    CHECK(strstr(impl, "ref") == NULL);
    call->workspace = harness_workspace(call->workspace_size);
    if (e == EPI_INPLACE_SUM)
        memcpy(d->y.data, d->r.data, tensor_bytes(&d->y));
    CHECK(conv_dnnl_run(call, &err) == STATUS_OK);
    check_output(d, TOLERANCE, impl, t, e, threads);
    free(call->workspace);
    call->workspace = NULL;
    return prepared;
}

/*
 * Packs t's weights as plain OIHW, drops the plain copy, prepares two plans
 * of the real shape and checks both run fast and exact on one repacked copy.
 */
static void check_recovery(const conv_case_t *t, enum epilogue e, unsigned seed)
{
    conv_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    void *first, *second, *weights;
    int formats, reorders;
    const char *forced = forced_impl(t, dnnl_oihw);

    /* The premise: forcing this format leaves only reference code (or nothing). */
    if (strncmp(forced, "ref", 3) != 0 && strcmp(forced, "(none)") != 0) {
        fprintf(stderr, "oihw weights are accepted by %s: the case proves nothing\n", forced);
        check_failures++;
        return;
    }
    data_init(&d, t, e, seed);
    call = data_call(&d, e, in, 1);
    CHECK(conv_dnnl_pack_as(&call, dnnl_oihw, &call.state, &err) == STATUS_OK);
    weights = d.w.data;
    d.w.data = NULL; /* the engine frees the plain weights once they are packed */
    first = prepare_and_run(&d, &call, t, e, 1);
    conv_dnnl_pack_info(call.state, &formats, &reorders);
    /* one copy left: the oihw one nothing uses was dropped when the new one was made */
    CHECK(formats == 1 && reorders == 2);
    second = prepare_and_run(&d, &call, t, e, CONV_HARNESS_MAX_THREADS);
    conv_dnnl_pack_info(call.state, &formats, &reorders);
    CHECK(formats == 1 && reorders == 2); /* a second plan of the shape shares the copy */
    conv_dnnl_unprepare(first);
    conv_dnnl_unprepare(second);
    conv_dnnl_release(call.state);
    d.w.data = weights;
    data_free(&d);
}

/* The format oneDNN picked for the nominal image serves the real one: no second copy. */
static void check_default_pack(const conv_case_t *t, enum epilogue e, unsigned seed)
{
    conv_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    void *prepared, *weights;
    int formats, reorders;

    data_init(&d, t, e, seed);
    call = data_call(&d, e, in, 1);
    CHECK(conv_dnnl_pack(&call, &call.state, &err) == STATUS_OK);
    weights = d.w.data;
    d.w.data = NULL;
    prepared = prepare_and_run(&d, &call, t, e, 1);
    conv_dnnl_pack_info(call.state, &formats, &reorders);
    CHECK(formats == 1 && reorders >= 1 && reorders <= 2);
    conv_dnnl_unprepare(prepared);
    conv_dnnl_release(call.state);
    d.w.data = weights;
    data_free(&d);
}

/* Images of one layer that the plans of a model serving several sizes would see at once. */
#define N_SIZES 5

/*
 * One packed layer, several plans alive at once (each image size, batch 1
 * and 3): on AVX-512 they want different formats, each gets its copy, all
 * run right, and every copy goes once its plans are gone.
 */
static void check_shapes_at_once(unsigned seed)
{
    static const int64_t sizes[N_SIZES] = {56, 28, 14, 9, 7};
    conv_case_t t[N_SIZES];
    conv_data_t d[N_SIZES];
    const tensor_t *in[N_SIZES][4];
    op_call_t call[N_SIZES];
    void *prepared[N_SIZES], *weights[N_SIZES], *state = NULL;
    error_t err = {0};
    int formats, reorders;

    for (int i = 0; i < N_SIZES; i++) {
        t[i] = (conv_case_t){i % 2 ? 3 : 1, 64, 256, sizes[i], sizes[i], 1, 1, {1, 1}, {1, 1}, {0}};
        data_init(&d[i], &t[i], EPI_BIAS_RELU, seed); /* same seed: the same weights */
        call[i] = data_call(&d[i], EPI_BIAS_RELU, in[i], 1);
    }
    CHECK(conv_dnnl_pack(&call[0], &state, &err) == STATUS_OK);
    for (int i = 0; i < N_SIZES; i++) {
        weights[i] = d[i].w.data;
        d[i].w.data = NULL;
        call[i].state = state;
        prepared[i] = prepare_and_run(&d[i], &call[i], &t[i], EPI_BIAS_RELU, 1 + i % 2);
    }
    conv_dnnl_pack_info(state, &formats, &reorders);
    CHECK(formats >= 1 && formats <= N_SIZES && reorders == formats);
    printf("%d image sizes at once: %d weight format(s)\n", N_SIZES, formats);
    for (int i = 0; i < N_SIZES; i++)
        conv_dnnl_unprepare(prepared[i]);
    conv_dnnl_release(state);
    for (int i = 0; i < N_SIZES; i++) {
        d[i].w.data = weights[i];
        data_free(&d[i]);
    }
}

static const conv_case_t cases[] = {
    /* ResNet-50's bottleneck 1x1s: the layers brgconv blocks per image on AVX-512 */
    {1, 64, 256, 56, 56, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},
    {2, 256, 128, 28, 28, 1, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}},
    {1, 256, 512, 14, 14, 1, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}},
    /* a 3-channel 7x7 stem, and a 3x3 with odd sizes */
    {1, 3, 64, 64, 64, 7, 7, {2, 2}, {1, 1}, {3, 3, 3, 3}},
    {2, 24, 40, 17, 13, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* Prepares call (fast code wanted), runs it once on a fresh workspace; returns the plan. */
static void *run_bf16(op_call_t *call, int threads)
{
    void *prepared = NULL;
    char impl[64];
    error_t err = {0};

    call->threads = threads;
    call->workspace_size = 0;
    call->prepared = NULL;
    CHECK(conv_dnnl_prepare(call, &prepared, &err) == STATUS_OK);
    if (!prepared) {
        fprintf(stderr, "prepare: %s\n", err.message);
        return NULL;
    }
    call->prepared = prepared;
    CHECK(!conv_dnnl_describe(call, impl, sizeof impl));
    CHECK(strstr(impl, "bf16") != NULL);
    call->workspace = harness_workspace(call->workspace_size);
    CHECK(conv_dnnl_run(call, &err) == STATUS_OK);
    free(call->workspace);
    call->workspace = NULL;
    return prepared;
}

/*
 * Case t packed in bf16: float X and Y against the reference, then a bf16 Y
 * equal to the float one narrowed, and a bf16 X giving the float run's Y.
 */
static void check_bf16_tensors(const conv_case_t *t, enum epilogue e, int threads, unsigned seed)
{
    conv_data_t d;
    const tensor_t *in[4];
    op_call_t call;
    error_t err = {0};
    void *prepared;
    tensor_t x16, y16;
    uint16_t *want;
    float *y32;
    size_t y_floats;

    assert(!has_sum(e)); /* bf16_out is never set with a sum: the residual path is float32 */
    data_init(&d, t, e, seed);
    call = data_call(&d, e, in, threads);
    call.bf16 = true;
    CHECK(conv_dnnl_pack(&call, &call.state, &err) == STATUS_OK);
    if (!conv_dnnl_packed_bf16(call.state)) {
        printf("no bf16 convolution here (AVX512_BF16 absent or capped): bf16 tensors skipped\n");
        conv_dnnl_release(call.state);
        data_free(&d);
        return;
    }
    /* float32 X and Y: the narrowing run, within bf16's error of the reference */
    prepared = run_bf16(&call, threads);
    check_output(&d, BF16_TOLERANCE, "bf16 layer", t, e, threads);
    conv_dnnl_unprepare(prepared);
    y_floats = (size_t)tensor_numel(&d.y);
    y32 = malloc(y_floats * sizeof *y32);
    assert(y32);
    memcpy(y32, d.y.data, y_floats * sizeof *y32);

    /* a bf16 Y: the float one rounded to nearest even */
    want = malloc(y_floats * sizeof *want);
    y16 = d.y;
    y16.dtype = DTYPE_BFLOAT16;
    y16.data = malloc(y_floats * sizeof *want);
    assert(want && y16.data);
    bf16_from_float_n(y32, want, (int64_t)y_floats, 1);
    d.params.bf16_out = true;
    call.outputs = &y16;
    prepared = run_bf16(&call, threads);
    CHECK(memcmp(y16.data, want, y_floats * sizeof *want) == 0);
    conv_dnnl_unprepare(prepared);

    /* a bf16 X: no narrowing pass, the same Y, bf16 or float32 */
    x16 = d.x;
    x16.dtype = DTYPE_BFLOAT16;
    x16.data = malloc((size_t)tensor_numel(&d.x) * sizeof(uint16_t));
    assert(x16.data);
    bf16_from_float_n(d.x.data, x16.data, tensor_numel(&d.x), 1);
    in[0] = &x16;
    memset(y16.data, 0xff, y_floats * sizeof *want);
    prepared = run_bf16(&call, threads);
    CHECK(memcmp(y16.data, want, y_floats * sizeof *want) == 0);
    conv_dnnl_unprepare(prepared);
    d.params.bf16_out = false;
    call.outputs = &d.y;
    memset(d.y.data, 0xff, y_floats * sizeof *y32);
    prepared = run_bf16(&call, threads);
    CHECK(memcmp(d.y.data, y32, y_floats * sizeof *y32) == 0);
    conv_dnnl_unprepare(prepared);

    conv_dnnl_release(call.state);
    free(y32);
    free(want);
    free(x16.data);
    free(y16.data);
    data_free(&d);
}

int main(void)
{
    unsigned seed = 1;

    for (size_t i = 0; i < N_CASES; i++) {
        check_recovery(&cases[i], (enum epilogue)(i % EPI_COUNT), seed += 7);
        check_recovery(&cases[i], EPI_BIAS_SUM_RELU, seed += 7);
        check_default_pack(&cases[i], (enum epilogue)((i + 3) % EPI_COUNT), seed += 7);
    }
    check_shapes_at_once(seed += 7);
    /* bf16 tensors: ResNet-50's bottleneck 1x1 and a 3x3, the activations fused or not */
    for (size_t i = 0; i < N_CASES; i++)
        check_bf16_tensors(&cases[i], (enum epilogue)(i % 3), 1 + i % 2, seed += 7);
    CHECK_DONE();
}
