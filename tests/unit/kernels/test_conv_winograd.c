/*
 * Unit tests of the channels-last convolution's Winograd path
 * (conv_winograd.c), each tile (F(2x2, 3x3) and F(4x4, 3x3)) forced and
 * the automatic choice, against a naive NHWC loop in double: odd image sizes
 * (a last tile cut by the edge), no, symmetric and asymmetric pads, channel
 * counts off the 8-lane vectors, batch 1 to 3, every epilogue (bias,
 * residual, Relu, Clip, a residual that is the output buffer itself), on 1
 * and 2 threads, and a layer large enough to take several chunks. Then the
 * ConvNHWC kernel as the engine drives it (pack, drop the weights, infer,
 * prepare, run) on layers its dispatcher gives to Winograd. The weight
 * transforms G g G^T are checked on their own too, every ISA variant of
 * both tiles the CPU runs against the matrix products in double, since a
 * vector machine never runs the generic ones inside a convolution; and the
 * input and output transforms of each vector variant against the generic
 * ones, on channel ranges that start and end off a vector (the AVX-512
 * variants' masked last step) with every epilogue and skipped outputs.
 */
#include "conv/conv_winograd.h"
#include "conv_harness.h"
#include "cpu_isa.h"

/* Largest |y - ref| allowed, relative to the largest |ref| before the activation. */
#define TOLERANCE 1e-5
/*
 * The same for F(4x4, 3x3), whose transforms scale by up to 8 (A^T) and 5
 * (B^T) and so round more: its worst here is 2.3e-5 (the 512-channel layer),
 * over the 1e-5 F(2x2, 3x3) meets.
 */
#define TOLERANCE4 5e-5

static size_t workspace_2(const op_call_t *call, const conv_geom_t *g)
{
    return conv_winograd_workspace_tile(call, g, CONV_WINO_TILE_2);
}

static status_t run_2(op_call_t *call, error_t *err)
{
    return conv_winograd_run_tile(call, CONV_WINO_TILE_2, err);
}

static size_t workspace_4(const op_call_t *call, const conv_geom_t *g)
{
    return conv_winograd_workspace_tile(call, g, CONV_WINO_TILE_4);
}

static status_t run_4(op_call_t *call, error_t *err)
{
    return conv_winograd_run_tile(call, CONV_WINO_TILE_4, err);
}

/*
 * Winograd runs from the implicit GEMM's packed weights: each tile, then
 * the automatic choice (F(4x4, 3x3) from 8 of its tiles: here on the
 * large layers).
 */
static const conv_path_t winograd_paths[] = {
    {"winograd F(2x2, 3x3)", conv_gemm_pack, workspace_2, run_2, conv_gemm_release},
    {"winograd F(4x4, 3x3)", conv_gemm_pack, workspace_4, run_4, conv_gemm_release},
    {"winograd", conv_gemm_pack, conv_winograd_workspace, conv_winograd_run, conv_gemm_release},
};
static const double path_tolerance[] = {TOLERANCE, TOLERANCE4, TOLERANCE4};

/* Forcing each tile, or also the automatic choice. */
#define N_TILE_PATHS 2
#define N_PATHS      (sizeof winograd_paths / sizeof winograd_paths[0])

/*
 * The first n Winograd paths directly, on a case they must support, on
 * 1 .. CONV_HARNESS_MAX_THREADS threads; then the ConvNHWC kernel too if
 * asked. One set of operands (one reference) serves every run.
 */
static void check_winograd(const conv_case_t *t, enum epilogue e, unsigned seed, size_t n,
                           bool kernel)
{
    conv_nhwc_params_t p = case_params(t, e);
    int64_t wd[4] = {t->m, t->c, 3, 3};
    tensor_t w = {.dtype = DTYPE_FLOAT, .rank = 4};
    conv_data_t d;

    memcpy(w.dims, wd, sizeof wd);
    CHECK(conv_winograd_supports(&p, &w));
    data_init(&d, t, e, seed);
    for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++) {
        for (size_t i = 0; i < n; i++)
            check_path_on(&winograd_paths[i], path_tolerance[i], t, e, threads, &d);
        if (kernel)
            check_kernel_on(TOLERANCE4, t, e, threads, &d);
    }
    data_free(&d);
}

