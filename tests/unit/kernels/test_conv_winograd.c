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
#include "conv_harness.h"

/* Largest |y - ref| allowed, relative to the largest |ref| before the activation. */
#define TOLERANCE 1e-5

static const conv_path_t winograd_path = {"winograd path", conv_winograd_pack,
                                          conv_winograd_workspace, conv_winograd_run,
                                          conv_winograd_release};

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

/* Image sizes and pads every channel pairing below is run with. */
static const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 13};
static const int64_t pad_sets[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 0, 1, 2}, {0, 1, 2, 1}};
static const int64_t channels[][2] = {{1, 1}, {3, 5}, {8, 8}, {17, 9}, {5, 17}, {64, 24}};

/* Layers the kernel test runs, and one that takes many chunks. */
static const conv_case_t layers[] = {
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
