/*
 * Unit tests of the tile family and of Expand, which runs on repeat_bytes:
 * random shapes and repeats against a reference that maps each output
 * element back with a modulo, broadcasting in both directions, and the
 * failure messages.
 */
#include "tile/tile.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define TEST_RANK_MAX 4

static uint32_t rng_state = 99;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* Checks y[i] == x[coordinates of i modulo x's dims] for x aligned right to y's rank. */
static void check_modulo(const tensor_t *x, const tensor_t *y)
{
    size_t es = dtype_size(x->dtype);
    int lead = y->rank - x->rank;
    int64_t n = tensor_numel(y);
    bool ok = true;

    for (int64_t i = 0; i < n; i++) {
        int64_t rest = i, offset = 0, stride = 1;
        for (int a = y->rank - 1; a >= lead; a--) {
            int64_t dim = x->dims[a - lead];
            offset += (rest % y->dims[a]) % dim * stride;
            rest /= y->dims[a];
            stride *= dim;
        }
        ok &= memcmp((char *)y->data + i * (int64_t)es, (char *)x->data + offset * (int64_t)es,
                     es) == 0;
    }
    CHECK(ok);
}

static void test_tile_random(void)
{
    static const dtype_t dtypes[] = {DTYPE_BOOL, DTYPE_INT16, DTYPE_FLOAT, DTYPE_UINT64};

    for (int c = 0; c < 300; c++) {
        int rank = (int)(rng() % (TEST_RANK_MAX + 1));
        int64_t dims[TEST_RANK_MAX], repeats[TEST_RANK_MAX], repeats_dims[1] = {rank};
        uint64_t src[4 * 4 * 4 * 4];
        tensor_t x, r, y;
        const tensor_t *in[2] = {&x, &r};
        error_t err = {0};

        for (int i = 0; i < rank; i++) {
            dims[i] = (int64_t)(rng() % 5);
            repeats[i] = rng() % 3 == 0 ? 1 : (int64_t)(rng() % 4);
        }
        for (size_t i = 0; i < sizeof src; i++)
            ((unsigned char *)src)[i] = (unsigned char)rng();
        x = harness_tensor(dtypes[c % 4], rank, dims, src);
        r = harness_tensor(DTYPE_INT64, 1, repeats_dims, repeats);
        CHECK(harness_run("Tile", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        for (int i = 0; i < rank; i++)
            CHECK(y.dims[i] == dims[i] * repeats[i]);
        check_modulo(&x, &y);
        free(y.data);
    }
}

/* One element repeated many times goes through the doubling copy. */
static void test_tile_long_repeat(void)
{
    int64_t dims[] = {1, 3}, repeats[] = {1000, 1}, repeats_dims[] = {2};
    int32_t src[3] = {7, 8, 9};
    tensor_t x = harness_tensor(DTYPE_INT32, 2, dims, src),
             r = harness_tensor(DTYPE_INT64, 1, repeats_dims, repeats);
    tensor_t y;
    const tensor_t *in[2] = {&x, &r};
    error_t err = {0};

    CHECK(harness_run("Tile", 6, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 1000 && y.dims[1] == 3);
    check_modulo(&x, &y);
    free(y.data);
}

static void test_expand(void)
{
    static const int64_t cases[][2][3] = {
        {{3, 1, 1}, {3, 2, 6}},
        {{1, 4, 1}, {5, 1, 1}},
        {{2, 1, 3}, {1, 4, 1}},
    };
    double src[12];

    for (int i = 0; i < 12; i++)
        src[i] = i * 0.5;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t shape_dims[] = {3};
        tensor_t x = harness_tensor(DTYPE_DOUBLE, 3, cases[c][0], src);
        tensor_t s = harness_tensor(DTYPE_INT64, 1, shape_dims, (void *)cases[c][1]), y;
        const tensor_t *in[2] = {&x, &s};
        error_t err = {0};

        CHECK(harness_run("Expand", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        for (int i = 0; i < 3; i++)
            CHECK(y.dims[i] == (cases[c][0][i] > cases[c][1][i] ? cases[c][0][i] : cases[c][1][i]));
        check_modulo(&x, &y);
        free(y.data);
    }
}

/* A shape of lower rank than the input, and one of higher rank. */
static void test_expand_ranks(void)
{
    int64_t dims[] = {2, 3}, low[] = {3}, high[] = {2, 1, 2, 3}, one[] = {1}, four[] = {4};
    int8_t src[6] = {1, 2, 3, 4, 5, 6};
    tensor_t x = harness_tensor(DTYPE_INT8, 2, dims, src),
             s = harness_tensor(DTYPE_INT64, 1, one, low), y;
    const tensor_t *in[2] = {&x, &s};
    error_t err = {0};

    CHECK(harness_run("Expand", 8, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(shape_equal(y.rank, y.dims, 2, dims));
    check_modulo(&x, &y);
    free(y.data);
    s = harness_tensor(DTYPE_INT64, 1, four, high);
    CHECK(harness_run("Expand", 8, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
    CHECK(shape_equal(y.rank, y.dims, 4, high));
    check_modulo(&x, &y);
    free(y.data);
}

static void test_failures(void)
{
    int64_t dims[] = {2, 3}, repeats[] = {2, -1}, shape[] = {4, 3}, two[] = {2}, three[] = {3};
    int64_t huge[] = {INT64_MAX, 1};
    float src[6] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src),
             r = harness_tensor(DTYPE_INT64, 1, two, repeats), y;
    const tensor_t *in[2] = {&x, &r};
    error_t err = {0};

    CHECK_FAILS(harness_run("Tile", 13, NULL, 0, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "Tile node 'n0': repeat -1 for axis 1 is negative");
    r.data = huge;
    CHECK_FAILS(harness_run("Tile", 13, NULL, 0, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "repeat 9223372036854775807 for axis 0 of size 2 is too large");
    r = harness_tensor(DTYPE_INT64, 1, three, repeats);
    CHECK_FAILS(harness_run("Tile", 13, NULL, 0, 2, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'repeats' has shape [3], expected [2]");
    r = harness_tensor(DTYPE_INT64, 1, two, shape);
    CHECK_FAILS(harness_run("Expand", 13, NULL, 0, 2, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT,
                "Expand node 'n0': input of shape [2,3] cannot be broadcast to shape [4,3]");
    shape[0] = -1;
    CHECK_FAILS(harness_run("Expand", 13, NULL, 0, 2, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "shape [-1,3] has a negative dim");
}

int main(void)
{
    test_tile_random();
    test_tile_long_repeat();
    test_expand();
    test_expand_ranks();
    test_failures();
    CHECK_DONE();
}
