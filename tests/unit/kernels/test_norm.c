/*
 * Unit tests of the norm family against naive references: BatchNormalization
 * (per-channel and the legacy spatial=0 form), InstanceNormalization,
 * LayerNormalization with broadcast Scale/B and its Mean/InvStdDev outputs;
 * training-mode rejection and prototype failure messages.
 */
#include "norm/norm.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define PARAMS_MAX 256
#define MAX_IO     5

/*
 * Adapter, prototype and CPU implementation of op_type with n_out outputs,
 * as the engine calls them; the prototype sees shapes only.
 */
static status_t run_op(const char *op_type, int opset, const attr_t *attrs, size_t n_attrs,
                       int n_in, const tensor_t *const *in, int n_out, tensor_t *out, error_t *err)
{
    const op_schema_t *schema = op_registry_find(op_type, opset);
    union {
        max_align_t align;
        unsigned char bytes[PARAMS_MAX];
    } params;
    const attrs_t attr_list = {attrs, n_attrs};
    const op_adapt_t adapt = {op_type, "nm0", opset, &attr_list, n_in, n_out};
    tensor_t shapes[MAX_IO];
    const tensor_t *shape_only[MAX_IO];
    op_call_t call = {.op_type = op_type,
                      .node = "nm0",
                      .params = &params,
                      .n_inputs = n_in,
                      .inputs = shape_only,
                      .n_outputs = n_out,
                      .outputs = out,
                      .threads = 1};
    status_t st;

    assert(n_in <= MAX_IO && n_out <= MAX_IO);
    memset(out, 0, (size_t)n_out * sizeof *out);
    CHECK(schema != NULL);
    if (!schema)
        return STATUS_NOT_FOUND;
    assert(schema->kernel->params_size <= sizeof params);
    memset(&params, 0, sizeof params);
    if (schema->adapt && (st = schema->adapt(&adapt, &params, err)) != STATUS_OK)
        return st;
    for (int i = 0; i < n_in; i++) {
        shape_only[i] = in[i] ? &shapes[i] : NULL;
        if (in[i]) {
            shapes[i] = *in[i];
            shapes[i].data = NULL;
        }
    }
    if ((st = schema->kernel->infer(&call, err)) != STATUS_OK)
        return st;
    call.inputs = in;
    for (int k = 0; k < n_out; k++)
        out[k].data = malloc(tensor_bytes(&out[k]) + 1);
    call.workspace = malloc(call.workspace_size + 1);
    st = schema->kernel->run(&call, err);
    free(call.workspace);
    return st;
}

static void free_outputs(tensor_t *out, int n_out)
{
    for (int k = 0; k < n_out; k++)
        free(out[k].data);
}

static tensor_t make(dtype_t dtype, int rank, const int64_t *dims, void *data)
{
    tensor_t t = {.dtype = dtype, .rank = rank, .data = data};
    for (int i = 0; i < rank; i++)
        t.dims[i] = dims[i];
    return t;
}

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
    tensor_t tx = make(DTYPE_FLOAT, 4, (const int64_t[]){N, C, 4, 5}, x);
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
            tv[i] = make(DTYPE_FLOAT, 1, (const int64_t[]){C}, vals[i]);
        const tensor_t *in[] = {&tx, &tv[0], &tv[1], &tv[2], &tv[3]};
        CHECK(run_op("BatchNormalization", opsets[o], &eps, 1, 5, in, 1, &y, &err) == STATUS_OK);
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
            tv[i] = make(DTYPE_FLOAT, 3, (const int64_t[]){C, 4, 5}, vals[i]);
        const tensor_t *in[] = {&tx, &tv[0], &tv[1], &tv[2], &tv[3]};
        CHECK(run_op("BatchNormalization", 7, attrs, 2, 5, in, 1, &y, &err) == STATUS_OK);
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
    tensor_t tx = make(DTYPE_FLOAT, 3, (const int64_t[]){N, C, S}, x);
    tensor_t ts = make(DTYPE_FLOAT, 1, (const int64_t[]){C}, scale);
    tensor_t tb = make(DTYPE_FLOAT, 1, (const int64_t[]){C}, bias);
    const tensor_t *in[] = {&tx, &ts, &tb};
    error_t err = {0};
    tensor_t y;

    /* A large common offset checks the variance does not cancel away. */
    fill(x, N * C * S, 9, 1000.0f, 1002.0f);
    fill(scale, C, 10, 0.5f, 2.0f);
    fill(bias, C, 11, -1.0f, 1.0f);
    CHECK(run_op("InstanceNormalization", 6, NULL, 0, 3, in, 1, &y, &err) == STATUS_OK);
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
    tensor_t tx = make(DTYPE_FLOAT, 3, (const int64_t[]){A, B, D}, x);
    /* Scale [1,4] broadcasts over the normalised [3,4]; B is full size. */
    tensor_t ts = make(DTYPE_FLOAT, 2, (const int64_t[]){1, D}, scale);
    tensor_t tb = make(DTYPE_FLOAT, 2, (const int64_t[]){B, D}, bias);
    error_t err = {0};
    tensor_t out[3];

    fill(x, A * INNER, 21, -2.0f, 2.0f);
    fill(scale, D, 22, 0.5f, 2.0f);
    fill(bias, INNER, 23, -1.0f, 1.0f);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const tensor_t *in[] = {&tx, &ts, &tb};
        CHECK(run_op("LayerNormalization", 17, attrs, 2, with_bias ? 3 : 2, in, 3, out, &err) ==
              STATUS_OK);
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
        free_outputs(out, 3);
    }
}

