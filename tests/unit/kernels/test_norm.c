/*
 * Unit tests of the norm family against naive references: BatchNormalization
 * (per-channel and the legacy spatial=0 form), InstanceNormalization,
 * LayerNormalization with broadcast Scale/B and its Mean/InvStdDev outputs,
 * GroupNormalization (scale and bias per group at 18, per channel at 21);
 * training-mode rejection and prototype failure messages.
 */
#include "norm/norm.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define MAX_IO 5

static void fill(float *v, int64_t n, unsigned seed, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = lo + (hi - lo) * (float)((seed >> 16) % 10001) / 10000.0f;
    }
}

static void test_batchnorm(void)
{
    enum { N = 2, C = 3, S = 20 };
    float x[N * C * S], scale[C * S], bias[C * S], mean[C * S], var[C * S];
    const attr_t eps = {.name = "epsilon", .type = ATTR_FLOAT, .f = 1e-3f};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){N, C, 4, 5}, x);
    error_t err = {0};
    tensor_t y;

    fill(x, N * C * S, 1, -3.0f, 3.0f);
    fill(scale, C * S, 2, 0.5f, 2.0f);
    fill(bias, C * S, 3, -1.0f, 1.0f);
    fill(mean, C * S, 4, -1.0f, 1.0f);
    fill(var, C * S, 5, 0.1f, 2.0f);
    /* Per channel, at the opsets of each attribute form. */
    static const int opsets[] = {6, 7, 9, 15};
    for (size_t o = 0; o < sizeof opsets / sizeof opsets[0]; o++) {
        tensor_t tv[4];
        float *vals[] = {scale, bias, mean, var};
        for (int i = 0; i < 4; i++)
            tv[i] = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){C}, vals[i]);
        const tensor_t *in[] = {&tx, &tv[0], &tv[1], &tv[2], &tv[3]};
        CHECK(harness_run_runtime("BatchNormalization", opsets[o], &eps, 1, 5, in, 1, &y, &err) ==
              STATUS_OK);
        for (int i = 0; i < N * C * S; i++) {
            int c = (i / S) % C;
            double ref = (x[i] - mean[c]) / sqrt(var[c] + 1e-3) * scale[c] + bias[c];
            CHECK_NEAR(((float *)y.data)[i], ref, 1e-5);
        }
        free(y.data);
    }
    /* Legacy spatial=0: statistics per C x H x W element. */
    {
        const attr_t attrs[] = {eps, {.name = "spatial", .type = ATTR_INT, .i = 0}};
        tensor_t tv[4];
        float *vals[] = {scale, bias, mean, var};
        for (int i = 0; i < 4; i++)
            tv[i] = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){C, 4, 5}, vals[i]);
        const tensor_t *in[] = {&tx, &tv[0], &tv[1], &tv[2], &tv[3]};
        CHECK(harness_run_runtime("BatchNormalization", 7, attrs, 2, 5, in, 1, &y, &err) ==
              STATUS_OK);
        for (int i = 0; i < N * C * S; i++) {
            int e = i % (C * S);
            double ref = (x[i] - mean[e]) / sqrt(var[e] + 1e-3) * scale[e] + bias[e];
            CHECK_NEAR(((float *)y.data)[i], ref, 1e-5);
        }
        free(y.data);
    }
}

static void test_instancenorm(void)
{
    enum { N = 2, C = 3, S = 30 };
    float x[N * C * S], scale[C], bias[C];
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){N, C, S}, x);
    tensor_t ts = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){C}, scale);
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){C}, bias);
    const tensor_t *in[] = {&tx, &ts, &tb};
    error_t err = {0};
    tensor_t y;

    /* A large common offset checks the variance does not cancel away. */
    fill(x, N * C * S, 9, 1000.0f, 1002.0f);
    fill(scale, C, 10, 0.5f, 2.0f);
    fill(bias, C, 11, -1.0f, 1.0f);
    CHECK(harness_run_runtime("InstanceNormalization", 6, NULL, 0, 3, in, 1, &y, &err) ==
          STATUS_OK);
    for (int r = 0; r < N * C; r++) {
        double mean = 0.0, var = 0.0;
        for (int s = 0; s < S; s++)
            mean += x[r * S + s];
        mean /= S;
        for (int s = 0; s < S; s++)
            var += (x[r * S + s] - mean) * (x[r * S + s] - mean);
        var /= S;
        for (int s = 0; s < S; s++) {
            double ref = (x[r * S + s] - mean) / sqrt(var + 1e-5) * scale[r % C] + bias[r % C];
            CHECK_NEAR(((float *)y.data)[r * S + s], ref, 1e-4);
        }
    }
    free(y.data);
}