/* F(2, 3)'s G, as the Winograd literature writes it. */
static const double wino2_g[CONV_WINO_IN * 3] = {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1};

/* F(4, 3)'s G at the points 0, 1, -1, 2, -2 and infinity (conv_winograd4_generic.c). */
static const double wino4_g[CONV_WINO4_IN * 3] = {
    1.0 / 4,  0,        0,       -1.0 / 6, -1.0 / 6,  -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
    1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6,  0,        0,       1};

/* Input channels of the weight transform test: one, and more than a vector's worth. */
#define WEIGHT_TEST_CHANNELS 5

/* fn against G g G^T in double, G having in rows of 3 (row-major in g). */
static void check_weight_transform(conv_winograd_weight_fn fn, int in, const double *g,
                                   const char *what)
{
    int64_t ic = WEIGHT_TEST_CHANNELS, rows = 9 * ic;
    float *taps = harness_random_floats(rows * GEMM_B_PANEL, 11);
    float *out = malloc((size_t)(in * in * ic * GEMM_B_PANEL) * sizeof *out);
    float *u[CONV_WINO_MAX_POINTS];

    CHECK(taps && out);
    for (int xi = 0; xi < in * in; xi++)
        u[xi] = out + xi * ic * GEMM_B_PANEL;
    fn(taps, ic, u);
    for (int64_t c = 0; c < ic; c++)
        for (int l = 0; l < GEMM_B_PANEL; l++)
            for (int i = 0; i < in; i++)
                for (int j = 0; j < in; j++) {
                    double want = 0.0;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            want += g[i * 3 + ky] * g[j * 3 + kx] *
                                    taps[((ky * 3 + kx) * ic + c) * GEMM_B_PANEL + l];
                    if (fabs(u[i * in + j][c * GEMM_B_PANEL + l] - want) > 1e-6) {
                        fprintf(stderr, "%s: point %d,%d channel %lld lane %d\n", what, i, j,
                                (long long)c, l);
                        CHECK(false);
                    }
                }
    free(taps);
    free(out);
}

/* One tile size's input and output transforms (a vector variant's or the generic ones). */
typedef struct transforms {
    const char *what;
    int in, out;
    conv_winograd_input_fn input;
    conv_winograd_output_fn output;
} transforms_t;

/* Channels of the transform comparison: past two 16-lane vectors plus a tail. */
#define TRANSFORM_TEST_CHANNELS 45
/* Largest difference to the generic transforms allowed (FMA rounds differently). */
#define TRANSFORM_TOLERANCE 1e-5f

/* Channel ranges [c0, c1) compared: whole vectors, a tail only, both ends off a vector. */
static const int64_t transform_ranges[][2] = {{0, 32}, {0, 7}, {3, 45}, {17, 40}};

static void check_close(const float *got, const float *want, int64_t n, const char *what,
                        const char *part)
{
    for (int64_t i = 0; i < n; i++)
        if (fabsf(got[i] - want[i]) > TRANSFORM_TOLERANCE * (1.0f + fabsf(want[i]))) {
            fprintf(stderr, "%s: %s float %lld: %g, generic %g\n", what, part, (long long)i,
                    (double)got[i], (double)want[i]);
            CHECK(false);
        }
}

/*
 * v's input and output transforms against ref's (the generic ones of the
 * same tile) on the same data: outputs outside [c0, c1) must stay as they
 * were (a masked tail writes nothing past c1), every epilogue, the
 * residual read from the output itself for odd outputs, and output 1
 * skipped (NULL, past the image's edge).
 */
