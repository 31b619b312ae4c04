/*
 * Unit tests of the pad family: random pads (negative ones crop, reflect
 * pads longer than the axis) in the four modes (wrap from opset 19) against
 * a reference that maps each output element back by repeated reflection or
 * wrapping, the attribute form, Pad-18's axes input, and the failure
 * messages.
 */
#include "pad/pad.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define TEST_RANK_MAX 3
#define TEST_DIM_MAX  5
#define TEST_OUT_MAX  16

static uint32_t rng_state = 4242;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* Input index of output index o on one axis, or -1 for the constant. */
static int64_t ref_source(const char *mode, int64_t o, int64_t dim, int64_t begin, int64_t end)
{
    int64_t from = begin < 0 ? -begin : 0;
    int64_t len = dim - from - (end < 0 ? -end : 0);
    int64_t rel = o - (begin > 0 ? begin : 0);

    if (rel >= 0 && rel < len)
        return from + rel;
    if (strcmp(mode, "constant") == 0)
        return -1;
    if (strcmp(mode, "wrap") == 0) {
        while (rel < 0)
            rel += len;
        return from + rel % len;
    }
    if (strcmp(mode, "edge") == 0 || len == 1)
        return from + (rel < 0 ? 0 : len - 1);
    while (rel < 0 || rel >= len)
        rel = rel < 0 ? -rel : 2 * (len - 1) - rel;
    return from + rel;
}

static void check_random(const char *mode, int opset)
{
    for (int c = 0; c < 300; c++) {
        int rank = 1 + (int)(rng() % TEST_RANK_MAX);
        int64_t dims[TEST_RANK_MAX], pads[2 * TEST_RANK_MAX], pads_dims[1] = {2 * rank};
        int64_t out_dims[TEST_RANK_MAX], src[125], value = -77, n = 1;
        tensor_t x, p, v, y;
        const tensor_t *in[3] = {&x, &p, &v};
        attr_t attr = {.name = "mode", .type = ATTR_STRING, .s = mode};
        error_t err = {0};

        for (int i = 0; i < rank; i++) {
            int64_t len;
            dims[i] = 1 + (int64_t)(rng() % TEST_DIM_MAX);
            do {
                pads[i] = (int64_t)(rng() % 9) - 2;
                pads[i + rank] = (int64_t)(rng() % 9) - 2;
                len = dims[i] + (pads[i] < 0 ? pads[i] : 0) +
                      (pads[i + rank] < 0 ? pads[i + rank] : 0);
            } while (len < 1);
            out_dims[i] = dims[i] + pads[i] + pads[i + rank];
        }
        for (int i = 0; i < 125; i++)
            src[i] = 1000 + i;
        x = harness_tensor(DTYPE_INT64, rank, dims, src);
        p = harness_tensor(DTYPE_INT64, 1, pads_dims, pads);
        v = harness_tensor(DTYPE_INT64, 0, NULL, &value);
        CHECK(harness_run("Pad", opset, &attr, 1, 3, in, 1, &y, &err) == STATUS_OK);
        CHECK(shape_equal(y.rank, y.dims, rank, out_dims));
        for (int i = 0; i < rank; i++)
            n *= out_dims[i];
        for (int64_t i = 0; i < n; i++) {
            int64_t rest = i, offset = 0, stride = 1, expected;
            bool constant = false;
            for (int a = rank - 1; a >= 0; a--) {
                int64_t s = ref_source(mode, rest % out_dims[a], dims[a], pads[a], pads[a + rank]);
                rest /= out_dims[a];
                constant |= s < 0;
                offset += s * stride;
                stride *= dims[a];
            }
            expected = constant ? value : src[offset];
            CHECK(((int64_t *)y.data)[i] == expected);
        }
        free(y.data);
    }
}

