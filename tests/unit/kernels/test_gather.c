/*
 * Unit tests of the gather family: every axis, element and block size and
 * both index dtypes against a naive reference, negative indices, and
 * out-of-range indices caught while planning (known indices) and at run
 * time (indices that arrive with the request).
 */
#include "gather/gather.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* Gathers from a [3,4,5] tensor on `axis` with 2x3 indices and checks every element. */
static void check_axis(dtype_t dtype, dtype_t index_dtype, int axis)
{
    size_t es = dtype_size(dtype);
    int64_t dims[] = {3, 4, 5}, index_dims[] = {2, 3};
    int64_t idx64[6] = {0, -1, 2, 1, 1, -2};
    int32_t idx32[6];
    uint64_t src[60]; /* room for 60 elements of any size, aligned for all */
    tensor_t x = harness_tensor(dtype, 3, dims, src), y;
    tensor_t i = harness_tensor(index_dtype, 2, index_dims,
                                index_dtype == DTYPE_INT32 ? (void *)idx32 : (void *)idx64);
    const tensor_t *in[2] = {&x, &i};
    attr_t attr = {.name = "axis", .type = ATTR_INT, .i = axis};
    error_t err = {0};
    const unsigned char *out;
    int64_t before = 1, after = 1, o = 0;

    for (int k = 0; k < 6; k++)
        idx32[k] = (int32_t)idx64[k];
    for (size_t k = 0; k < sizeof src; k++)
        ((unsigned char *)src)[k] = (unsigned char)(k * 7 + 3);
    CHECK(harness_run("Gather", 13, &attr, 1, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.rank == 4);
    out = y.data;
    if (axis < 0)
        axis += 3;
    for (int k = 0; k < axis; k++)
        before *= dims[k];
    for (int k = axis + 1; k < 3; k++)
        after *= dims[k];
    for (int64_t b = 0; b < before; b++)
        for (int k = 0; k < 6; k++)
            for (int64_t a = 0; a < after; a++, o++) {
                int64_t index = idx64[k] < 0 ? idx64[k] + dims[axis] : idx64[k];
                int64_t from = (b * dims[axis] + index) * after + a;
                CHECK(memcmp(out + o * (int64_t)es, (unsigned char *)src + from * (int64_t)es,
                             es) == 0);
            }
    CHECK(o == tensor_numel(&y));
    free(y.data);
}

static void test_failures(void)
{
    float src[6] = {0};
    int64_t dims[] = {2, 3}, index_dims[] = {3}, bad_late[] = {0, 1, 3};
    int32_t bad_known[] = {-4, 0, 0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src), y;
    tensor_t known = harness_tensor(DTYPE_INT32, 1, index_dims, bad_known);
    tensor_t late = harness_tensor(DTYPE_INT64, 1, index_dims, bad_late);
    const tensor_t *in[2] = {&x, &known};
    attr_t attr = {.name = "axis", .type = ATTR_INT, .i = 1};
    error_t err = {0};

    CHECK_FAILS(harness_run("Gather", 13, &attr, 1, 2, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT,
                "Gather node 'n0': index -4 (element 0 of 'indices') is out of range for an "
                "axis of size 3");
    CHECK_FAILS(
        harness_run_runtime("Gather", 13, NULL, 0, 2, (const tensor_t *[]){&x, &late}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT,
        "Gather node 'n0': index 3 (element 2 of 'indices') is out of range");
    attr.i = -3;
    CHECK_FAILS(harness_run("Gather", 13, &attr, 1, 2, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "axis -3 is out of range for data of shape [2,3]");
}

static void test_scalar_index(void)
{
    int64_t dims[] = {3, 2}, data[6] = {10, 11, 20, 21, 30, 31}, index = -1;
    tensor_t x = harness_tensor(DTYPE_INT64, 2, dims, data),
             i = harness_tensor(DTYPE_INT64, 0, NULL, &index), y;
    const tensor_t *in[2] = {&x, &i};
    error_t err = {0};

    CHECK(harness_run("Gather", 1, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.rank == 1 && y.dims[0] == 2);
    CHECK(((int64_t *)y.data)[0] == 30 && ((int64_t *)y.data)[1] == 31);
    free(y.data);
}

int main(void)
{
    static const dtype_t dtypes[] = {DTYPE_UINT8, DTYPE_INT16, DTYPE_FLOAT, DTYPE_DOUBLE};

    for (int d = 0; d < 4; d++)
        for (int axis = 0; axis < 3; axis++) {
            check_axis(dtypes[d], DTYPE_INT64, axis);
            check_axis(dtypes[d], DTYPE_INT32, axis - 3);
        }
    test_failures();
    test_scalar_index();
    CHECK_DONE();
}
