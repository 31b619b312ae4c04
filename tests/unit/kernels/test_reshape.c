/*
 * Unit tests of the reshape family (Reshape, Flatten, Squeeze, Unsqueeze):
 * the shape rules of each form and opset, that run copies the bytes, and
 * the prototypes' and adapters' failure messages.
 */
#include "reshape/reshape.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

static bool dims_are(const tensor_t *t, int rank, const int64_t *dims)
{
    return shape_equal(t->rank, t->dims, rank, dims);
}

/* Reshape (opset 14) of a [2,3,4] int8 tensor to `shape`; returns the status. */
static status_t reshape_to(int n, const int64_t *shape, int64_t allowzero, tensor_t *y,
                           error_t *err)
{
    static int8_t data[24];
    int64_t dims[] = {2, 3, 4}, shape_dims[] = {n};
    tensor_t x = harness_tensor(DTYPE_INT8, 3, dims, data);
    tensor_t s = harness_tensor(DTYPE_INT64, 1, shape_dims, (void *)shape);
    const tensor_t *in[2] = {&x, &s};
    attr_t attr = {.name = "allowzero", .type = ATTR_INT, .i = allowzero};

    for (int i = 0; i < 24; i++)
        data[i] = (int8_t)(i - 12);
    return harness_run("Reshape", 14, &attr, 1, 2, in, 1, y, err);
}

