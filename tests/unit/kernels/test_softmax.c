/*
 * Unit tests of the softmax family against a naive reference: the row path
 * (normalised dim innermost) and the column path (inner dims after it), both
 * axis semantics (2-D coercion before opset 13, single axis from 13), large
 * inputs that would overflow exp without the max shift, and failure messages.
 */
#include "softmax/softmax.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define TEST_ELEMENTS 120

/*
 * Softmax (or its log) of x viewed as [outer, n, inner] along n, the slow
 * way: every column gathered with a strided index.
 */
static void reference(const float *x, double *y, int64_t outer, int64_t n, int64_t inner,
                      bool take_log)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            double max = -INFINITY, sum = 0.0;
            for (int64_t k = 0; k < n; k++)
                max = fmax(max, x[(o * n + k) * inner + j]);
            for (int64_t k = 0; k < n; k++)
                sum += exp(x[(o * n + k) * inner + j] - max);
            for (int64_t k = 0; k < n; k++) {
                int64_t i = (o * n + k) * inner + j;
                y[i] = take_log ? x[i] - max - log(sum) : exp(x[i] - max) / sum;
            }
        }
}

typedef struct axis_case {
    int opset;
    int64_t axis;
    bool has_axis;
    int64_t outer, n, inner; /* expected view of the [2,3,4,5] input */
} axis_case_t;

static const axis_case_t axis_cases[] = {
    {13, 0, false, 24, 5, 1}, /* default -1: rows */
    {13, 1, true, 2, 3, 20},  /* columns */
    {13, 0, true, 1, 2, 60},  /* columns, one block */
    {13, -2, true, 6, 4, 5},  /* negative axis */
    {11, 0, false, 2, 60, 1}, /* default 1, coerced to [2, 60] */
    {11, 2, true, 6, 20, 1},  /* coerced to [6, 20] */
    {1, -1, true, 24, 5, 1},  /* coerced to [24, 5] */
};

static void fill(float *v, int64_t n, unsigned seed, float scale, float offset)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = offset + scale * ((float)((seed >> 16) % 2001) / 1000.0f - 1.0f);
    }
}

static void test_against_reference(void)
{
    static float x[TEST_ELEMENTS];
    static double ref[TEST_ELEMENTS];
    tensor_t tx = {.dtype = DTYPE_FLOAT, .rank = 4, .dims = {2, 3, 4, 5}, .data = x};

    for (size_t c = 0; c < sizeof axis_cases / sizeof axis_cases[0]; c++) {
        const axis_case_t *ac = &axis_cases[c];
        const attr_t axis = {.name = "axis", .type = ATTR_INT, .i = ac->axis};
        for (int take_log = 0; take_log < 2; take_log++) {
            /* Values near 1000 overflow expf unless the maximum is subtracted first. */
            float offset = c % 2 ? 1000.0f : 0.0f;
            error_t err = {0};
            tensor_t y;
            fill(x, TEST_ELEMENTS, 3 + (unsigned)c, 5.0f, offset);
            status_t st = harness_run_runtime(take_log ? "LogSoftmax" : "Softmax", ac->opset, &axis,
                                              ac->has_axis ? 1 : 0, 1, (const tensor_t *[]){&tx}, 1,
                                              &y, &err);
            CHECK(st == STATUS_OK);
            if (st != STATUS_OK)
                continue;
            CHECK(shape_equal(y.rank, y.dims, tx.rank, tx.dims));
            reference(x, ref, ac->outer, ac->n, ac->inner, take_log);
            for (int i = 0; i < TEST_ELEMENTS; i++) {
                float v = ((float *)y.data)[i];
                CHECK(isfinite(v));
                CHECK_NEAR(v, ref[i], 1e-5 + 1e-5 * fabs(ref[i]));
            }
            free(y.data);
        }
    }
}

static void test_failures(void)
{
    float x[6] = {0};
    tensor_t t = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 3}, .data = x};
    tensor_t scalar = {.dtype = DTYPE_FLOAT, .rank = 0, .data = x};
    const attr_t axis2 = {.name = "axis", .type = ATTR_INT, .i = 2};
    const attr_t axis_m3 = {.name = "axis", .type = ATTR_INT, .i = -3};
    error_t err = {0};
    tensor_t y;

    CHECK(harness_run_runtime("Softmax", 13, &axis2, 1, 1, (const tensor_t *[]){&t}, 1, &y, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Softmax node 'n0'") && strstr(err.message, "axis 2") &&
          strstr(err.message, "[2,3]"));
    CHECK(harness_run_runtime("LogSoftmax", 11, &axis_m3, 1, 1, (const tensor_t *[]){&t}, 1, &y,
                              &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "LogSoftmax node 'n0'") && strstr(err.message, "axis -3"));
    CHECK(harness_run_runtime("Softmax", 13, NULL, 0, 1, (const tensor_t *[]){&scalar}, 1, &y,
                              &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "axis -1") && strstr(err.message, "[]"));
    CHECK(harness_run_runtime("Softmax", 11, &axis2, 1, 1, (const tensor_t *[]){&t}, 1, &y, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "axis 2") && strstr(err.message, "[2,3]"));
}

int main(void)
{
    test_against_reference();
    test_failures();
    CHECK_DONE();
}
