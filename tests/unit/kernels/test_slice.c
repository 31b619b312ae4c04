/*
 * Unit tests of the slice family: random windows (negative steps, clamped
 * and INT64_MAX/INT64_MIN bounds) against a reference that walks each axis
 * index by index, the attribute form, and the failure messages.
 */
#include "slice/slice.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define AXIS_MAX 16

static uint32_t rng_state = 777;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* The indices one axis takes, stepping literally from the clamped start. */
static int axis_indices(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *out)
{
    int n = 0;

    if (start < 0)
        start += dim;
    if (end < 0)
        end = end < -dim ? -1 : end + dim;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        for (int64_t i = start; i < end; i += step)
            out[n++] = i;
    } else {
        start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
        end = end > dim - 1 ? dim - 1 : end;
        for (int64_t i = start; i > end && dim > 0; i += step)
            out[n++] = i;
    }
    return n;
}

/* Writes src[idx[0][c0], idx[1][c1], ...] for every output coordinate, in order. */
static void ref_gather(int axis, int rank, const int64_t *strides, int64_t (*idx)[AXIS_MAX],
                       const int *count, const int32_t *src, int32_t **dst)
{
    if (axis == rank) {
        *(*dst)++ = *src;
        return;
    }
    for (int i = 0; i < count[axis]; i++)
        ref_gather(axis + 1, rank, strides, idx, count, src + idx[axis][i] * strides[axis], dst);
}

static int64_t random_bound(void)
{
    switch (rng() % 10) {
    case 0:
        return INT64_MAX;
    case 1:
        return INT64_MIN;
    default:
        return (int64_t)(rng() % 17) - 8;
    }
}

static void test_random_windows(void)
{
    for (int c = 0; c < 500; c++) {
        int rank = 1 + (int)(rng() % 4), n = 0, count[TENSOR_MAX_RANK];
        int64_t dims[TENSOR_MAX_RANK], strides[TENSOR_MAX_RANK], numel = 1;
        int64_t starts[TENSOR_MAX_RANK], ends[TENSOR_MAX_RANK], axes[TENSOR_MAX_RANK];
        int64_t steps[TENSOR_MAX_RANK], idx[TENSOR_MAX_RANK][AXIS_MAX], list_dims[1];
        int32_t src[6 * 6 * 6 * 6], expected[6 * 6 * 6 * 6], *cursor = expected;
        tensor_t x, s, e, a, st, y;
        const tensor_t *in[5] = {&x, &s, &e, &a, &st};
        error_t err = {0};
        int64_t expected_count = 1;

        for (int i = 0; i < rank; i++) {
            dims[i] = (int64_t)(rng() % 7);
            numel *= dims[i];
            count[i] = axis_indices(dims[i], 0, dims[i], 1, idx[i]);
        }
        for (int64_t i = 0; i < numel; i++)
            src[i] = (int32_t)rng();
        /* A random subset of the axes, in random order, some of them negative. */
        for (int i = 0; i < rank; i++) {
            int axis = (int)(rng() % (uint32_t)rank);
            bool used = false;
            for (int j = 0; j < n; j++)
                used |= axes[j] == axis || axes[j] == axis - rank;
            if (used)
                continue;
            axes[n] = rng() % 2 ? axis : axis - rank;
            starts[n] = random_bound();
            ends[n] = random_bound();
            steps[n] = 1 + (int64_t)(rng() % 3);
            if (rng() % 2)
                steps[n] = -steps[n];
            count[axis] = axis_indices(dims[axis], starts[n], ends[n], steps[n], idx[axis]);
            n++;
        }
        shape_strides(rank, dims, strides);
        ref_gather(0, rank, strides, idx, count, src, &cursor);
        list_dims[0] = n;
        x = harness_tensor(DTYPE_INT32, rank, dims, src);
        s = harness_tensor(DTYPE_INT64, 1, list_dims, starts);
        e = harness_tensor(DTYPE_INT64, 1, list_dims, ends);
        a = harness_tensor(DTYPE_INT64, 1, list_dims, axes);
        st = harness_tensor(DTYPE_INT64, 1, list_dims, steps);
        CHECK(harness_run("Slice", 13, NULL, 0, 5, in, 1, &y, &err) == STATUS_OK);
        for (int i = 0; i < rank; i++) {
            CHECK(y.dims[i] == count[i]);
            expected_count *= count[i];
        }
        CHECK(expected_count == cursor - expected);
        CHECK(memcmp(y.data, expected, (size_t)expected_count * sizeof *expected) == 0);
        free(y.data);
    }
}

