/*
 * Unit tests of the FFT under DFT and STFT and of Einsum's two paths:
 * signal_fft_run against a direct O(n^2) DFT for every length up to 70
 * and a few long prime and power-of-two ones (radix-2 and Bluestein),
 * forward and inverse; Einsum's matmul lowering against its strided walk
 * for float32 equations with batch, broadcast and diagonal labels; and the
 * refusals of malformed equations.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "einsum/einsum.h"
#include "op_harness.h"
#include "signal/signal.h"

static void naive_dft(const double *x, double *y, int64_t n, bool inverse)
{
    const double pi = 3.14159265358979323846;

    for (int64_t k = 0; k < n; k++) {
        double re = 0, im = 0;
        for (int64_t j = 0; j < n; j++) {
            const double a = (inverse ? 2 : -2) * pi * (double)((j * k) % n) / (double)n;
            re += x[2 * j] * cos(a) - x[2 * j + 1] * sin(a);
            im += x[2 * j] * sin(a) + x[2 * j + 1] * cos(a);
        }
        y[2 * k] = inverse ? re / (double)n : re;
        y[2 * k + 1] = inverse ? im / (double)n : im;
    }
}

static void check_fft_length(int64_t n)
{
    double *scratch = malloc(signal_fft_doubles(n) * sizeof(double));
    double *x = malloc(2 * (size_t)n * sizeof(double)), *y = malloc(2 * (size_t)n * sizeof(double));
    float *r = harness_random_floats(2 * n, (unsigned)n);
    signal_fft_t f;

    signal_fft_init(&f, n, scratch);
    for (int inverse = 0; inverse < 2; inverse++) {
        double worst = 0, scale = 0;
        for (int64_t i = 0; i < 2 * n; i++)
            x[i] = r[i];
        naive_dft(x, y, n, inverse);
        signal_fft_run(&f, x, inverse);
        for (int64_t i = 0; i < 2 * n; i++) {
            worst = fmax(worst, fabs(x[i] - y[i]));
            scale = fmax(scale, fabs(y[i]));
        }
        if (!(worst <= 1e-9 * fmax(scale, 1.0)))
            fprintf(stderr, "length %lld inverse %d: max error %g\n", (long long)n, inverse, worst);
        CHECK(worst <= 1e-9 * fmax(scale, 1.0));
    }
    free(scratch);
    free(x);
    free(y);
    free(r);
}

static void test_fft(void)
{
    static const int64_t long_lengths[] = {97, 128, 250, 256, 1009, 1024};

    for (int64_t n = 1; n <= 70; n++)
        check_fft_length(n);
    for (size_t i = 0; i < sizeof long_lengths / sizeof long_lengths[0]; i++)
        check_fft_length(long_lengths[i]);
}

/* Runs equation through the harness (the matmul lowering when it applies) and the walk. */
static void check_einsum(const char *equation, const tensor_t *a, const tensor_t *b,
                         bool expect_gemm)
{
    const attr_t attr = harness_string_attr("equation", equation);
    const tensor_t *in[2] = {a, b};
    const void *data[2] = {a->data, b->data};
    const op_schema_t *schema = op_registry_find("Einsum", 12);
    const attrs_t attrs = {&attr, 1};
    const op_adapt_t adapt = {"Einsum", HARNESS_NODE, 12, &attrs, 2, 1};
    einsum_params_t params;
    op_call_t call = {.op_type = "Einsum",
                      .node = HARNESS_NODE,
                      .params = &params,
                      .n_inputs = 2,
                      .inputs = in,
                      .n_outputs = 1};
    einsum_plan_t plan;
    tensor_t out, shape;
    error_t err;
    float *walk;

    CHECK(schema && schema->adapt(&adapt, &params, &err) == STATUS_OK);
    CHECK(einsum_resolve(&call, &plan, &shape, &err) == STATUS_OK);
    CHECK(plan.gemm == expect_gemm);
    CHECK(harness_run("Einsum", 12, &attr, 1, 2, in, 1, &out, &err) == STATUS_OK);
    walk = malloc(tensor_bytes(&shape) + 1);
    einsum_walk(&plan, DTYPE_FLOAT, data, walk);
    for (int64_t i = 0; out.data && i < tensor_numel(&shape); i++)
        CHECK_NEAR(((float *)out.data)[i], walk[i], 1e-4 * (1 + fabs(walk[i])));
    free(walk);
    harness_free(&out, 1);
}

static void test_einsum_paths(void)
{
    float *a = harness_random_floats(2 * 3 * 4 * 5, 1), *b = harness_random_floats(4 * 5 * 6, 2);
    tensor_t a345 = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){3, 4, 5}, a);
    tensor_t b356 = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){3, 5, 6}, b);
    tensor_t a2345 = harness_tensor(DTYPE_FLOAT, 4, (int64_t[]){2, 3, 4, 5}, a);
    tensor_t b156 = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){1, 5, 6}, b);
    tensor_t a44 = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){4, 4}, a);
    tensor_t b45 = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){4, 5}, b);
    tensor_t a34 = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){3, 4}, a);

    check_einsum("bij,bjk->bik", &a345, &b356, true);
    check_einsum("bij,bjk->kib", &a345, &b356, true);
    check_einsum("...ij,...jk->...ik", &a2345, &b156, true); /* broadcast batch */
    check_einsum("ii,ij->ji", &a44, &b45, true);             /* diagonal operand */
    check_einsum("ij,jk->ik", &a34, &b45, true);             /* plain matrix product */
    check_einsum("ij,jk->i", &a44, &b45, false);             /* k summed in B alone */
    free(a);
    free(b);
}

static void test_einsum_refusals(void)
{
    float v[4] = {0};
    tensor_t t = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 2}, v);
    tensor_t t3 = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 3}, v);
    const tensor_t *one_in[1] = {&t}, *two_in[2] = {&t3, &t};
    static const char *const bad[] = {"i.j->i", "ij->ii", "ij->k", "i1", "..i", "ij-i"};
    tensor_t out;
    error_t err;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const attr_t attr = harness_string_attr("equation", bad[i]);
        status_t st = harness_run("Einsum", 12, &attr, 1, 1, one_in, 1, &out, &err);
        CHECK(st == STATUS_INVALID_MODEL || st == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "Einsum") != NULL);
        harness_free(&out, 1);
    }
    {
        const attr_t attr = harness_string_attr("equation", "ij,jk->ik");
        CHECK_FAILS(harness_run("Einsum", 12, &attr, 1, 2, two_in, 1, &out, &err), err,
                    STATUS_INVALID_ARGUMENT, "Einsum", "label 'j' has size 2");
    }
}

int main(void)
{
    test_fft();
    test_einsum_paths();
    test_einsum_refusals();
    CHECK_DONE();
}
