/*
 * Unit tests of Cast and CastLike: C conversions, saturation of
 * out-of-range reals, bool normalisation, the opset 1-5 string form, and
 * adapter and prototype failures.
 */
#include "cast/cast.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

static attr_t to_attr(int64_t to)
{
    attr_t a = {.name = "to", .type = ATTR_INT, .i = to};
    return a;
}

static void test_float_to_int(void)
{
    float x[7] = {2.7f, -2.7f, 1e10f, -1e10f, NAN, 300.0f, -1.0f};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){7}, x);
    const tensor_t *in[1] = {&tx};
    attr_t to = to_attr(DTYPE_INT32);
    tensor_t out;
    error_t err = {0};

    CHECK(harness_run("Cast", 13, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_INT32 && out.rank == 1 && out.dims[0] == 7);
    const int32_t *i32 = out.data;
    CHECK(i32[0] == 2 && i32[1] == -2 && i32[2] == INT32_MAX && i32[3] == INT32_MIN &&
          i32[4] == 0 && i32[5] == 300 && i32[6] == -1);
    free(out.data);

    to = to_attr(DTYPE_UINT8);
    CHECK(harness_run("Cast", 13, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    const uint8_t *u8 = out.data;
    CHECK(u8[0] == 2 && u8[2] == 255 && u8[3] == 0 && u8[5] == 255 && u8[6] == 0);
    free(out.data);

    double big[3] = {9.3e18, -9.3e18, 9.2e18};
    tensor_t tb = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){3}, big);
    const tensor_t *bin[1] = {&tb};
    to = to_attr(DTYPE_INT64);
    CHECK(harness_run("Cast", 13, &to, 1, 1, bin, 1, &out, &err) == STATUS_OK);
    CHECK(((int64_t *)out.data)[0] == INT64_MAX && ((int64_t *)out.data)[1] == INT64_MIN &&
          ((int64_t *)out.data)[2] == INT64_C(9200000000000000000));
    free(out.data);
}

static void test_other_pairs(void)
{
    int64_t x[4] = {300, -1, 0, INT64_C(1) << 40};
    tensor_t tx = harness_tensor(DTYPE_INT64, 1, (int64_t[]){4}, x);
    const tensor_t *in[1] = {&tx};
    attr_t to = to_attr(DTYPE_INT8);
    tensor_t out;
    error_t err = {0};

    /* Integer narrowing wraps, as C and numpy do. */
    CHECK(harness_run("Cast", 9, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(((int8_t *)out.data)[0] == 44 && ((int8_t *)out.data)[1] == -1);
    free(out.data);
    to = to_attr(DTYPE_UINT16);
    CHECK(harness_run("Cast", 9, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(((uint16_t *)out.data)[1] == 65535);
    free(out.data);
    to = to_attr(DTYPE_FLOAT);
    CHECK(harness_run("Cast", 9, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(((float *)out.data)[0] == 300.0f && ((float *)out.data)[3] == 1099511627776.0f);
    free(out.data);
    to = to_attr(DTYPE_BOOL);
    CHECK(harness_run("Cast", 9, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(((uint8_t *)out.data)[0] == 1 && ((uint8_t *)out.data)[2] == 0);
    free(out.data);

    float f[4] = {0.0f, -0.0f, 0.25f, NAN};
    tensor_t tf = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){4}, f);
    const tensor_t *fin[1] = {&tf};
    static const uint8_t want_bool[4] = {0, 0, 1, 1};
    CHECK(harness_run("Cast", 13, &to, 1, 1, fin, 1, &out, &err) == STATUS_OK);
    CHECK(memcmp(out.data, want_bool, 4) == 0);
    free(out.data);

    to = to_attr(DTYPE_DOUBLE);
    CHECK(harness_run("Cast", 13, &to, 1, 1, fin, 1, &out, &err) == STATUS_OK);
    CHECK(((double *)out.data)[2] == 0.25 && isnan(((double *)out.data)[3]));
    free(out.data);

    /* A bool byte of 2 is true and converts to 1. */
    uint8_t b[2] = {2, 0};
    tensor_t tb = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){2}, b);
    const tensor_t *bin[1] = {&tb};
    to = to_attr(DTYPE_FLOAT);
    CHECK(harness_run("Cast", 13, &to, 1, 1, bin, 1, &out, &err) == STATUS_OK);
    CHECK(((float *)out.data)[0] == 1.0f && ((float *)out.data)[1] == 0.0f);
    free(out.data);
    to = to_attr(DTYPE_BOOL);
    CHECK(harness_run("Cast", 13, &to, 1, 1, bin, 1, &out, &err) == STATUS_OK);
    CHECK(((uint8_t *)out.data)[0] == 1);
    free(out.data);
}

static void test_legacy_and_like(void)
{
    float x[2] = {1.5f, -2.5f};
    int64_t like[1] = {0};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, x);
    tensor_t tl = harness_tensor(DTYPE_INT64, 0, NULL, like);
    const tensor_t *in[1] = {&tx};
    attr_t to = {.name = "to", .type = ATTR_STRING, .s = "INT32"};
    tensor_t out;
    error_t err = {0};

    CHECK(harness_run("Cast", 5, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_INT32 && ((int32_t *)out.data)[1] == -2);
    free(out.data);

    to.s = "double";
    CHECK(harness_run("Cast", 1, &to, 1, 1, in, 1, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_DOUBLE);
    free(out.data);

    to.s = "REAL";
    CHECK(harness_run("Cast", 1, &to, 1, 1, in, 1, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Cast node 'n0': attribute 'to' = \"REAL\" is not an ONNX data "
                              "type name") != NULL);

    const tensor_t *pair[2] = {&tx, &tl};
    CHECK(harness_run("CastLike", 15, NULL, 0, 2, pair, 1, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_INT64 && ((int64_t *)out.data)[0] == 1);
    free(out.data);
}

static void test_failures(void)
{
    float x[2] = {0};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, x);
    const tensor_t *in[1] = {&tx};
    attr_t to = to_attr(DTYPE_FLOAT16);
    tensor_t out;
    error_t err = {0};

    CHECK(harness_run("Cast", 13, &to, 1, 1, in, 1, &out, &err) == STATUS_UNSUPPORTED);
    CHECK(strstr(err.message, "Cast node 'n0': cast from float to float16 is not supported") !=
          NULL);

    tensor_t ts = harness_tensor(DTYPE_STRING, 1, (int64_t[]){2}, x);
    const tensor_t *sin[1] = {&ts};
    to = to_attr(DTYPE_FLOAT);
    CHECK(harness_run("Cast", 13, &to, 1, 1, sin, 1, &out, &err) == STATUS_UNSUPPORTED);
    CHECK(strstr(err.message, "cast from string to float is not supported: inferd holds no "
                              "string tensors") != NULL);

    to = to_attr(99);
    CHECK(harness_run("Cast", 13, &to, 1, 1, in, 1, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Cast node 'n0': attribute 'to' = 99 is not an ONNX data type") !=
          NULL);

    CHECK(harness_run("Cast", 13, NULL, 0, 1, in, 1, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Cast node 'n0': attribute 'to' is required") != NULL);
}

int main(void)
{
    test_float_to_int();
    test_other_pairs();
    test_legacy_and_like();
    test_failures();
    CHECK_DONE();
}
