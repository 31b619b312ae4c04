/*
 * test_dropout.c - Dropout: inference mode passes the input through with an
 * all-true mask; training mode keeps each element with probability
 * 1 - ratio, scales it by 1 / (1 - ratio), and its mask says which it kept;
 * a seed fixes the draws, and a ratio outside [0, 1) is refused.
 */
#include <math.h>

#include "op_harness.h"

#define N 20000

static float x_data[N];

/* Runs Dropout-13 on x with ratio and training_mode as inputs; out has y and the mask. */
static status_t run_dropout(float ratio, bool training, const attr_t *attrs, size_t n_attrs,
                            tensor_t out[2], error_t *err)
{
    const int64_t dims[1] = {N};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 1, dims, x_data);
    tensor_t r = harness_tensor(DTYPE_FLOAT, 0, NULL, &ratio);
    tensor_t t = harness_tensor(DTYPE_BOOL, 0, NULL, &training);
    const tensor_t *in[3] = {&x, &r, &t};

    return harness_run_runtime("Dropout", 13, attrs, n_attrs, 3, in, 2, out, err);
}

static void test_inference(void)
{
    tensor_t out[2];
    error_t err;
    bool same = true;

    CHECK(run_dropout(0.5f, false, NULL, 0, out, &err) == STATUS_OK);
    for (int i = 0; i < N && out[0].data; i++)
        same &= ((float *)out[0].data)[i] == x_data[i] && ((bool *)out[1].data)[i];
    CHECK(same);
    harness_free(out, 2);
}

static void test_training(void)
{
    const float ratio = 0.3f, scale = 1.0f / (1.0f - ratio);
    tensor_t out[2];
    error_t err;
    int dropped = 0, inconsistent = 0;

    CHECK(run_dropout(ratio, true, NULL, 0, out, &err) == STATUS_OK);
    for (int i = 0; i < N && out[0].data; i++) {
        const float y = ((float *)out[0].data)[i];
        const bool kept = ((bool *)out[1].data)[i];
        dropped += !kept;
        inconsistent += kept ? y != x_data[i] * scale : y != 0.0f;
    }
    CHECK(inconsistent == 0);
    /* Binomial(20000, 0.3): the standard deviation is about 65 elements. */
    CHECK(abs(dropped - (int)(ratio * N)) < 400);
    harness_free(out, 2);
}

static void test_seed(void)
{
    const attr_t seed = harness_int_attr("seed", 7);
    tensor_t a[2], b[2], c[2];
    error_t err;

    CHECK(run_dropout(0.5f, true, &seed, 1, a, &err) == STATUS_OK);
    CHECK(run_dropout(0.5f, true, &seed, 1, b, &err) == STATUS_OK);
    CHECK(run_dropout(0.5f, true, NULL, 0, c, &err) == STATUS_OK);
    if (a[1].data && b[1].data && c[1].data) {
        CHECK(memcmp(a[1].data, b[1].data, N) == 0);
        CHECK(memcmp(a[1].data, c[1].data, N) != 0);
    }
    harness_free(a, 2);
    harness_free(b, 2);
    harness_free(c, 2);
}

static void test_ratio_refused(void)
{
    tensor_t out[2];
    error_t err;

    CHECK_FAILS(run_dropout(1.0f, true, NULL, 0, out, &err), err, STATUS_INVALID_ARGUMENT,
                "Dropout node 'n0'", "ratio 1 is outside [0, 1)");
    /* Inference mode ignores the ratio. */
    CHECK(run_dropout(1.0f, false, NULL, 0, out, &err) == STATUS_OK);
    harness_free(out, 2);
}

int main(void)
{
    for (int i = 0; i < N; i++)
        x_data[i] = (float)(i % 97) - 48.5f;
    test_inference();
    test_training();
    test_seed();
    test_ratio_refused();
    CHECK_DONE();
}
