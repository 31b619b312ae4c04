/*
 * Unit tests of the reduce family: every Reduce* over many axis sets and the
 * three dtypes against a per-element reference (which exercises the merged
 * row/column walks), the opset 13 ReduceSum axes input and
 * noop_with_empty_axes, empty reductions, ArgMax ties on both paths, and
 * prototype failure messages.
 */
#include "reduce/reduce.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define N_ELEMENTS 120 /* the [2,3,4,5] test input */

static const int64_t dims4[4] = {2, 3, 4, 5};

/* The reduced output index of input element i of [2,3,4,5] under mask, the slow way. */
static int64_t ref_out_index(int64_t i, uint32_t mask)
{
    int64_t out = 0, stride = 1;

    for (int d = 3; d >= 0; d--) {
        int64_t coord = i % dims4[d];
        i /= dims4[d];
        if (mask & (1u << d))
            continue;
        out += coord * stride;
        stride *= dims4[d];
    }
    return out;
}

typedef struct op_case {
    const char *op_type;
    reduce_op_t op;
} op_case_t;

static const op_case_t op_cases[] = {
    {"ReduceSum", REDUCE_SUM},
    {"ReduceMean", REDUCE_MEAN},
    {"ReduceMax", REDUCE_MAX},
    {"ReduceMin", REDUCE_MIN},
    {"ReduceSumSquare", REDUCE_SUM_SQUARE},
};

/* Axis sets as masks over [2,3,4,5]: rows, columns, alternating and complete. */
static const uint32_t masks[] = {0x1, 0x2, 0x8, 0x5, 0xa, 0x6, 0x9, 0xf, 0xe, 0x7};

static double value_at(const tensor_t *t, int64_t i)
{
    switch (t->dtype) {
    case DTYPE_FLOAT:
        return ((const float *)t->data)[i];
    case DTYPE_INT32:
        return ((const int32_t *)t->data)[i];
    default:
        return (double)((const int64_t *)t->data)[i];
    }
}

static void reference(reduce_op_t op, const tensor_t *x, uint32_t mask, double *ref, int64_t n_out)
{
    int64_t count = 1;

    for (int d = 0; d < 4; d++)
        if (mask & (1u << d))
            count *= dims4[d];
    for (int64_t o = 0; o < n_out; o++)
        ref[o] = op == REDUCE_MAX ? -INFINITY : op == REDUCE_MIN ? INFINITY : 0.0;
    for (int64_t i = 0; i < N_ELEMENTS; i++) {
        double v = value_at(x, i);
        double *r = &ref[ref_out_index(i, mask)];
        if (op == REDUCE_MAX)
            *r = fmax(*r, v);
        else if (op == REDUCE_MIN)
            *r = fmin(*r, v);
        else
            *r += op == REDUCE_SUM_SQUARE ? v * v : v;
    }
    if (op == REDUCE_MEAN)
        for (int64_t o = 0; o < n_out; o++)
            ref[o] = x->dtype == DTYPE_FLOAT ? ref[o] / (double)count : trunc(ref[o] / count);
}

static void test_against_reference(void)
{
    static float xf[N_ELEMENTS];
    static int32_t xi32[N_ELEMENTS];
    static int64_t xi64[N_ELEMENTS];
    static double ref[N_ELEMENTS];
    tensor_t inputs[] = {
        {.dtype = DTYPE_FLOAT, .rank = 4, .dims = {2, 3, 4, 5}, .data = xf},
        {.dtype = DTYPE_INT32, .rank = 4, .dims = {2, 3, 4, 5}, .data = xi32},
        {.dtype = DTYPE_INT64, .rank = 4, .dims = {2, 3, 4, 5}, .data = xi64},
    };
    unsigned seed = 5;

    for (int i = 0; i < N_ELEMENTS; i++) {
        seed = seed * 1103515245u + 12345u;
        xi32[i] = (int32_t)((seed >> 16) % 201) - 100;
        xi64[i] = xi32[i] * 3;
        xf[i] = (float)xi32[i] / 16.0f;
    }
    for (size_t oc = 0; oc < sizeof op_cases / sizeof op_cases[0]; oc++)
        for (size_t mc = 0; mc < sizeof masks / sizeof masks[0]; mc++)
            for (int keepdims = 0; keepdims < 2; keepdims++)
                for (size_t t = 0; t < 3; t++) {
                    int64_t axes[4];
                    int n_axes = 0;
                    for (int d = 0; d < 4; d++)
                        if (masks[mc] & (1u << d))
                            axes[n_axes++] = d - (d % 2 ? 4 : 0); /* mix in negative axes */
                    const attr_t attrs[] = {
                        {.name = "keepdims", .type = ATTR_INT, .i = keepdims},
                        {.name = "axes", .type = ATTR_INTS, .count = (size_t)n_axes, .ints = axes},
                    };
                    const tensor_t *in[] = {&inputs[t]};
                    error_t err = {0};
                    tensor_t y;
                    status_t st =
                        harness_run_runtime(op_cases[oc].op_type, 11, attrs, 2, 1, in, 1, &y, &err);
                    CHECK(st == STATUS_OK);
                    if (st != STATUS_OK)
                        continue;
                    CHECK(y.dtype == inputs[t].dtype);
                    CHECK(y.rank == (keepdims ? 4 : 4 - n_axes));
                    int64_t n_out = tensor_numel(&y);
                    reference(op_cases[oc].op, &inputs[t], masks[mc], ref, n_out);
                    for (int64_t o = 0; o < n_out; o++)
                        CHECK_NEAR(value_at(&y, o), ref[o], 1e-4 * (1.0 + fabs(ref[o])));
                    free(y.data);
                }
}

