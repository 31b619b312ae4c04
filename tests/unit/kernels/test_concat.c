/*
 * Unit tests of the concat family: row-block copies against a naive
 * per-element reference on every axis, empty inputs, opset defaults and the
 * failure messages.
 */
#include "concat/concat.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* Concatenation of three int16 tensors [2,3,4] with axis dims 1, 2, 3 on `axis`. */
static void check_axis(int axis)
{
    int16_t data[3][2 * 3 * 4 * 3];
    int64_t dims[3][3], sizes[3] = {1, 2, 3}, out_dims[3] = {2, 3, 4};
    int64_t out_strides[3], in_strides[3], axis_offset = 0;
    tensor_t x[3], y;
    const tensor_t *in[3] = {&x[0], &x[1], &x[2]};
    attr_t attr = {.name = "axis", .type = ATTR_INT, .i = axis - 3};
    error_t err = {0};
    int16_t *out;

    out_dims[axis] = 6;
    for (int k = 0; k < 3; k++) {
        memcpy(dims[k], out_dims, sizeof dims[k]);
        dims[k][axis] = sizes[k];
        x[k] = harness_tensor(DTYPE_INT16, 3, dims[k], data[k]);
        for (int i = 0; i < 72; i++)
            data[k][i] = (int16_t)(1000 * k + i);
    }
    /* A negative axis, to cover the normalisation too. */
    CHECK(harness_run("Concat", 13, &attr, 1, 3, in, 1, &y, &err) == STATUS_OK);
    CHECK(shape_equal(y.rank, y.dims, 3, out_dims));
    out = y.data;
    shape_strides(3, out_dims, out_strides);
    for (int k = 0; k < 3; k++) {
        shape_strides(3, dims[k], in_strides);
        for (int64_t i = 0; i < tensor_numel(&x[k]); i++) {
            int64_t c[3] = {i / in_strides[0], i / in_strides[1] % dims[k][1], i % dims[k][2]};
            c[axis] += axis_offset;
            CHECK(out[c[0] * out_strides[0] + c[1] * out_strides[1] + c[2]] == data[k][i]);
        }
        axis_offset += sizes[k];
    }
    free(y.data);
}

static void test_empty_inputs(void)
{
    int64_t empty_dims[] = {0}, dims[] = {2, 2}, zero_axis[] = {2, 0}, want[] = {2, 3};
    int64_t data[4] = {1, 2, 3, 4}, more[2] = {5, 6}, more_dims[] = {2, 1};
    tensor_t e = harness_tensor(DTYPE_INT64, 1, empty_dims, NULL),
             a = harness_tensor(DTYPE_INT64, 2, dims, data);
    tensor_t z = harness_tensor(DTYPE_INT64, 2, zero_axis, NULL),
             b = harness_tensor(DTYPE_INT64, 2, more_dims, more);
    const tensor_t *in[4] = {&e, &a, &z, &b};
    const int64_t expected[] = {1, 2, 5, 3, 4, 6};
    attr_t attr = {.name = "axis", .type = ATTR_INT, .i = 1};
    tensor_t y;
    error_t err = {0};

    /* The rank-1 empty input is skipped; the [2,0] one contributes nothing. */
    CHECK(harness_run("Concat", 13, &attr, 1, 4, in, 1, &y, &err) == STATUS_OK);
    CHECK(shape_equal(y.rank, y.dims, 2, want));
    CHECK(memcmp(y.data, expected, sizeof expected) == 0);
    free(y.data);
    /* All inputs empty: the output is empty too. */
    CHECK(harness_run("Concat", 13, &attr, 1, 1, in + 2, 1, &y, &err) == STATUS_OK);
    CHECK(shape_equal(y.rank, y.dims, 2, zero_axis));
    free(y.data);
}

static void test_opsets(void)
{
    int64_t dims[] = {1, 2};
    float a[2] = {1, 2}, b[2] = {3, 4};
    tensor_t x0 = harness_tensor(DTYPE_FLOAT, 2, dims, a),
             x1 = harness_tensor(DTYPE_FLOAT, 2, dims, b), y;
    const tensor_t *in[2] = {&x0, &x1};
    error_t err = {0};

    /* Opset 1 defaults axis to 1. */
    CHECK(harness_run("Concat", 1, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 1 && y.dims[1] == 4 && ((float *)y.data)[2] == 3);
    free(y.data);
    CHECK_FAILS(harness_run("Concat", 4, NULL, 0, 2, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "Concat node 'n0': attribute 'axis' is missing");
}

static void test_failures(void)
{
    int64_t dims_a[] = {2, 3}, dims_b[] = {2, 4}, dims_c[] = {2};
    float a[6] = {0}, b[8] = {0};
    int32_t c[2] = {0};
    tensor_t xa = harness_tensor(DTYPE_FLOAT, 2, dims_a, a),
             xb = harness_tensor(DTYPE_FLOAT, 2, dims_b, b);
    tensor_t xc = harness_tensor(DTYPE_INT32, 1, dims_c, c),
             xs = harness_tensor(DTYPE_FLOAT, 0, NULL, a), y;
    const tensor_t *mismatch[2] = {&xa, &xb}, *mixed[2] = {&xa, &xc}, *rank1[2] = {&xa, &xc};
    const tensor_t *scalars[2] = {&xs, &xs};
    attr_t attr = {.name = "axis", .type = ATTR_INT, .i = 0};
    error_t err = {0};

    CHECK_FAILS(harness_run("Concat", 13, &attr, 1, 2, mismatch, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT,
                "input 1 of shape [2,4] does not match input 0 of shape [2,3] outside axis 0");
    CHECK_FAILS(harness_run("Concat", 13, &attr, 1, 2, mixed, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "input 1 has dtype int32, input 0 has float");
    xc.dtype = DTYPE_FLOAT;
    CHECK_FAILS(harness_run("Concat", 13, &attr, 1, 2, rank1, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "input 1 of shape [2] does not match");
    CHECK_FAILS(harness_run("Concat", 13, &attr, 1, 2, scalars, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "cannot concatenate scalars");
    attr.i = 2;
    CHECK_FAILS(harness_run("Concat", 13, &attr, 1, 2, mismatch, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "axis 2 is out of range for inputs of rank 2");
}

int main(void)
{
    for (int axis = 0; axis < 3; axis++)
        check_axis(axis);
    test_empty_inputs();
    test_opsets();
    test_failures();
    CHECK_DONE();
}
