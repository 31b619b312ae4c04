/*
 * Unit tests of the channels-last convolution's Winograd F(2x2, 3x3) path
 * (conv_winograd.c) against a naive NHWC loop in double: odd image sizes
 * (a last tile cut by the edge), no, symmetric and asymmetric pads, channel
 * counts off the 8-lane vectors, batch 1 to 3, every epilogue (bias,
 * residual, Relu, Clip, a residual that is the output buffer itself), on 1
 * and 2 threads, and a layer large enough to take several chunks. Then the
 * ConvNHWC kernel as the engine drives it (pack, drop the weights, infer,
 * prepare, run) on layers its dispatcher gives to Winograd. The weight
 * transform G g G^T is checked on its own too, both ISA variants against
 * the matrix products in double, since the AVX2 machine never runs the
 * generic one inside a convolution.
 */
#include "conv/conv_winograd.h"
#include "conv_harness.h"

/* Largest |y - ref| allowed, relative to the largest |ref| before the activation. */
#define TOLERANCE 1e-5

/* Winograd runs from the implicit GEMM's packed weights. */
static const conv_path_t winograd_path = {"winograd path", conv_gemm_pack, conv_winograd_workspace,
                                          conv_winograd_run, conv_gemm_release};

/* The Winograd path directly, on a case it must support. */
static void check_winograd(const conv_case_t *t, enum epilogue e, int threads, unsigned seed)
{
    conv_nhwc_params_t p = case_params(t, e);
    int64_t wd[4] = {t->m, t->c, 3, 3};
    tensor_t w = {.dtype = DTYPE_FLOAT, .rank = 4};

    memcpy(w.dims, wd, sizeof wd);
    CHECK(conv_winograd_supports(&p, &w));
    check_path(&winograd_path, TOLERANCE, t, e, threads, seed);
}

/* F(2, 3)'s G, as the Winograd literature writes it. */
static const double wino_g[CONV_WINO_IN][3] = {
    {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

/* Input channels of the weight transform test: one, and more than a vector's worth. */
#define WEIGHT_TEST_CHANNELS 5

static void check_weight_transform(conv_winograd_weight_fn fn, const char *what)
{
    int64_t ic = WEIGHT_TEST_CHANNELS, rows = 9 * ic;
    float *taps = harness_random_floats(rows * GEMM_B_PANEL, 11);
    float *out = malloc((size_t)(CONV_WINO_POINTS * ic * GEMM_B_PANEL) * sizeof *out);
    float *u[CONV_WINO_POINTS];

    CHECK(taps && out);
    for (int xi = 0; xi < CONV_WINO_POINTS; xi++)
        u[xi] = out + xi * ic * GEMM_B_PANEL;
    fn(taps, ic, u);
    for (int64_t c = 0; c < ic; c++)
        for (int l = 0; l < GEMM_B_PANEL; l++)
            for (int i = 0; i < CONV_WINO_IN; i++)
                for (int j = 0; j < CONV_WINO_IN; j++) {
                    double want = 0.0;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            want += wino_g[i][ky] * wino_g[j][kx] *
                                    taps[((ky * 3 + kx) * ic + c) * GEMM_B_PANEL + l];
                    if (fabs(u[i * CONV_WINO_IN + j][c * GEMM_B_PANEL + l] - want) > 1e-6) {
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
 * Layers the kernel test runs, one that takes many chunks, and one too wide
 * for its transforms to fit the cap at once (two blocks of output
 * channels: 128 and a last short one).
 */
static const conv_case_t layers[] = {
    {2, 512, 140, 6, 5, 3, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
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

    check_weight_transform(conv_winograd_weight_generic, "generic weight transform");
    if (__builtin_cpu_supports("avx2"))
        check_weight_transform(conv_winograd_weight_avx2, "avx2 weight transform");

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
                    check_winograd(&t, (enum epilogue)(round % EPI_COUNT), threads, seed += 7);
            }
    for (size_t i = 0; i < N_LAYERS; i++)
        for (int e = 0; e < EPI_COUNT; e++)
            for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++) {
                check_winograd(&layers[i], (enum epilogue)e, threads, seed += 7);
                check_kernel(TOLERANCE, &layers[i], (enum epilogue)e, threads, seed += 7);
            }
    CHECK_DONE();
}