static void test_layernorm(void)
{
    enum { A = 2, B = 3, D = 4, INNER = B * D };
    float x[A * INNER], scale[D], bias[INNER];
    const attr_t attrs[] = {{.name = "axis", .type = ATTR_INT, .i = -2},
                            {.name = "epsilon", .type = ATTR_FLOAT, .f = 1e-2f}};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){A, B, D}, x);
    /* Scale [1,4] broadcasts over the normalised [3,4]; B is full size. */
    tensor_t ts = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){1, D}, scale);
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){B, D}, bias);
    error_t err = {0};
    tensor_t out[3];

    fill(x, A * INNER, 21, -2.0f, 2.0f);
    fill(scale, D, 22, 0.5f, 2.0f);
    fill(bias, INNER, 23, -1.0f, 1.0f);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const tensor_t *in[] = {&tx, &ts, &tb};
        CHECK(harness_run_runtime("LayerNormalization", 17, attrs, 2, with_bias ? 3 : 2, in, 3, out,
                                  &err) == STATUS_OK);
        CHECK(out[1].rank == 3 && out[1].dims[0] == A && out[1].dims[1] == 1 &&
              out[1].dims[2] == 1);
        CHECK(out[2].dtype == DTYPE_FLOAT && tensor_numel(&out[2]) == A);
        for (int r = 0; r < A; r++) {
            double mean = 0.0, var = 0.0;
            for (int j = 0; j < INNER; j++)
                mean += x[r * INNER + j];
            mean /= INNER;
            for (int j = 0; j < INNER; j++)
                var += (x[r * INNER + j] - mean) * (x[r * INNER + j] - mean);
            var /= INNER;
            double inv = 1.0 / sqrt(var + 1e-2);
            CHECK_NEAR(((float *)out[1].data)[r], mean, 1e-5);
            CHECK_NEAR(((float *)out[2].data)[r], inv, 1e-5);
            for (int j = 0; j < INNER; j++) {
                double ref = (x[r * INNER + j] - mean) * inv * scale[j % D];
                if (with_bias)
                    ref += bias[j];
                CHECK_NEAR(((float *)out[0].data)[r * INNER + j], ref, 1e-5);
            }
        }
        harness_free(out, 3);
    }
}