/* The clamping rules of the spec, on an axis of size 5 of 0..4. */
static void test_clamping(void)
{
    static const struct {
        int64_t start, end, step;
        int count;
        int32_t first;
    } cases[] = {
        {-10, 3, 1, 3, 0},       {2, 100, 1, 3, 2},        {100, -100, -1, 5, 4},
        {-10, -20, -1, 1, 0},    {4, INT64_MIN, -2, 3, 4}, {0, INT64_MAX, 4, 2, 0},
        {1, 4, INT64_MAX, 1, 1}, {3, 0, INT64_MIN, 1, 3},  {5, 0, 1, 0, 0},
    };
    int32_t src[5] = {0, 1, 2, 3, 4};
    int64_t dims[] = {5}, one[] = {1};

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tensor_t x = harness_tensor(DTYPE_INT32, 1, dims, src), y;
        tensor_t s = harness_tensor(DTYPE_INT64, 1, one, (void *)&cases[c].start);
        tensor_t e = harness_tensor(DTYPE_INT64, 1, one, (void *)&cases[c].end);
        tensor_t st = harness_tensor(DTYPE_INT64, 1, one, (void *)&cases[c].step);
        const tensor_t *in[5] = {&x, &s, &e, NULL, &st};
        error_t err = {0};

        CHECK(harness_run("Slice", 13, NULL, 0, 5, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.dims[0] == cases[c].count);
        if (cases[c].count > 0)
            CHECK(((int32_t *)y.data)[0] == cases[c].first);
        free(y.data);
    }
}

static void test_attribute_form(void)
{
    float src[12];
    int64_t dims[] = {3, 4}, starts[] = {1, -3}, ends[] = {1000, -1}, axes[] = {1, 0};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src), y;
    const tensor_t *in[1] = {&x};
    attr_t attrs[3] = {{.name = "starts", .type = ATTR_INTS, .count = 2, .ints = starts},
                       {.name = "ends", .type = ATTR_INTS, .count = 2, .ints = ends},
                       {.name = "axes", .type = ATTR_INTS, .count = 2, .ints = axes}};
    error_t err = {0};

    for (int i = 0; i < 12; i++)
        src[i] = (float)i;
    /* Rows 0..1 (starts -3, ends -1 on axis 0), columns 1..3. */
    CHECK(harness_run("Slice", 9, attrs, 3, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 2 && y.dims[1] == 3);
    CHECK(((float *)y.data)[0] == 1 && ((float *)y.data)[5] == 7);
    free(y.data);
    attrs[1].count = 1;
    CHECK_FAILS(harness_run("Slice", 9, attrs, 3, 1, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "'starts', 'ends' and 'axes' have 2, 1 and 2 values");
    CHECK_FAILS(harness_run("Slice", 9, attrs + 2, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "attributes 'starts' and 'ends' are required");
}

static void test_failures(void)
{
    float src[12] = {0};
    int64_t dims[] = {3, 4}, two[] = {2}, one[] = {1}, three[] = {3};
    int64_t starts[] = {0, 0, 0}, ends[] = {2, 2, 2}, axes[] = {1, -1}, steps[] = {1, 0};
    int32_t axes32[] = {0, 2};
    tensor_t x = harness_tensor(DTYPE_FLOAT, 2, dims, src), y;
    tensor_t s = harness_tensor(DTYPE_INT64, 1, two, starts),
             e = harness_tensor(DTYPE_INT64, 1, two, ends);
    tensor_t a = harness_tensor(DTYPE_INT64, 1, two, axes),
             st = harness_tensor(DTYPE_INT64, 1, two, steps);
    const tensor_t *in[5] = {&x, &s, &e, &a, &st};
    error_t err = {0};

    CHECK_FAILS(harness_run("Slice", 13, NULL, 0, 4, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "Slice node 'n0': axis -1 is repeated");
    axes[1] = 0;
    CHECK_FAILS(harness_run("Slice", 13, NULL, 0, 5, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "step for axis 0 is 0");
    a = harness_tensor(DTYPE_INT32, 1, two, axes32);
    CHECK_FAILS(harness_run("Slice", 13, NULL, 0, 4, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "axis 2 is out of range for data of rank 2");
    e = harness_tensor(DTYPE_INT64, 1, one, ends);
    CHECK_FAILS(harness_run("Slice", 13, NULL, 0, 3, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'ends' has shape [1], expected [2]");
    s = harness_tensor(DTYPE_INT64, 1, three, starts);
    CHECK_FAILS(harness_run("Slice", 13, NULL, 0, 3, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'starts' has shape [3] for data of rank 2");
    CHECK_FAILS(harness_run("Slice", 10, NULL, 0, 2, in, 1, &y, &err), err, STATUS_INVALID_MODEL,
                "opset 10 takes 3 to 5 inputs, got 2");
}

int main(void)
{
    test_random_windows();
    test_clamping();
    test_attribute_form();
    test_failures();
    CHECK_DONE();
}
