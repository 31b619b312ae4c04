/*
 * Unit tests of Cast and CastLike: C conversions, saturation of
 * out-of-range reals, bool normalisation, the opset 1-5 string form, and
 * adapter and prototype failures.
 */
#include "cast/cast.h"
#include "half.h"

#include <assert.h>
#include <math.h>
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
    attr_t to = to_attr(DTYPE_STRING);
    tensor_t out;
    error_t err = {0};

    CHECK(harness_run("Cast", 13, &to, 1, 1, in, 1, &out, &err) == STATUS_UNSUPPORTED);
    CHECK(strstr(err.message, "Cast node 'n0': cast from float to string is not supported") !=
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

/* True when h is the half nearest f (ties to the even one), by comparing with its neighbours. */
static bool nearest_f16(float f, uint16_t h)
{
    double err = fabs((double)f - f16_to_float(h));
    uint16_t mag = h & 0x7fffu;

    if (mag >= 0x7c00u) /* infinity: f was at least 65520 */
        return fabs(f) >= 65520.0f;
    for (int d = -1; d <= 1; d += 2) {
        uint16_t other = (uint16_t)(h + d);
        if ((other & 0x7fffu) >= 0x7c00u || (d < 0 && mag == 0))
            continue;
        double e = fabs((double)f - f16_to_float(other));
        if (e < err || (e == err && (h & 1)))
            return false;
    }
    return true;
}

/*
 * float16 and bfloat16 conversions: every half round-trips through float,
 * the F16C array forms equal the scalar ones, and narrowing gives the
 * nearest half, ties to even (checked against the neighbours, not a table).
 */
static void test_half_conversions(void)
{
    static uint16_t all[65536], back[65536];
    static float wide[65536], wide_bulk[65536];
    uint32_t seed = 12345;
    int bad = 0;

    for (int i = 0; i < 65536; i++)
        all[i] = (uint16_t)i;
    for (int t = 0; t < 2; t++) {
        dtype_t dt = t ? DTYPE_BFLOAT16 : DTYPE_FLOAT16;
        half_to_float_n(dt, all, wide_bulk, 65536);
        for (int i = 0; i < 65536; i++)
            wide[i] = half_get(dt, all[i]);
        CHECK(memcmp(wide, wide_bulk, sizeof wide) == 0);
        float_to_half_n(dt, wide, back, 65536);
        for (int i = 0; i < 65536; i++) {
            bool nan = isnan(wide[i]);
            bad += nan ? !isnan(half_get(dt, back[i])) : back[i] != all[i];
            bad += back[i] != half_from_float(dt, wide[i]);
        }
    }
    CHECK(bad == 0);
    /* Random floats over the whole range, and ones near the half's: nearest, ties to even. */
    for (int i = 0; i < 200000; i++) {
        float f;
        uint16_t h, hb;
        seed = seed * 1664525u + 1013904223u;
        if (i % 2) {
            f = half_bits_float(seed);
        } else {
            /* A half, plus an offset of up to one step: exercises the ties. */
            f = f16_to_float((uint16_t)(seed >> 16)) * (1.0f + (float)(seed & 0xffu) * 0x1p-18f);
        }
        if (isnan(f))
            continue;
        h = float_to_f16(f);
        float_to_half_n(DTYPE_FLOAT16, &f, &hb, 1);
        bad += h != hb || !nearest_f16(f, h) || double_to_f16(f) != h;
        bad += double_to_bf16(f) != float_to_bf16(f);
    }
    CHECK(bad == 0);
    CHECK(isnan(f16_to_float(float_to_f16(NAN))) && isnan(bf16_to_float(float_to_bf16(NAN))));
    CHECK(float_to_f16(INFINITY) == 0x7c00u && float_to_f16(-INFINITY) == 0xfc00u);
    CHECK(float_to_bf16(INFINITY) == 0x7f80u && double_to_bf16(-INFINITY) == 0xff80u);
}

int main(void)
{
    test_half_conversions();
    test_float_to_int();
    test_other_pairs();
    test_legacy_and_like();
    test_failures();
    CHECK_DONE();
}
