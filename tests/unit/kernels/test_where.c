/*
 * Unit tests of Where: the three-way broadcast walk against a naive
 * reference for every element size, and prototype failure messages.
 */
#include "where/where.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "ref_broadcast.h"

#define TEST_MAX_ELEMENTS 64

typedef struct where_case {
    int rank[3];
    int64_t dims[3][3];
} where_case_t;

static const where_case_t cases[] = {
    {{2, 2, 2}, {{4, 5}, {4, 5}, {4, 5}}}, /* same shape: the all-advance rows */
    {{3, 2, 0}, {{2, 1, 3}, {4, 1}, {0}}}, /* all three broadcast */
    {{1, 2, 2}, {{5}, {4, 5}, {4, 1}}},    /* y repeated along rows */
    {{2, 0, 2}, {{4, 1}, {0}, {1, 5}}},    /* scalar x */
    {{0, 1, 1}, {{0}, {6}, {6}}},          /* scalar condition */
};

/* Element sizes 1, 2, 4 and 8: int8, int16, float, int64. */
static const dtype_t dtypes[] = {DTYPE_INT8, DTYPE_INT16, DTYPE_FLOAT, DTYPE_INT64};

static void test_broadcast(void)
{
    static uint8_t cond[TEST_MAX_ELEMENTS];
    static int64_t x[TEST_MAX_ELEMENTS], y[TEST_MAX_ELEMENTS];

    for (int i = 0; i < TEST_MAX_ELEMENTS; i++) {
        cond[i] = (uint8_t)(i % 3 == 0 ? 0 : i % 3); /* 0, 1 and 2 (also true) */
        x[i] = 1000 + i;
        y[i] = -1000 - i;
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
            const size_t size = dtype_size(dtypes[k]);
            /* Element bytes differ per type; reinterpret the same buffers. */
            tensor_t tc = harness_tensor(DTYPE_BOOL, cases[c].rank[0], cases[c].dims[0], cond);
            tensor_t tx = harness_tensor(dtypes[k], cases[c].rank[1], cases[c].dims[1], x);
            tensor_t ty = harness_tensor(dtypes[k], cases[c].rank[2], cases[c].dims[2], y);
            const tensor_t *in[3] = {&tc, &tx, &ty};
            tensor_t out;
            error_t err = {0};
            CHECK(harness_run("Where", 16, NULL, 0, 3, in, 1, &out, &err) == STATUS_OK);
            CHECK(out.dtype == dtypes[k]);
            for (int64_t i = 0; i < tensor_numel(&out); i++) {
                const uint8_t *src =
                    cond[ref_broadcast_offset(i, out.rank, out.dims, tc.rank, tc.dims)]
                        ? (const uint8_t *)x +
                              ref_broadcast_offset(i, out.rank, out.dims, tx.rank, tx.dims) * size
                        : (const uint8_t *)y +
                              ref_broadcast_offset(i, out.rank, out.dims, ty.rank, ty.dims) * size;
                if (memcmp((uint8_t *)out.data + i * size, src, size) != 0) {
                    fprintf(stderr, "case %zu dtype %s element %lld\n", c, dtype_name(dtypes[k]),
                            (long long)i);
                    CHECK(false);
                    break;
                }
            }
            free(out.data);
        }
    }
}

static void test_failures(void)
{
    uint8_t cond[4] = {0};
    float x[4] = {0};
    int32_t y[4] = {0};
    tensor_t tc = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){4}, cond);
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){4}, x);
    tensor_t ty = harness_tensor(DTYPE_INT32, 1, (int64_t[]){4}, y);
    tensor_t tz = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 3}, x);
    tensor_t out;
    error_t err = {0};

    const tensor_t *types[3] = {&tc, &tx, &ty};
    CHECK(harness_run("Where", 16, NULL, 0, 3, types, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Where node 'n0': Y has dtype int32 but X has float") != NULL);

    const tensor_t *shapes[3] = {&tc, &tx, &tz};
    CHECK(harness_run("Where", 16, NULL, 0, 3, shapes, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message,
                 "Where node 'n0': input 2 of shape [2,3] does not broadcast with shape [4]") !=
          NULL);
}

int main(void)
{
    test_broadcast();
    test_failures();
    CHECK_DONE();
}
