/*
 * Unit tests of the split family: the ways to give the sizes (equal,
 * attribute, input, Split-18's num_outputs), zero-size parts, and the
 * failure messages.
 */
#include "split/split.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define OUTPUTS_MAX 4

/* x is [2, 6] of 0..11; splits axis 1 into the given sizes and checks each part. */
static void check_parts(int opset, const attr_t *attrs, size_t n_attrs, bool sizes_input, int n,
                        const int64_t *sizes)
{
    int32_t data[12];
    int64_t dims[] = {2, 6}, split_dims[] = {n};
    tensor_t x = harness_tensor(DTYPE_INT32, 2, dims, data);
    tensor_t s = harness_tensor(DTYPE_INT64, 1, split_dims, (void *)sizes);
    const tensor_t *in[2] = {&x, &s};
    tensor_t y[OUTPUTS_MAX];
    error_t err = {0};
    int64_t offset = 0;

    for (int i = 0; i < 12; i++)
        data[i] = i;
    CHECK(harness_run("Split", opset, attrs, n_attrs, sizes_input ? 2 : 1, in, n, y, &err) ==
          STATUS_OK);
    for (int k = 0; k < n; k++) {
        const int32_t *part = y[k].data;
        CHECK(y[k].rank == 2 && y[k].dims[0] == 2 && y[k].dims[1] == sizes[k]);
        for (int r = 0; r < 2; r++)
            for (int64_t c = 0; c < sizes[k]; c++)
                CHECK(part[r * sizes[k] + c] == data[r * 6 + offset + c]);
        offset += sizes[k];
        free(y[k].data);
    }
}

static void test_forms(void)
{
    int64_t equal[] = {2, 2, 2}, uneven[] = {1, 0, 5}, empty_last[] = {6, 0};
    attr_t axis = {.name = "axis", .type = ATTR_INT, .i = -1};
    attr_t attrs[2] = {axis, {.name = "split", .type = ATTR_INTS, .count = 3, .ints = uneven}};

    check_parts(13, &axis, 1, false, 3, equal);
    check_parts(13, &axis, 1, true, 3, uneven);
    check_parts(13, &axis, 1, true, 2, empty_last);
    check_parts(11, attrs, 2, false, 3, uneven);
    /* Opset 1 takes the sizes as an attribute or as input 1. */
    check_parts(1, attrs, 2, false, 3, uneven);
    check_parts(1, &axis, 1, true, 2, empty_last);
    /* Opset 18: num_outputs parts of ceil(6 / n), the last one smaller (or empty). */
    {
        int64_t four[] = {2, 2, 2, 0}, halves[] = {3, 3}, given[] = {4, 2};
        attr_t n_attrs[2] = {axis, {.name = "num_outputs", .type = ATTR_INT, .i = 4}};
        check_parts(18, n_attrs, 2, false, 4, four);
        n_attrs[1].i = 2;
        check_parts(18, n_attrs, 2, false, 2, halves);
        check_parts(18, &axis, 1, true, 2, given);
    }
}

static void test_failures(void)
{
    float data[12] = {0};
    int64_t dims[] = {2, 6}, bad_sum[] = {2, 3}, negative[] = {7, -1}, two[] = {2};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, data),
             s = harness_tensor(DTYPE_INT64, 1, two, bad_sum);
    const tensor_t *in[2] = {&x, &s};
    attr_t attrs[2] = {{.name = "axis", .type = ATTR_INT, .i = 1},
                       {.name = "split", .type = ATTR_INTS, .count = 2, .ints = bad_sum}};
    tensor_t y[OUTPUTS_MAX];
    error_t err = {0};

    CHECK_FAILS(harness_run("Split", 13, attrs, 1, 2, in, 2, y, &err), err, STATUS_INVALID_ARGUMENT,
                "Split node 'n0': split sizes add up to 5, axis 1 has size 6");
    s.data = negative;
    CHECK_FAILS(harness_run("Split", 13, attrs, 1, 2, in, 2, y, &err), err, STATUS_INVALID_ARGUMENT,
                "split size 7 of output 0 does not fit axis 1 of size 6");
    CHECK_FAILS(harness_run("Split", 13, attrs, 1, 2, in, 3, y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'split' of shape [2] does not give 3 sizes");
    CHECK_FAILS(harness_run("Split", 13, attrs, 1, 1, in, 4, y, &err), err, STATUS_INVALID_ARGUMENT,
                "axis 1 of size 6 does not split into 4 equal parts");
    CHECK_FAILS(harness_run("Split", 11, attrs, 2, 1, in, 3, y, &err), err, STATUS_INVALID_ARGUMENT,
                "attribute 'split' has 2 values for 3 outputs");
    CHECK_FAILS(harness_run("Split", 11, attrs, 2, 2, in, 2, y, &err), err, STATUS_INVALID_MODEL,
                "opset 11 takes 1 input, got 2");
    {
        attr_t n_attrs[2] = {attrs[0], {.name = "num_outputs", .type = ATTR_INT, .i = 3}};
        CHECK_FAILS(harness_run("Split", 18, n_attrs, 2, 1, in, 2, y, &err), err,
                    STATUS_INVALID_ARGUMENT, "attribute 'num_outputs' is 3 for 2 outputs");
        CHECK_FAILS(harness_run("Split", 18, n_attrs, 2, 2, in, 3, y, &err), err,
                    STATUS_INVALID_ARGUMENT, "takes input 'split' or attribute 'num_outputs'");
        n_attrs[1].i = 0;
        CHECK_FAILS(harness_run("Split", 18, n_attrs, 2, 1, in, 2, y, &err), err,
                    STATUS_INVALID_MODEL, "'num_outputs' must be positive, got 0");
    }
    attrs[0].i = 2;
    CHECK_FAILS(harness_run("Split", 13, attrs, 1, 1, in, 2, y, &err), err, STATUS_INVALID_ARGUMENT,
                "axis 2 is out of range for input shape [2,6]");
}

int main(void)
{
    test_forms();
    test_failures();
    CHECK_DONE();
}