/* Runs op_type expecting failure code; the message must contain every needle. */
static void expect_fail(const char *op_type, int opset, const attr_t *attrs, size_t n_attrs,
                        int n_in, const tensor_t *const *in, int n_out, status_t code,
                        const char *const *needles, size_t n_needles)
{
    error_t err = {0};
    tensor_t out[MAX_IO];
    status_t st = run_op(op_type, opset, attrs, n_attrs, n_in, in, n_out, out, &err);

    CHECK(st == code);
    for (size_t i = 0; i < n_needles; i++) {
        if (!strstr(err.message, needles[i])) {
            fprintf(stderr, "message '%s' lacks '%s'\n", err.message, needles[i]);
            CHECK(strstr(err.message, needles[i]) != NULL);
        }
    }
    if (st == STATUS_OK)
        free_outputs(out, n_out);
}

static void test_failures(void)
{
    float f[64] = {0};
    tensor_t x = make(DTYPE_FLOAT, 4, (const int64_t[]){1, 3, 2, 2}, f);
    tensor_t x1 = make(DTYPE_FLOAT, 1, (const int64_t[]){3}, f);
    tensor_t v3 = make(DTYPE_FLOAT, 1, (const int64_t[]){3}, f);
    tensor_t v4 = make(DTYPE_FLOAT, 1, (const int64_t[]){4}, f);
    tensor_t v2 = make(DTYPE_FLOAT, 1, (const int64_t[]){2}, f);
    const tensor_t *bn[] = {&x, &v3, &v3, &v4, &v3};
    const tensor_t *bn_ok[] = {&x, &v3, &v3, &v3, &v3};
    const tensor_t *bn_rank1[] = {&x1, &v3, &v3, &v3, &v3};
    const attr_t training = {.name = "training_mode", .type = ATTR_INT, .i = 1};
    const attr_t stash = {.name = "stash_type", .type = ATTR_INT, .i = 11};
    const attr_t axis4 = {.name = "axis", .type = ATTR_INT, .i = 4};
    const attr_t neg_eps = {.name = "epsilon", .type = ATTR_FLOAT, .f = -1.0f};

    expect_fail("BatchNormalization", 15, NULL, 0, 5, bn, 1, STATUS_INVALID_ARGUMENT,
                (const char *[]){"BatchNormalization node 'nm0'", "mean", "[4]", "[3]"}, 4);
    expect_fail("BatchNormalization", 15, NULL, 0, 5, bn_rank1, 1, STATUS_INVALID_ARGUMENT,
                (const char *[]){"[3]", "at least 2-D"}, 2);
    expect_fail("BatchNormalization", 15, &training, 1, 5, bn_ok, 3, STATUS_UNSUPPORTED,
                (const char *[]){"training_mode=1", "inference only"}, 2);
    expect_fail("BatchNormalization", 7, NULL, 0, 5, bn_ok, 5, STATUS_UNSUPPORTED,
                (const char *[]){"5 outputs", "training"}, 2);
    expect_fail("BatchNormalization", 9, &neg_eps, 1, 5, bn_ok, 1, STATUS_INVALID_MODEL,
                (const char *[]){"'epsilon'", "-1"}, 2);
    expect_fail("InstanceNormalization", 6, NULL, 0, 3, (const tensor_t *[]){&x, &v3, &v2}, 1,
                STATUS_INVALID_ARGUMENT, (const char *[]){"B has shape [2]", "[3]"}, 2);
    expect_fail("LayerNormalization", 17, &axis4, 1, 2, (const tensor_t *[]){&x, &v2}, 1,
                STATUS_INVALID_ARGUMENT, (const char *[]){"axis 4", "[1,3,2,2]"}, 2);
    expect_fail("LayerNormalization", 17, NULL, 0, 2, (const tensor_t *[]){&x, &v3}, 1,
                STATUS_INVALID_ARGUMENT, (const char *[]){"Scale [3]", "[2]"}, 2);
    expect_fail("LayerNormalization", 17, &stash, 1, 2, (const tensor_t *[]){&x, &v2}, 1,
                STATUS_UNSUPPORTED, (const char *[]){"stash_type 11"}, 1);
}

int main(void)
{
    test_batchnorm();
    test_instancenorm();
    test_layernorm();
    test_failures();
    CHECK_DONE();
}