static void test_reshape(void)
{
    int64_t zero_neg[] = {0, -1}, want_zero_neg[] = {2, 12};
    int64_t allow[] = {4, 0, 6};
    int64_t two_neg[] = {-1, -1}, bad[] = {5, -1}, minus2[] = {-2, 12};
    int64_t beyond[] = {24, 1, 1, 0}, wrong[] = {5, 5}, zero_and_neg[] = {0, -1};
    tensor_t y;
    error_t err = {0};

    CHECK(reshape_to(2, zero_neg, 0, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, want_zero_neg));
    CHECK(y.dtype == DTYPE_INT8 && ((int8_t *)y.data)[23] == 11 && ((int8_t *)y.data)[0] == -12);
    free(y.data);
    /* With allowzero a 0 is a real 0; the input [2,3,4] has 24 elements, so this fails. */
    CHECK_FAILS(reshape_to(3, allow, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "cannot reshape input of shape [2,3,4] to shape [4,0,6]");
    CHECK_FAILS(reshape_to(2, zero_and_neg, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "has both 0 and -1");
    CHECK_FAILS(reshape_to(2, two_neg, 0, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "Reshape node 'n0': shape [-1,-1] has more than one -1");
    CHECK_FAILS(reshape_to(2, bad, 0, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "cannot infer the -1 in shape [5,-1] from input shape [2,3,4]");
    CHECK_FAILS(reshape_to(2, minus2, 0, &y, &err), err, STATUS_INVALID_ARGUMENT, "invalid dim -2");
    CHECK_FAILS(reshape_to(4, beyond, 0, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "copies dim 3 (0)");
    CHECK_FAILS(reshape_to(2, wrong, 0, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "cannot reshape input of shape [2,3,4] to shape [5,5]");
}

static void test_reshape_allowzero_empty(void)
{
    int64_t dims[] = {0, 3}, shape[] = {3, 0}, shape_dims[] = {2}, want[] = {3, 0};
    float data[1];
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, data);
    tensor_t s = harness_tensor(DTYPE_INT64, 1, shape_dims, shape);
    const tensor_t *in[2] = {&x, &s};
    attr_t attr = {.name = "allowzero", .type = ATTR_INT, .i = 1};
    tensor_t y;
    error_t err = {0};

    CHECK(harness_run("Reshape", 14, &attr, 1, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, want));
    free(y.data);
}

static void test_reshape_attribute_form(void)
{
    int64_t dims[] = {2, 6}, shape[] = {3, -1}, want[] = {3, 4};
    float data[12] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, data);
    const tensor_t *in[2] = {&x, &x};
    attr_t attr = {.name = "shape", .type = ATTR_INTS, .count = 2, .ints = shape};
    tensor_t y;
    error_t err = {0};

    CHECK(harness_run("Reshape", 4, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, want));
    free(y.data);
    CHECK_FAILS(harness_run("Reshape", 4, NULL, 0, 1, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "attribute 'shape' is missing");
    CHECK_FAILS(harness_run("Reshape", 13, NULL, 0, 1, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "opset 13 takes 2 to 2 inputs, got 1");
}

static void test_flatten(void)
{
    int64_t dims[] = {2, 3, 4, 5}, want0[] = {1, 120}, want_neg[] = {24, 5}, want4[] = {120, 1};
    float data[120] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 4, dims, data), y;
    const tensor_t *in[1] = {&x};
    attr_t attr = {.name = "axis", .type = ATTR_INT, .i = 0};
    error_t err = {0};

    CHECK(harness_run("Flatten", 13, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, want0));
    free(y.data);
    attr.i = -1;
    CHECK(harness_run("Flatten", 13, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, want_neg));
    free(y.data);
    attr.i = 4;
    CHECK(harness_run("Flatten", 13, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, want4));
    free(y.data);
    attr.i = 5;
    CHECK_FAILS(harness_run("Flatten", 13, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "Flatten node 'n0': axis 5 is out of range");
    attr.i = -5;
    CHECK_FAILS(harness_run("Flatten", 13, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "axis -5 is out of range for input shape [2,3,4,5]");
}

static void test_squeeze(void)
{
    int64_t dims[] = {1, 3, 1, 2}, all[] = {3, 2}, axes[] = {-2}, want_axes[] = {1, 3, 2};
    int64_t not_one[] = {1}, repeated[] = {0, -4}, axes_dims[] = {1};
    uint16_t data[6] = {1, 2, 3, 4, 5, 6};
    tensor_t x = harness_tensor(DTYPE_UINT16, 4, dims, data), y;
    tensor_t a = harness_tensor(DTYPE_INT64, 1, axes_dims, axes);
    const tensor_t *in[2] = {&x, &a};
    attr_t attr = {.name = "axes", .type = ATTR_INTS, .count = 1, .ints = axes};
    error_t err = {0};

    CHECK(harness_run("Squeeze", 13, NULL, 0, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 2, all) && memcmp(y.data, data, sizeof data) == 0);
    free(y.data);
    CHECK(harness_run("Squeeze", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 3, want_axes));
    free(y.data);
    CHECK(harness_run("Squeeze", 11, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 3, want_axes));
    free(y.data);
    attr.ints = not_one;
    CHECK_FAILS(harness_run("Squeeze", 11, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "cannot squeeze axis 1 of input shape [1,3,1,2]");
    attr.ints = repeated;
    attr.count = 2;
    CHECK_FAILS(harness_run("Squeeze", 1, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "axis -4 is repeated");
    CHECK_FAILS(harness_run("Squeeze", 12, &attr, 1, 2, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "opset 12 takes 1 to 1 inputs, got 2");
}

static void test_unsqueeze(void)
{
    int64_t dims[] = {3, 4}, axes[] = {3, 0, -2}, want[] = {1, 3, 4, 1, 1};
    int64_t outside[] = {5}, many[] = {0, 1, 2, 3, 4, 5, 6}, axes_dims[] = {3};
    float data[12] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, data), y;
    tensor_t a = harness_tensor(DTYPE_INT64, 1, axes_dims, axes);
    const tensor_t *in[2] = {&x, &a};
    attr_t attr = {.name = "axes", .type = ATTR_INTS, .count = 1, .ints = outside};
    error_t err = {0};

    /* Unsorted and negative axes index the rank-5 output: 3, 0 and -2 (= 3) collide. */
    CHECK_FAILS(harness_run("Unsqueeze", 13, NULL, 0, 2, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "Unsqueeze node 'n0': axis -2 is repeated");
    axes[2] = -1;
    CHECK(harness_run("Unsqueeze", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(dims_are(&y, 5, want));
    free(y.data);
    CHECK_FAILS(harness_run("Unsqueeze", 11, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "axis 5 is out of range for rank 3");
    attr.ints = many;
    attr.count = 7;
    CHECK_FAILS(harness_run("Unsqueeze", 11, &attr, 1, 1, in, 1, &y, &err), err, STATUS_UNSUPPORTED,
                "output rank 9 exceeds 8");
    CHECK_FAILS(harness_run("Unsqueeze", 13, NULL, 0, 1, in, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "takes 2 to 2 inputs");
    CHECK_FAILS(harness_run("Unsqueeze", 12, NULL, 0, 1, in, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "attribute 'axes' is missing");
}

int main(void)
{
    test_reshape();
    test_reshape_allowzero_empty();
    test_reshape_attribute_form();
    test_flatten();
    test_squeeze();
    test_unsqueeze();
    CHECK_DONE();
}
