/*
 * Unit tests of the channels-last convolution's implicit-GEMM path
 * (conv_gemm.c) against a naive NHWC loop: kernel sizes 1 to 7, strides,
 * symmetric and asymmetric pads, dilations, odd channel counts, batch > 1,
 * every epilogue (bias, residual, Relu, Clip, a residual that is the output
 * buffer itself), on 1 and 2 threads. Then the ConvNHWC kernel as the
 * engine drives it (pack, drop the weights, infer, prepare, run), whichever
 * implementation it picks, and the pointwise layers it gives the GEMM on
 * AVX-512 (conv_nhwc.c's pointwise_on_gemm) with every epilogue.
 */
#include "conv_harness.h"

#include "cpu_isa.h"

/* Largest |y - ref| allowed, relative to the largest |ref| before the activation. */
#define TOLERANCE 1e-5

static const conv_path_t gemm_path = {"gemm path", conv_gemm_pack, conv_gemm_workspace,
                                      conv_gemm_run, conv_gemm_release};

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

/*
 * Pointwise layers ConvNHWC runs on the GEMM on AVX-512 and on oneDNN
 * below: reducing channels from 256, expanding from 512, strided (with
 * fewer channels, and on a batch of 2).
 */
static const conv_case_t pointwise_cases[] = {
    {1, 256, 40, 6, 5, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},
    {1, 512, 536, 3, 4, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},
    {2, 24, 40, 9, 7, 1, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}},
};

#define N_POINTWISE (sizeof pointwise_cases / sizeof pointwise_cases[0])

/* The implementation ConvNHWC picks for case t starts with want (its describe name). */
static void check_route(const conv_case_t *t, const char *want)
{
    const op_kernel_t *k = &conv_nhwc_kernel;
    const tensor_t *in[4];
    char impl[OP_IMPL_MAX];
    void *prepared = NULL;
    error_t err = {0};
    conv_data_t d;
    op_call_t call;
    void *y_data;

    data_init(&d, t, EPI_BIAS, 1);
    call = data_call(&d, EPI_BIAS, in, 1);
    CHECK(k->pack(&call, &call.state, &err) == STATUS_OK);
    y_data = d.y.data;
    CHECK(k->infer(&call, &err) == STATUS_OK);
    d.y.data = y_data;
    CHECK(k->prepare(&call, &prepared, &err) == STATUS_OK);
    call.prepared = prepared;
    CHECK(!k->describe(&call, impl, sizeof impl));
    if (strncmp(impl, want, strlen(want)) != 0)
        fprintf(stderr, "pointwise %lldx%lld: %s, expected %s\n", (long long)t->c, (long long)t->m,
                impl, want);
    CHECK(strncmp(impl, want, strlen(want)) == 0);
    k->unprepare(prepared);
    k->release(call.state);
    data_free(&d);
}

int main(void)
{
    unsigned seed = 1;

    for (size_t i = 0; i < N_CASES; i++)
        for (int e = 0; e < EPI_COUNT; e++)
            for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++)
                check_path(&gemm_path, TOLERANCE, &cases[i], (enum epilogue)e, threads, seed += 7);
    for (size_t i = 0; i < N_CASES; i++)
        for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++)
            check_kernel(TOLERANCE, &cases[i], (enum epilogue)(i % EPI_COUNT), threads, seed += 7);
    for (size_t i = 0; i < N_POINTWISE; i++) {
        check_route(&pointwise_cases[i],
                    cpu_isa() >= CPU_ISA_AVX512 ? "inferd implicit gemm" : "onednn");
        for (int e = 0; e < EPI_COUNT; e++)
            for (int threads = 1; threads <= CONV_HARNESS_MAX_THREADS; threads++)
                check_kernel(TOLERANCE, &pointwise_cases[i], (enum epilogue)e, threads, seed += 7);
    }
    CHECK_DONE();
}