/* training_mode=1: the batch's own statistics, and running ones blended with momentum. */
static void test_batchnorm_training(void)
{
    enum { N = 2, C = 3, S = 6 };
    float x[N * C * S], scale[C], bias[C], mean[C], var[C];
    const attr_t attrs[] = {{.name = "training_mode", .type = ATTR_INT, .i = 1},
                            {.name = "momentum", .type = ATTR_FLOAT, .f = 0.8f}};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){N, C, S}, x);
    tensor_t tv[4], out[3];
    float *vals[] = {scale, bias, mean, var};
    error_t err = {0};

    fill(x, N * C * S, 11, -2.0f, 5.0f);
    fill(scale, C, 12, 0.5f, 2.0f);
    fill(bias, C, 13, -1.0f, 1.0f);
    fill(mean, C, 14, -1.0f, 1.0f);
    fill(var, C, 15, 0.1f, 2.0f);
    for (int i = 0; i < 4; i++)
        tv[i] = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){C}, vals[i]);
    const tensor_t *in[] = {&tx, &tv[0], &tv[1], &tv[2], &tv[3]};
    CHECK(harness_run_runtime("BatchNormalization", 15, attrs, 2, 5, in, 3, out, &err) ==
          STATUS_OK);
    if (err.code != STATUS_OK)
        return;
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0;
        for (int b = 0; b < N; b++)
            for (int s = 0; s < S; s++)
                m += x[(b * C + c) * S + s];
        m /= N * S;
        for (int b = 0; b < N; b++)
            for (int s = 0; s < S; s++)
                v += (x[(b * C + c) * S + s] - m) * (x[(b * C + c) * S + s] - m);
        v /= N * S;
        CHECK_NEAR(((float *)out[1].data)[c], mean[c] * 0.8 + m * 0.2, 1e-5);
        CHECK_NEAR(((float *)out[2].data)[c], var[c] * 0.8 + v * 0.2, 1e-5);
        for (int b = 0; b < N; b++)
            for (int s = 0; s < S; s++) {
                int i = (b * C + c) * S + s;
                double ref = (x[i] - m) / sqrt(v + 1e-5) * scale[c] + bias[c];
                CHECK_NEAR(((float *)out[0].data)[i], ref, 1e-5);
            }
    }
    harness_free(out, 3);
}

static void test_groupnorm(void)
{
    enum { N = 2, C = 6, S = 10, G = 3, K = C / G };
    float x[N * C * S], scale[C], bias[C];
    const attr_t attrs[] = {{.name = "num_groups", .type = ATTR_INT, .i = G},
                            {.name = "epsilon", .type = ATTR_FLOAT, .f = 1e-3f}};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){N, C, 2, 5}, x);
    error_t err = {0};
    tensor_t y;

    fill(x, N * C * S, 11, -2.0f, 4.0f);
    fill(scale, C, 12, 0.5f, 2.0f);
    fill(bias, C, 13, -1.0f, 1.0f);
    for (int per_channel = 0; per_channel <= 1; per_channel++) {
        int64_t count = per_channel ? C : G;
        tensor_t ts = harness_tensor(DTYPE_FLOAT, 1, &count, scale);
        tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, &count, bias);
        const tensor_t *in[] = {&tx, &ts, &tb};
        CHECK(harness_run_runtime("GroupNormalization", per_channel ? 21 : 18, attrs, 2, 3, in, 1,
                                  &y, &err) == STATUS_OK);
        for (int n = 0; n < N; n++) {
            for (int g = 0; g < G; g++) {
                const float *xg = x + (n * C + g * K) * S;
                double mean = 0.0, var = 0.0;
                for (int i = 0; i < K * S; i++)
                    mean += xg[i];
                mean /= K * S;
                for (int i = 0; i < K * S; i++)
                    var += (xg[i] - mean) * (xg[i] - mean);
                var /= K * S;
                for (int i = 0; i < K * S; i++) {
                    int at = per_channel ? g * K + i / S : g;
                    double ref = (xg[i] - mean) / sqrt(var + 1e-3) * scale[at] + bias[at];
                    CHECK_NEAR(((float *)y.data)[(n * C + g * K) * S + i], ref, 1e-5);
                }
            }
        }
        free(y.data);
    }
}