static void check_transforms(const transforms_t *v, const transforms_t *ref, unsigned seed)
{
    int64_t nc = TRANSFORM_TEST_CHANNELS, points = v->in * v->in, outs = v->out * v->out;
    float *src = harness_random_floats(points * nc, seed);
    float *m = harness_random_floats(points * nc, seed + 1);
    float *bias = harness_random_floats(nc, seed + 2);
    float *res = harness_random_floats(outs * nc, seed + 3);
    float *got = malloc((size_t)(points * nc) * sizeof *got);
    float *want = malloc((size_t)(points * nc) * sizeof *want);
    const float *rows[CONV_WINO_MAX_POINTS];

    CHECK(src && m && bias && res && got && want);
    for (int i = 0; i < points; i++)
        rows[i] = src + i * nc;
    for (size_t ri = 0; ri < sizeof transform_ranges / sizeof transform_ranges[0]; ri++) {
        int64_t c0 = transform_ranges[ri][0], c1 = transform_ranges[ri][1];
        /* Input: point xi of channel c at [xi * nc + c]; untouched floats keep the fill. */
        for (int64_t i = 0; i < points * nc; i++)
            got[i] = want[i] = -7.0f;
        v->input(rows, c0, c1, got, nc);
        ref->input(rows, c0, c1, want, nc);
        check_close(got, want, points * nc, v->what, "input transform");
        for (int act = CONV_ACTIVATION_NONE; act <= CONV_ACTIVATION_CLIP; act++) {
            conv_winograd_epilogue_t ep = {
                .bias = bias, .act = (conv_activation_t)act, .clip_min = -0.5f, .clip_max = 0.7f};
            float *out_got[CONV_WINO_MAX_OUTPUTS], *out_want[CONV_WINO_MAX_OUTPUTS];
            const float *res_got[CONV_WINO_MAX_OUTPUTS], *res_want[CONV_WINO_MAX_OUTPUTS];
            for (int q = 0; q < outs; q++) {
                bool skipped = q == 1, in_place = q % 2 == 1;
                for (int64_t c = 0; c < nc; c++)
                    got[q * nc + c] = want[q * nc + c] = in_place ? res[q * nc + c] : -7.0f;
                out_got[q] = skipped ? NULL : got + q * nc;
                out_want[q] = skipped ? NULL : want + q * nc;
                res_got[q] = in_place                      ? out_got[q]
                             : act == CONV_ACTIVATION_RELU ? NULL
                                                           : res + q * nc;
                res_want[q] = in_place ? out_want[q] : res_got[q];
            }
            v->output(m, nc, c0, c1, &ep, out_got, res_got);
            ref->output(m, nc, c0, c1, &ep, out_want, res_want);
            check_close(got, want, outs * nc, v->what, "output transform");
        }
    }
    free(src);
    free(m);
    free(bias);
    free(res);
    free(got);
    free(want);
}

static const transforms_t wino2_generic = {"generic F(2x2, 3x3)", CONV_WINO_IN, CONV_WINO_OUT,
                                           conv_winograd_input_generic,
                                           conv_winograd_output_generic};
static const transforms_t wino4_generic = {"generic F(4x4, 3x3)", CONV_WINO4_IN, CONV_WINO4_OUT,
                                           conv_winograd4_input_generic,
                                           conv_winograd4_output_generic};
static const transforms_t vector_transforms[][2] = {
    {{"avx2 F(2x2, 3x3)", CONV_WINO_IN, CONV_WINO_OUT, conv_winograd_input_avx2,
      conv_winograd_output_avx2},
     {"avx512 F(2x2, 3x3)", CONV_WINO_IN, CONV_WINO_OUT, conv_winograd_input_avx512,
      conv_winograd_output_avx512}},
    {{"avx2 F(4x4, 3x3)", CONV_WINO4_IN, CONV_WINO4_OUT, conv_winograd4_input_avx2,
      conv_winograd4_output_avx2},
     {"avx512 F(4x4, 3x3)", CONV_WINO4_IN, CONV_WINO4_OUT, conv_winograd4_input_avx512,
      conv_winograd4_output_avx512}},
};

/* Image sizes and pads every channel pairing below is run with. */
static const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13};
static const int64_t pad_sets[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 0, 1, 2}, {0, 1, 2, 1}};
static const int64_t channels[][2] = {{1, 1}, {3, 5}, {8, 8}, {17, 9}, {5, 17}, {64, 24}};

/*
 * Layers the kernel test runs, one that takes many chunks, two too wide
 * for their transforms to fit the cap at once: the first, of few tiles,
 * runs panel by panel (a last short panel of 12 channels), the second on
 * F(2x2, 3x3) has too many tiles for that and runs in two blocks of output
 * channels (128 and a last short one); and images large enough for the
 * automatic choice to take F(4x4, 3x3), their edges not multiples of 4;
 * and one whose V is too large to run panel by panel and whose 49 tiles
 * split unevenly in chunks, which 2 threads share point by point.
 */