static void test_axes_input(void)
{
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t axes1[] = {-1};
    tensor_t tx = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 3}, .data = x};
    tensor_t t_axes = {.dtype = DTYPE_INT64, .rank = 1, .dims = {1}, .data = axes1};
    tensor_t t_empty = {.dtype = DTYPE_INT64, .rank = 1, .dims = {0}, .data = axes1};
    const attr_t no_keep = {.name = "keepdims", .type = ATTR_INT, .i = 0};
    const attr_t noop = {.name = "noop_with_empty_axes", .type = ATTR_INT, .i = 1};
    error_t err = {0};
    tensor_t y;

    CHECK(harness_run_runtime("ReduceSum", 13, &no_keep, 1, 2, (const tensor_t *[]){&tx, &t_axes},
                              1, &y, &err) == STATUS_OK);
    CHECK(y.rank == 1 && y.dims[0] == 2);
    CHECK(((float *)y.data)[0] == 6.0f && ((float *)y.data)[1] == 15.0f);
    free(y.data);
    /* Empty or omitted axes reduce everything... */
    CHECK(harness_run_runtime("ReduceSum", 13, NULL, 0, 2, (const tensor_t *[]){&tx, &t_empty}, 1,
                              &y, &err) == STATUS_OK);
    CHECK(y.rank == 2 && y.dims[0] == 1 && y.dims[1] == 1 && ((float *)y.data)[0] == 21.0f);
    free(y.data);
    CHECK(harness_run_runtime("ReduceSum", 13, NULL, 0, 1, (const tensor_t *[]){&tx}, 1, &y,
                              &err) == STATUS_OK);
    CHECK(y.rank == 2 && ((float *)y.data)[0] == 21.0f);
    free(y.data);
    /* ...unless noop_with_empty_axes passes the input through. */
    CHECK(harness_run_runtime("ReduceSum", 13, &noop, 1, 2, (const tensor_t *[]){&tx, &t_empty}, 1,
                              &y, &err) == STATUS_OK);
    CHECK(shape_equal(y.rank, y.dims, tx.rank, tx.dims));
    CHECK(memcmp(y.data, x, sizeof x) == 0);
    free(y.data);
}