static void test_small_types(void)
{
    int64_t dims[] = {2, 3}, pads[] = {0, 2, 1, -1}, pads_dims[] = {4};
    uint8_t src[6] = {1, 2, 3, 4, 5, 6}, value = 9;
    const uint8_t expected[] = {9, 9, 1, 2, 9, 9, 4, 5, 9, 9, 9, 9};
    tensor_t x = harness_tensor(DTYPE_UINT8, 2, dims, src),
             p = harness_tensor(DTYPE_INT64, 1, pads_dims, pads);
    tensor_t v = harness_tensor(DTYPE_UINT8, 0, NULL, &value), y;
    const tensor_t *in[3] = {&x, &p, &v};
    error_t err = {0};

    CHECK(harness_run("Pad", 11, NULL, 0, 3, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 3 && y.dims[1] == 4);
    CHECK(memcmp(y.data, expected, sizeof expected) == 0);
    free(y.data);
    /* No constant_value: zeros. */
    CHECK(harness_run("Pad", 11, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(((uint8_t *)y.data)[0] == 0 && ((uint8_t *)y.data)[2] == 1);
    free(y.data);
}

static void test_attribute_form(void)
{
    int64_t dims[] = {3}, pads[] = {2, 1};
    float src[3] = {1, 2, 3};
    const float reflected[] = {3, 2, 1, 2, 3, 2}, filled[] = {1.5f, 1.5f, 1, 2, 3, 1.5f};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 1, dims, src), y;
    const tensor_t *in[1] = {&x};
    attr_t attrs[3] = {{.name = "paddings", .type = ATTR_INTS, .count = 2, .ints = pads},
                       {.name = "mode", .type = ATTR_STRING, .s = "reflect"},
                       {.name = "value", .type = ATTR_FLOAT, .f = 1.5f}};
    error_t err = {0};

    CHECK(harness_run("Pad", 1, attrs, 2, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(memcmp(y.data, reflected, sizeof reflected) == 0);
    free(y.data);
    attrs[0].name = "pads";
    attrs[1].s = "constant";
    CHECK(harness_run("Pad", 2, attrs, 3, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(memcmp(y.data, filled, sizeof filled) == 0);
    free(y.data);
    CHECK_FAILS(harness_run("Pad", 2, attrs + 1, 2, 1, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "Pad node 'n0': attribute 'pads' is missing");
    attrs[1].s = "wrap";
    CHECK_FAILS(harness_run("Pad", 2, attrs, 3, 1, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "unknown mode 'wrap'");
    x.dtype = DTYPE_INT32;
    attrs[1].s = "edge";
    CHECK_FAILS(harness_run("Pad", 2, attrs, 3, 1, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "before opset 11 the data must be float, not int32");
}

/* Pad-18: pads for the listed axes only, the others unpadded. */
static void test_axes_input(void)
{
    int64_t dims[] = {2, 3}, pads[] = {1, 2}, axes[] = {-1}, one[] = {1}, two[] = {2};
    int64_t twice[] = {1, -1}, src[6] = {1, 2, 3, 4, 5, 6};
    int64_t want[] = {3, 1, 2, 3, 1, 2, 6, 4, 5, 6, 4, 5};
    tensor_t x = harness_tensor(DTYPE_INT64, 2, dims, src),
             p = harness_tensor(DTYPE_INT64, 1, two, pads),
             a = harness_tensor(DTYPE_INT64, 1, one, axes), y;
    const tensor_t *in[4] = {&x, &p, NULL, &a};
    attr_t attr = {.name = "mode", .type = ATTR_STRING, .s = "wrap"};
    error_t err = {0};

    CHECK(harness_run("Pad", 19, &attr, 1, 4, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.rank == 2 && y.dims[0] == 2 && y.dims[1] == 6);
    for (int i = 0; i < 12 && y.data; i++)
        CHECK(((int64_t *)y.data)[i] == want[i]);
    free(y.data);
    CHECK_FAILS(harness_run("Pad", 18, &attr, 1, 4, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "Pad node 'n0'", "unknown mode 'wrap' at opset 18");
    a = harness_tensor(DTYPE_INT64, 1, two, twice);
    CHECK_FAILS(harness_run("Pad", 18, NULL, 0, 4, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'pads' has shape [2], expected [4] for 2 axes");
    p = harness_tensor(DTYPE_INT64, 1, (int64_t[]){4}, (int64_t[]){0, 0, 0, 0});
    CHECK_FAILS(harness_run("Pad", 18, NULL, 0, 4, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "axis -1 is listed twice");
}

static void test_failures(void)
{
    int64_t dims[] = {2, 3}, pads[] = {0, 0, 0, 0}, three[] = {3}, four[] = {4};
    float src[6] = {0}, wide[2] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src),
             p = harness_tensor(DTYPE_INT64, 1, four, pads);
    tensor_t v = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, wide), y;
    const tensor_t *in[3] = {&x, &p, &v};
    attr_t attr = {.name = "mode", .type = ATTR_STRING, .s = "edge"};
    error_t err = {0};

    /* pads is [x0_begin, x1_begin, x0_end, x1_end]: crop 4 of the 3 columns. */
    pads[1] = -2;
    pads[3] = -2;
    CHECK_FAILS(harness_run("Pad", 13, &attr, 1, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "pads -2 and -2 do not fit axis 1 of size 3");
    /* Cropping all 3 columns leaves edge mode nothing to repeat once it must pad. */
    pads[1] = -3;
    pads[3] = 1;
    CHECK_FAILS(harness_run("Pad", 13, &attr, 1, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "mode 'edge' cannot pad axis 1: nothing is left of it");
    pads[1] = INT64_MIN;
    CHECK_FAILS(harness_run("Pad", 13, &attr, 1, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "do not fit axis 1");
    pads[1] = 0;
    CHECK_FAILS(harness_run("Pad", 13, NULL, 0, 3, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "constant_value must be one float, got float of shape [2]");
    p = harness_tensor(DTYPE_INT64, 1, three, pads);
    CHECK_FAILS(harness_run("Pad", 13, NULL, 0, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'pads' has shape [3], expected [4]");
}

/* An empty output needs no workspace, however long its other axes grow. */
static void test_empty_output(void)
{
    int64_t dims[] = {0, 1}, pads[] = {0, 0, 0, (INT64_C(1) << 32) - 1}, four[] = {4};
    float src[1] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src),
             p = harness_tensor(DTYPE_INT64, 1, four, pads), y;
    const tensor_t *in[2] = {&x, &p};
    error_t err = {0};

    CHECK(harness_run("Pad", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 0 && y.dims[1] == INT64_C(1) << 32);
    free(y.data);
}

int main(void)
{
    check_random("constant", 13);
    check_random("edge", 13);
    check_random("reflect", 13);
    check_random("reflect", 19);
    check_random("wrap", 19);
    test_small_types();
    test_axes_input();
    test_attribute_form();
    test_failures();
    test_empty_output();
    CHECK_DONE();
}
