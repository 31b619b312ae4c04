/*
 * Unit tests of the transpose family: the collapsed, tiled transpose against
 * a naive per-element reference over many shapes, permutations and element
 * sizes, and the prototype's failure messages.
 */
#include "transpose/transpose.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* dst[out] = src[in] element by element, with coordinates from divisions. */
static void ref_transpose(unsigned char *dst, const unsigned char *src, size_t es, int rank,
                          const int64_t *dims, const int *perm)
{
    int64_t out_dims[TENSOR_MAX_RANK], in_strides[TENSOR_MAX_RANK], n = 1;

    for (int k = 0; k < rank; k++) {
        out_dims[k] = dims[perm[k]];
        n *= dims[k];
    }
    shape_strides(rank, dims, in_strides);
    for (int64_t i = 0; i < n; i++) {
        int64_t rest = i, offset = 0;
        for (int k = rank - 1; k >= 0; k--) {
            offset += (rest % out_dims[k]) * in_strides[perm[k]];
            rest /= out_dims[k];
        }
        memcpy(dst + i * (int64_t)es, src + offset * (int64_t)es, es);
    }
}

/* Runs Transpose through the registry and compares it with the reference. */
static void check_case(dtype_t dtype, int rank, const int64_t *dims, const int *perm)
{
    size_t es = dtype_size(dtype);
    int64_t n = 1, perm64[TENSOR_MAX_RANK];
    unsigned char *src, *expected;
    attr_t attr = {.name = "perm", .type = ATTR_INTS, .count = (size_t)rank, .ints = perm64};
    tensor_t x, y;
    const tensor_t *in[1] = {&x};
    error_t err = {0};

    for (int i = 0; i < rank; i++) {
        n *= dims[i];
        perm64[i] = perm[i];
    }
    src = malloc((size_t)n * es + 1);
    expected = malloc((size_t)n * es + 1);
    for (int64_t i = 0; i < n * (int64_t)es; i++)
        src[i] = (unsigned char)rng();
    x = harness_tensor(dtype, rank, dims, src);
    CHECK(harness_run("Transpose", 13, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    ref_transpose(expected, src, es, rank, dims, perm);
    CHECK(y.rank == rank);
    for (int k = 0; k < rank; k++)
        CHECK(y.dims[k] == dims[perm[k]]);
    CHECK(memcmp(y.data, expected, (size_t)n * es) == 0);
    free(y.data);
    free(src);
    free(expected);
}

static void test_fixed_cases(void)
{
    /* 2-D tiles with ragged edges, the batched NCHW <-> NHWC forms, a kept inner axis. */
    static const int64_t mat[] = {67, 45};
    static const int p10[] = {1, 0};
    static const int64_t nchw[] = {2, 5, 9, 7};
    static const int to_nhwc[] = {0, 2, 3, 1};
    static const int to_nchw[] = {0, 3, 1, 2};
    static const int64_t kept[] = {4, 6, 5};
    static const int p102[] = {1, 0, 2};
    static const int64_t ones[] = {1, 33, 1, 40};
    static const int p3120[] = {3, 1, 2, 0};
    static const dtype_t dtypes[] = {DTYPE_UINT8, DTYPE_INT16, DTYPE_FLOAT, DTYPE_INT64};

    for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
        check_case(dtypes[d], 2, mat, p10);
        check_case(dtypes[d], 4, nchw, to_nhwc);
        check_case(dtypes[d], 4, nchw, to_nchw);
        check_case(dtypes[d], 3, kept, p102);
        check_case(dtypes[d], 4, ones, p3120);
    }
}

static void test_random_cases(void)
{
    static const dtype_t dtypes[] = {DTYPE_BOOL, DTYPE_UINT16, DTYPE_INT32, DTYPE_DOUBLE};

    for (int c = 0; c < 400; c++) {
        int rank = 1 + (int)(rng() % 6), perm[TENSOR_MAX_RANK];
        int64_t dims[TENSOR_MAX_RANK];
        for (int i = 0; i < rank; i++) {
            /* Plenty of 1s, to exercise the axis dropping. */
            dims[i] = rng() % 3 == 0 ? 1 : 1 + rng() % 6;
            perm[i] = i;
        }
        for (int i = rank - 1; i > 0; i--) {
            int j = (int)(rng() % (uint32_t)(i + 1)), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        check_case(dtypes[c % 4], rank, dims, perm);
    }
}

static void test_default_perm_reverses(void)
{
    int64_t dims[] = {2, 3, 4};
    float src[24], *out;
    tensor_t x = harness_tensor(DTYPE_FLOAT, 3, dims, src), y;
    const tensor_t *in[1] = {&x};
    error_t err = {0};

    for (int i = 0; i < 24; i++)
        src[i] = (float)i;
    CHECK(harness_run("Transpose", 1, NULL, 0, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 4 && y.dims[1] == 3 && y.dims[2] == 2);
    out = y.data;
    /* y[k][j][i] = x[i][j][k] */
    CHECK(out[1] == src[12] && out[2] == src[4] && out[6] == src[1]);
    free(y.data);
}

static void test_failures(void)
{
    int64_t dims[] = {2, 3}, bad_length[] = {0, 1, 2}, repeated[] = {1, 1}, outside[] = {0, 2};
    float src[6] = {0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src), y;
    const tensor_t *in[1] = {&x};
    attr_t attr = {.name = "perm", .type = ATTR_INTS, .count = 3, .ints = bad_length};
    error_t err = {0};

    CHECK_FAILS(harness_run("Transpose", 13, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "Transpose node 'n0': perm has 3 values");
    attr.count = 2;
    attr.ints = repeated;
    CHECK_FAILS(harness_run("Transpose", 13, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "value 1 at position 1");
    attr.ints = outside;
    CHECK_FAILS(harness_run("Transpose", 13, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT, "value 2 at position 1");
}

int main(void)
{
    test_fixed_cases();
    test_random_cases();
    test_default_perm_reverses();
    test_failures();
    CHECK_DONE();
}
