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
 * transforms G g G^T are checked on their own too, both ISA variants of
 * both tiles against the matrix products in double, since the AVX2 machine
 * never runs the generic ones inside a convolution.
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
 * the automatic choice (F(4x4, 3x3) from 48 of its tiles: here only on
 * the large layers).
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

/* The first n Winograd paths directly, on a case they must support. */
static void check_winograd(const conv_case_t *t, enum epilogue e, int threads, unsigned seed,
                           size_t n)
{
    conv_nhwc_params_t p = case_params(t, e);
    int64_t wd[4] = {t->m, t->c, 3, 3};
    tensor_t w = {.dtype = DTYPE_FLOAT, .rank = 4};

    memcpy(w.dims, wd, sizeof wd);
    CHECK(conv_winograd_supports(&p, &w));
    for (size_t i = 0; i < n; i++)
        check_path(&winograd_paths[i], path_tolerance[i], t, e, threads, seed);
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

/* Image sizes and pads every channel pairing below is run with. */
static const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13};
static const int64_t pad_sets[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 0, 1, 2}, {0, 1, 2, 1}};
static const int64_t channels[][2] = {{1, 1}, {3, 5}, {8, 8}, {17, 9}, {5, 17}, {64, 24}};

/*
 * Layers the kernel test runs, one that takes many chunks, one too wide
 * for its transforms to fit the cap at once (two blocks of output
 * channels: 128 and a last short one), and images large enough for the
 * automatic choice to take F(4x4, 3x3), their edges not multiples of 4.
 */
static const conv_case_t layers[] = {
    {2, 512, 140, 6, 5, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 24, 40, 57, 57, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 64, 32, 30, 30, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {1, 128, 136, 28, 30, 3, 3, {1, 1}, {1, 1}, {0, 1, 1, 0}},
    {1, 64, 64, 14, 14, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 32, 48, 9, 11, 3, 3, {1, 1}, {1, 1}, {1, 0, 0, 1}},
    {3, 16, 16, 13, 7, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
    {2, 40, 72, 31, 29, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
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
                for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++)
                    check_winograd(&t, (enum epilogue)(round % EPI_COUNT), threads, seed += 7,
                                   N_TILE_PATHS);
            }
    for (size_t i = 0; i < N_LAYERS; i++)
        for (int e = 0; e < EPI_COUNT; e++)
            for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++) {
                check_winograd(&layers[i], (enum epilogue)e, threads, seed += 7, N_PATHS);
                check_kernel(TOLERANCE4, &layers[i], (enum epilogue)e, threads, seed += 7);
            }
    CHECK_DONE();
}