static const conv_case_t layers[] = {
    {2, 512, 140, 6, 5, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 512, 140, 24, 23, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 24, 40, 57, 57, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 64, 32, 30, 30, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 128, 136, 28, 30, 3, 3, {1, 1}, {1, 1}, {0, 1, 1, 0}},
    {1, 64, 64, 14, 14, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 32, 48, 9, 11, 3, 3, {1, 1}, {1, 1}, {1, 0, 0, 1}},
    {3, 16, 16, 13, 7, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 40, 72, 31, 29, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 640, 24, 27, 27, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
};

#define N_SIZES    (sizeof sizes / sizeof sizes[0])
#define N_PAD_SETS (sizeof pad_sets / sizeof pad_sets[0])
#define N_CHANNELS (sizeof channels / sizeof channels[0])
#define N_LAYERS   (sizeof layers / sizeof layers[0])

int main(void)
{
    unsigned seed = 1, round = 0;

    check_weight_transform(conv_winograd_weight_generic, CONV_WINO_IN, wino2_g,
                           "generic F(2x2, 3x3) weight transform");
    check_weight_transform(conv_winograd4_weight_generic, CONV_WINO4_IN, wino4_g,
                           "generic F(4x4, 3x3) weight transform");
    if (cpu_isa() >= CPU_ISA_AVX2)
        check_weight_transform(conv_winograd_weight_avx2, CONV_WINO_IN, wino2_g,
                               "avx2 F(2x2, 3x3) weight transform");
    if (cpu_isa() >= CPU_ISA_AVX2)
        check_weight_transform(conv_winograd4_weight_avx2, CONV_WINO4_IN, wino4_g,
                               "avx2 F(4x4, 3x3) weight transform");
    if (cpu_isa() >= CPU_ISA_AVX512) {
        check_weight_transform(conv_winograd_weight_avx512, CONV_WINO_IN, wino2_g,
                               "avx512 F(2x2, 3x3) weight transform");
        check_weight_transform(conv_winograd4_weight_avx512, CONV_WINO4_IN, wino4_g,
                               "avx512 F(4x4, 3x3) weight transform");
    }
    /* [tile][0] is the AVX2 variant, [tile][1] the AVX-512 one. */
    for (int tile = 0; tile < 2; tile++) {
        const transforms_t *ref = tile == 0 ? &wino2_generic : &wino4_generic;
        if (cpu_isa() >= CPU_ISA_AVX2)
            check_transforms(&vector_transforms[tile][0], ref, seed += 7);
        if (cpu_isa() >= CPU_ISA_AVX512)
            check_transforms(&vector_transforms[tile][1], ref, seed += 7);
    }

    for (size_t ci = 0; ci < N_CHANNELS; ci++)
        for (size_t pi = 0; pi < N_PAD_SETS; pi++)
            for (size_t hi = 0; hi < N_SIZES; hi++) {
                /* Width and batch vary with the height, so every size meets several. */
                conv_case_t t = {.n = 1 + (int64_t)(round % 3),
                                 .c = channels[ci][0],
                                 .m = channels[ci][1],
                                 .h = sizes[hi],
                                 .w = sizes[(hi + pi + ci) % N_SIZES],
                                 .kh = 3,
                                 .kw = 3,
                                 .stride = {1, 1},
                                 .dilation = {1, 1}};
                memcpy(t.pads, pad_sets[pi], sizeof t.pads);
                round++;
                if (case_oh(&t) < 1 || case_ow(&t) < 1)
                    continue;
                check_winograd(&t, (enum epilogue)(round % EPI_COUNT), seed += 7, N_TILE_PATHS,
                               false);
            }
    for (size_t i = 0; i < N_LAYERS; i++)
        for (int e = 0; e < EPI_COUNT; e++)
            check_winograd(&layers[i], (enum epilogue)e, seed += 7, N_PATHS, true);
    CHECK_DONE();
}
