/*
 * Unit tests of the unary family: every float op against libm on a vector
 * long enough for the vectorised loops, integer Abs/Neg/Relu at the type
 * limits, both Clip forms, and prototype failure messages.
 */
#include "unary/unary.h"

#include <assert.h>
#include <float.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define VECTOR_LENGTH 203

static float ref_unary(const char *op, float x)
{
    if (strcmp(op, "Relu") == 0)
        return x < 0 ? 0 : x;
    if (strcmp(op, "LeakyRelu") == 0)
        return x < 0 ? 0.01f * x : x;
    if (strcmp(op, "Sigmoid") == 0)
        return (float)(1.0 / (1.0 + exp(-(double)x)));
    if (strcmp(op, "HardSigmoid") == 0)
        return fmaxf(0.0f, fminf(1.0f, 0.2f * x + 0.5f));
    if (strcmp(op, "HardSwish") == 0)
        return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    if (strcmp(op, "Tanh") == 0)
        return (float)tanh(x);
    if (strcmp(op, "Erf") == 0)
        return (float)erf(x);
    if (strcmp(op, "Exp") == 0)
        return (float)exp(x);
    if (strcmp(op, "Log") == 0)
        return (float)log(x);
    if (strcmp(op, "Sqrt") == 0)
        return (float)sqrt(x);
    if (strcmp(op, "Abs") == 0)
        return fabsf(x);
    if (strcmp(op, "Neg") == 0)
        return -x;
    if (strcmp(op, "Reciprocal") == 0)
        return 1.0f / x;
    if (strcmp(op, "Floor") == 0)
        return floorf(x);
    return ceilf(x);
}

static void test_float_ops(void)
{
    static const char *const ops[] = {"Relu", "LeakyRelu", "Sigmoid",    "HardSigmoid", "HardSwish",
                                      "Tanh", "Erf",       "Exp",        "Log",         "Sqrt",
                                      "Abs",  "Neg",       "Reciprocal", "Floor",       "Ceil"};
    float x[VECTOR_LENGTH];
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){7, 29}, x);
    const tensor_t *in[1] = {&tx};

    for (int i = 0; i < VECTOR_LENGTH; i++)
        x[i] = (float)(i - VECTOR_LENGTH / 2) * 0.071f;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        bool positive_only = strcmp(ops[k], "Log") == 0 || strcmp(ops[k], "Sqrt") == 0;
        tensor_t out;
        error_t err = {0};
        CHECK(harness_run(ops[k], 14, NULL, 0, 1, in, 1, &out, &err) == STATUS_OK);
        CHECK(out.dtype == DTYPE_FLOAT && out.rank == 2 && out.dims[1] == 29);
        for (int i = 0; i < VECTOR_LENGTH; i++) {
            float want = ref_unary(ops[k], x[i]), got = ((float *)out.data)[i];
            if (positive_only && x[i] <= 0)
                continue;
            if (got != want && !(fabsf(got - want) <= 1e-6f * fmaxf(1.0f, fabsf(want)))) {
                fprintf(stderr, "op %s x %g: got %g want %g\n", ops[k], x[i], got, want);
                CHECK(got == want);
                break;
            }
        }
        free(out.data);
    }
}