static void test_empty_reduction(void)
{
    float x[1] = {0};
    const int64_t axes[] = {1};
    const attr_t attr = {.name = "axes", .type = ATTR_INTS, .count = 1, .ints = axes};
    tensor_t tx = {.dtype = DTYPE_FLOAT, .rank = 3, .dims = {2, 0, 3}, .data = x};
    const tensor_t *in[] = {&tx};
    error_t err = {0};
    tensor_t y;

    CHECK(harness_run_runtime("ReduceSum", 11, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(tensor_numel(&y) == 6 && ((float *)y.data)[5] == 0.0f);
    free(y.data);
    CHECK(harness_run_runtime("ReduceMax", 13, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(tensor_numel(&y) == 6 && ((float *)y.data)[0] == -INFINITY);
    free(y.data);
    CHECK(harness_run_runtime("ReduceMean", 13, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(tensor_numel(&y) == 6 && isnan(((float *)y.data)[3]));
    free(y.data);
}

static void test_argmax(void)
{
    /* [2,3,2] with ties along axis 1 in both columns of the second block. */
    float x[12] = {1, 9, 5, 9, 5, 2, 7, 7, 7, 7, 3, 8};
    int64_t xl[12];
    tensor_t tf = {.dtype = DTYPE_FLOAT, .rank = 3, .dims = {2, 3, 2}, .data = x};
    tensor_t tl = {.dtype = DTYPE_INT64, .rank = 3, .dims = {2, 3, 2}, .data = xl};
    static const int64_t first_ax1[4] = {1, 0, 0, 2}, last_ax1[4] = {2, 1, 1, 2};
    static const int64_t first_ax2[6] = {1, 1, 0, 0, 0, 1}, last_ax2[6] = {1, 1, 0, 1, 1, 1};

    for (int i = 0; i < 12; i++)
        xl[i] = (int64_t)x[i] - 5;
    for (int t = 0; t < 2; t++)
        for (int last = 0; last < 2; last++) {
            const attr_t ax1[] = {{.name = "axis", .type = ATTR_INT, .i = 1},
                                  {.name = "keepdims", .type = ATTR_INT, .i = 0},
                                  {.name = "select_last_index", .type = ATTR_INT, .i = last}};
            const attr_t ax2[] = {{.name = "axis", .type = ATTR_INT, .i = -1},
                                  {.name = "select_last_index", .type = ATTR_INT, .i = last}};
            const tensor_t *in[] = {t ? &tl : &tf};
            error_t err = {0};
            tensor_t y;
            /* Axis 1 has inner dims after it: the column path. */
            CHECK(harness_run_runtime("ArgMax", 12, ax1, 3, 1, in, 1, &y, &err) == STATUS_OK);
            CHECK(y.dtype == DTYPE_INT64 && y.rank == 2 && y.dims[0] == 2 && y.dims[1] == 2);
            CHECK(memcmp(y.data, last ? last_ax1 : first_ax1, sizeof first_ax1) == 0);
            free(y.data);
            /* The last axis is contiguous: the row path. */
            CHECK(harness_run_runtime("ArgMax", 13, ax2, 2, 1, in, 1, &y, &err) == STATUS_OK);
            CHECK(y.rank == 3 && y.dims[2] == 1);
            CHECK(memcmp(y.data, last ? last_ax2 : first_ax2, sizeof first_ax2) == 0);
            free(y.data);
        }
}

static void test_failures(void)
{
    error_t err;
    tensor_t y;
    float x[6] = {0};
    int64_t bad_axes[] = {2}, dup_axes[] = {1, -1}, axes2d[] = {0, 1};
    tensor_t tx = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 3}, .data = x};
    tensor_t empty = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 0}, .data = x};
    tensor_t t_bad = {.dtype = DTYPE_INT64, .rank = 1, .dims = {1}, .data = bad_axes};
    tensor_t t_2d = {.dtype = DTYPE_INT64, .rank = 2, .dims = {1, 2}, .data = axes2d};
    const attr_t bad = {.name = "axes", .type = ATTR_INTS, .count = 1, .ints = bad_axes};
    const attr_t dup = {.name = "axes", .type = ATTR_INTS, .count = 2, .ints = dup_axes};
    const attr_t keep2 = {.name = "keepdims", .type = ATTR_INT, .i = 2};
    const attr_t axis2 = {.name = "axis", .type = ATTR_INT, .i = 2};
    const attr_t axis1 = {.name = "axis", .type = ATTR_INT, .i = 1};

    CHECK_FAILS(
        harness_run_runtime("ReduceMean", 13, &bad, 1, 1, (const tensor_t *[]){&tx}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT, "ReduceMean node 'n0'", "axis 2", "[2,3]");
    CHECK_FAILS(
        harness_run_runtime("ReduceMax", 11, &dup, 1, 1, (const tensor_t *[]){&tx}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT, "ReduceMax node 'n0'", "axis -1", "twice");
    CHECK_FAILS(harness_run_runtime("ReduceSum", 13, NULL, 0, 2, (const tensor_t *[]){&tx, &t_bad},
                                    1, &y, &err),
                err, STATUS_INVALID_ARGUMENT, "axis 2", "[2,3]");
    CHECK_FAILS(harness_run_runtime("ReduceSum", 13, NULL, 0, 2, (const tensor_t *[]){&tx, &t_2d},
                                    1, &y, &err),
                err, STATUS_INVALID_ARGUMENT, "axes must be 1-D", "[1,2]");
    CHECK_FAILS(
        harness_run_runtime("ReduceMin", 13, &keep2, 1, 1, (const tensor_t *[]){&tx}, 1, &y, &err),
        err, STATUS_INVALID_MODEL, "'keepdims'", "got 2");
    CHECK_FAILS(
        harness_run_runtime("ArgMax", 13, &axis2, 1, 1, (const tensor_t *[]){&tx}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT, "ArgMax node 'n0'", "axis 2", "[2,3]");
    CHECK_FAILS(
        harness_run_runtime("ArgMax", 13, &axis1, 1, 1, (const tensor_t *[]){&empty}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT, "[2,0]", "empty");
}

int main(void)
{
    test_against_reference();
    test_axes_input();
    test_empty_reduction();
    test_argmax();
    test_failures();
    CHECK_DONE();
}