static void test_failures(void)
{
    error_t err;
    tensor_t out[MAX_IO];
    float f[64] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){1, 3, 2, 2}, f);
    tensor_t x1 = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){3}, f);
    tensor_t v3 = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){3}, f);
    tensor_t v4 = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){4}, f);
    tensor_t v2 = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){2}, f);
    const tensor_t *bn[] = {&x, &v3, &v3, &v4, &v3};
    const tensor_t *bn_ok[] = {&x, &v3, &v3, &v3, &v3};
    const tensor_t *bn_rank1[] = {&x1, &v3, &v3, &v3, &v3};
    const attr_t training = {.name = "training_mode", .type = ATTR_INT, .i = 1};
    const attr_t stash = {.name = "stash_type", .type = ATTR_INT, .i = 11};
    const attr_t axis4 = {.name = "axis", .type = ATTR_INT, .i = 4};
    const attr_t neg_eps = {.name = "epsilon", .type = ATTR_FLOAT, .f = -1.0f};

    CHECK_FAILS(harness_run_runtime("BatchNormalization", 15, NULL, 0, 5, bn, 1, out, &err), err,
                STATUS_INVALID_ARGUMENT, "BatchNormalization node 'n0'", "mean", "[4]", "[3]");
    CHECK_FAILS(harness_run_runtime("BatchNormalization", 15, NULL, 0, 5, bn_rank1, 1, out, &err),
                err, STATUS_INVALID_ARGUMENT, "[3]", "at least 2-D");
    CHECK_FAILS(harness_run_runtime("BatchNormalization", 15, &training, 1, 5, bn_ok, 5, out, &err),
                err, STATUS_UNSUPPORTED, "5 outputs", "training");
    CHECK_FAILS(harness_run_runtime("BatchNormalization", 7, NULL, 0, 5, bn_ok, 5, out, &err), err,
                STATUS_UNSUPPORTED, "5 outputs", "training");
    CHECK_FAILS(harness_run_runtime("BatchNormalization", 9, &neg_eps, 1, 5, bn_ok, 1, out, &err),
                err, STATUS_INVALID_MODEL, "'epsilon'", "-1");
    CHECK_FAILS(harness_run_runtime("InstanceNormalization", 6, NULL, 0, 3,
                                    (const tensor_t *[]){&x, &v3, &v2}, 1, out, &err),
                err, STATUS_INVALID_ARGUMENT, "B has shape [2]", "[3]");
    CHECK_FAILS(harness_run_runtime("LayerNormalization", 17, &axis4, 1, 2,
                                    (const tensor_t *[]){&x, &v2}, 1, out, &err),
                err, STATUS_INVALID_ARGUMENT, "axis 4", "[1,3,2,2]");
    CHECK_FAILS(harness_run_runtime("LayerNormalization", 17, NULL, 0, 2,
                                    (const tensor_t *[]){&x, &v3}, 1, out, &err),
                err, STATUS_INVALID_ARGUMENT, "Scale [3]", "[2]");
    CHECK_FAILS(harness_run_runtime("LayerNormalization", 17, &stash, 1, 2,
                                    (const tensor_t *[]){&x, &v2}, 1, out, &err),
                err, STATUS_UNSUPPORTED, "stash_type 11");
    {
        const attr_t groups2 = {.name = "num_groups", .type = ATTR_INT, .i = 2};
        const attr_t groups3 = {.name = "num_groups", .type = ATTR_INT, .i = 3};
        CHECK_FAILS(harness_run_runtime("GroupNormalization", 18, &groups2, 1, 3,
                                        (const tensor_t *[]){&x, &v2, &v2}, 1, out, &err),
                    err, STATUS_INVALID_ARGUMENT, "GroupNormalization node", "num_groups 2",
                    "3 channels");
        CHECK_FAILS(harness_run_runtime("GroupNormalization", 18, &groups3, 1, 3,
                                        (const tensor_t *[]){&x, &v2, &v3}, 1, out, &err),
                    err, STATUS_INVALID_ARGUMENT, "scale has shape [2]", "[3] (the groups)");
        CHECK_FAILS(harness_run_runtime("GroupNormalization", 21, &groups3, 1, 3,
                                        (const tensor_t *[]){&x, &v3, &v4}, 1, out, &err),
                    err, STATUS_INVALID_ARGUMENT, "bias has shape [4]", "channels of X");
        CHECK_FAILS(harness_run_runtime("GroupNormalization", 18, NULL, 0, 3,
                                        (const tensor_t *[]){&x, &v3, &v3}, 1, out, &err),
                    err, STATUS_INVALID_MODEL, "'num_groups' is required");
    }
}

int main(void)
{
    test_batchnorm();
    test_batchnorm_training();
    test_instancenorm();
    test_layernorm();
    test_groupnorm();
    test_failures();
    CHECK_DONE();
}