static void test_attributes(void)
{
    float x[4] = {-4.0f, -1.0f, 0.0f, 2.0f};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){4}, x);
    const tensor_t *in[1] = {&tx};
    attr_t attrs[2] = {{.name = "alpha", .type = ATTR_FLOAT, .f = 0.5f},
                       {.name = "beta", .type = ATTR_FLOAT, .f = 0.25f}};
    tensor_t out;
    error_t err = {0};
    const float *o;

    CHECK(harness_run("LeakyRelu", 16, attrs, 1, 1, in, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == -2.0f && o[1] == -0.5f && o[3] == 2.0f);
    free(out.data);

    CHECK(harness_run("HardSigmoid", 6, attrs, 2, 1, in, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == 0.0f && o[1] == 0.0f && o[2] == 0.25f && o[3] == 1.0f);
    free(out.data);

    attr_t wrong = {.name = "alpha", .type = ATTR_INT, .i = 1};
    CHECK(harness_run("LeakyRelu", 16, &wrong, 1, 1, in, 1, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "LeakyRelu node 'n0': attribute 'alpha' must be a float") != NULL);

    float nan_in[1] = {NAN};
    tensor_t tn = harness_tensor(DTYPE_FLOAT, 0, NULL, nan_in);
    const tensor_t *nan_ins[1] = {&tn};
    CHECK(harness_run("Relu", 14, NULL, 0, 1, nan_ins, 1, &out, &err) == STATUS_OK);
    CHECK(isnan(((float *)out.data)[0]));
    free(out.data);
}

static void test_integers(void)
{
    int8_t a[4] = {INT8_MIN, -5, 0, 7};
    int32_t b[3] = {INT32_MIN, -3, 4};
    int64_t c[3] = {INT64_MIN, -3, 4};
    uint16_t d[2] = {0, 65535};
    tensor_t ta = harness_tensor(DTYPE_INT8, 1, (int64_t[]){4}, a);
    tensor_t tb = harness_tensor(DTYPE_INT32, 1, (int64_t[]){3}, b);
    tensor_t tc = harness_tensor(DTYPE_INT64, 1, (int64_t[]){3}, c);
    tensor_t td = harness_tensor(DTYPE_UINT16, 1, (int64_t[]){2}, d);
    tensor_t out;
    error_t err = {0};

    const tensor_t *ia[1] = {&ta};
    CHECK(harness_run("Abs", 13, NULL, 0, 1, ia, 1, &out, &err) == STATUS_OK);
    CHECK(((int8_t *)out.data)[0] == INT8_MIN && ((int8_t *)out.data)[1] == 5);
    free(out.data);

    const tensor_t *ib[1] = {&tb};
    CHECK(harness_run("Neg", 13, NULL, 0, 1, ib, 1, &out, &err) == STATUS_OK);
    CHECK(((int32_t *)out.data)[0] == INT32_MIN && ((int32_t *)out.data)[1] == 3 &&
          ((int32_t *)out.data)[2] == -4);
    free(out.data);

    const tensor_t *ic[1] = {&tc};
    CHECK(harness_run("Relu", 14, NULL, 0, 1, ic, 1, &out, &err) == STATUS_OK);
    CHECK(((int64_t *)out.data)[0] == 0 && ((int64_t *)out.data)[1] == 0 &&
          ((int64_t *)out.data)[2] == 4);
    free(out.data);

    const tensor_t *id[1] = {&td};
    CHECK(harness_run("Abs", 13, NULL, 0, 1, id, 1, &out, &err) == STATUS_OK);
    CHECK(((uint16_t *)out.data)[1] == 65535);
    free(out.data);
}

static void test_clip(void)
{
    float x[5] = {-3.0f, -0.5f, 0.5f, 3.0f, INFINITY};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){5}, x);
    float lo[1] = {-1.0f}, hi[1] = {1.0f};
    tensor_t tlo = harness_tensor(DTYPE_FLOAT, 0, NULL, lo);
    tensor_t thi = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){1}, hi);
    attr_t attrs[2] = {{.name = "min", .type = ATTR_FLOAT, .f = -1.0f},
                       {.name = "max", .type = ATTR_FLOAT, .f = 1.0f}};
    tensor_t out;
    error_t err = {0};
    const float *o;

    const tensor_t *one[1] = {&tx};
    CHECK(harness_run("Clip", 6, attrs, 2, 1, one, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == -1.0f && o[1] == -0.5f && o[2] == 0.5f && o[3] == 1.0f && o[4] == 1.0f);
    free(out.data);

    /* Opset 6 defaults are the float limits, not infinities. */
    CHECK(harness_run("Clip", 6, NULL, 0, 1, one, 1, &out, &err) == STATUS_OK);
    CHECK(((float *)out.data)[4] == FLT_MAX && ((float *)out.data)[0] == -3.0f);
    free(out.data);

    const tensor_t *max_only[3] = {&tx, NULL, &thi};
    CHECK(harness_run("Clip", 13, NULL, 0, 3, max_only, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == -3.0f && o[3] == 1.0f && o[4] == 1.0f);
    free(out.data);

    const tensor_t *min_only[2] = {&tx, &tlo};
    CHECK(harness_run("Clip", 11, NULL, 0, 2, min_only, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == -1.0f && o[4] == INFINITY);
    free(out.data);

    /* min above max: every element becomes max, as numpy's clip does. */
    const tensor_t *crossed[3] = {&tx, &thi, &tlo};
    CHECK(harness_run("Clip", 13, NULL, 0, 3, crossed, 1, &out, &err) == STATUS_OK);
    for (int i = 0; i < 5; i++)
        CHECK(((float *)out.data)[i] == -1.0f);
    free(out.data);

    int8_t ix[4] = {-128, -3, 3, 127}, ilo[1] = {-2};
    tensor_t tix = harness_tensor(DTYPE_INT8, 1, (int64_t[]){4}, ix);
    tensor_t tilo = harness_tensor(DTYPE_INT8, 0, NULL, ilo);
    const tensor_t *ints[2] = {&tix, &tilo};
    CHECK(harness_run("Clip", 12, NULL, 0, 2, ints, 1, &out, &err) == STATUS_OK);
    CHECK(((int8_t *)out.data)[0] == -2 && ((int8_t *)out.data)[2] == 3 &&
          ((int8_t *)out.data)[3] == 127);
    free(out.data);
}

static void test_clip_failures(void)
{
    float x[2] = {0}, bounds[2] = {0, 1};
    int32_t ibound[1] = {1};
    int32_t ix[2] = {0};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, x);
    tensor_t tvec = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, bounds);
    tensor_t tint = harness_tensor(DTYPE_INT32, 0, NULL, ibound);
    tensor_t tix = harness_tensor(DTYPE_INT32, 1, (int64_t[]){2}, ix);
    tensor_t out;
    error_t err = {0};

    const tensor_t *vec[2] = {&tx, &tvec};
    CHECK(harness_run("Clip", 13, NULL, 0, 2, vec, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Clip node 'n0': min must be a scalar, got shape [2]") != NULL);

    const tensor_t *mixed[3] = {&tx, NULL, &tint};
    CHECK(harness_run("Clip", 13, NULL, 0, 3, mixed, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Clip node 'n0': max has dtype int32 but input has float") != NULL);

    const tensor_t *legacy_int[1] = {&tix};
    CHECK(harness_run("Clip", 6, NULL, 0, 1, legacy_int, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "need float or double input, got int32") != NULL);
}

int main(void)
{
    test_float_ops();
    test_attributes();
    test_integers();
    test_clip();
    test_clip_failures();
    CHECK_DONE();
}
