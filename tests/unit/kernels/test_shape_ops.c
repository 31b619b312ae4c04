/*
 * Unit tests of the small shape-producing families: shape (Shape with
 * start/end, Size), constant (Constant in all its attribute forms,
 * ConstantOfShape) and range (Range counts, extremes and failures).
 */
#include "constant/constant.h"
#include "range/range.h"
#include "shape/shape.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

static void test_shape(void)
{
    static const struct {
        bool has_start, has_end;
        int64_t start, end, first, count;
    } cases[] = {
        {false, false, 0, 0, 0, 4}, {true, false, -1, 0, 3, 1}, {false, true, 0, -10, 0, 0},
        {true, true, 1, 3, 1, 2},   {true, true, 10, 2, 0, 0},  {true, true, -10, 10, 0, 4},
    };
    int64_t dims[] = {2, 3, 5, 7};
    tensor_t x = harness_tensor(DTYPE_BOOL, 4, dims, NULL), y;
    const tensor_t *in[1] = {&x};
    const op_schema_t *schema = op_registry_find("Shape", 15);

    CHECK(schema && schema->kernel->shape_only);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attr_t attrs[2];
        size_t n = 0;
        error_t err = {0};
        if (cases[c].has_start)
            attrs[n++] = (attr_t){.name = "start", .type = ATTR_INT, .i = cases[c].start};
        if (cases[c].has_end)
            attrs[n++] = (attr_t){.name = "end", .type = ATTR_INT, .i = cases[c].end};
        CHECK(harness_run("Shape", 15, attrs, n, 1, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.dtype == DTYPE_INT64 && y.rank == 1 && y.dims[0] == cases[c].count);
        for (int64_t i = 0; i < y.dims[0]; i++)
            CHECK(((int64_t *)y.data)[i] == dims[cases[c].first + i]);
        free(y.data);
    }
}

/* Size reads only the shape: the input has no data, as when it is planned. */
static void test_size(void)
{
    static const struct {
        int rank;
        int64_t dims[4];
        int64_t count;
    } cases[] = {
        {4, {2, 3, 5, 7}, 210},
        {0, {0}, 1},
        {3, {4, 0, 9}, 0},
    };
    static const int opsets[] = {1, 12, 13, OPSET_MAX};

    for (size_t o = 0; o < sizeof opsets / sizeof opsets[0]; o++) {
        const op_schema_t *schema = op_registry_find("Size", opsets[o]);
        CHECK(schema && schema->kernel->shape_only);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            tensor_t x = harness_tensor(DTYPE_FLOAT, cases[c].rank, cases[c].dims, NULL), y;
            error_t err;
            CHECK(harness_run("Size", opsets[o], NULL, 0, 1, (const tensor_t *[]){&x}, 1, &y,
                              &err) == STATUS_OK);
            CHECK(y.dtype == DTYPE_INT64 && y.rank == 0);
            CHECK(y.data && *(int64_t *)y.data == cases[c].count);
            harness_free(&y, 1);
        }
    }
}

static void test_constant(void)
{
    int64_t dims[] = {2}, ints[] = {4, 5, 6};
    int32_t values[2] = {-3, 8};
    float floats[] = {0.5f, 1.5f};
    tensor_t t = harness_tensor(DTYPE_INT32, 1, dims, values), y;
    attr_t attrs[2] = {{.name = "value", .type = ATTR_TENSOR, .t = &t}};
    error_t err = {0};

    CHECK(harness_run("Constant", 13, attrs, 1, 0, NULL, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_INT32 && y.rank == 1 && memcmp(y.data, values, sizeof values) == 0);
    free(y.data);
    attrs[0] = (attr_t){.name = "value_floats", .type = ATTR_FLOATS, .count = 2, .floats = floats};
    CHECK(harness_run("Constant", 12, attrs, 1, 0, NULL, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_FLOAT && y.dims[0] == 2 && ((float *)y.data)[1] == 1.5f);
    free(y.data);
    attrs[0] = (attr_t){.name = "value_int", .type = ATTR_INT, .i = -9};
    CHECK(harness_run("Constant", 12, attrs, 1, 0, NULL, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_INT64 && y.rank == 0 && *(int64_t *)y.data == -9);
    free(y.data);
    attrs[0] = (attr_t){.name = "value_ints", .type = ATTR_INTS, .count = 3, .ints = ints};
    CHECK(harness_run("Constant", 12, attrs, 1, 0, NULL, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_INT64 && y.dims[0] == 3 && ((int64_t *)y.data)[2] == 6);
    free(y.data);
    attrs[0] = (attr_t){.name = "value_float", .type = ATTR_FLOAT, .f = 2.5f};
    CHECK(harness_run("Constant", 12, attrs, 1, 0, NULL, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_FLOAT && y.rank == 0 && *(float *)y.data == 2.5f);
    free(y.data);
}

static void test_constant_failures(void)
{
    tensor_t text = {.dtype = DTYPE_STRING, .rank = 0}, y;
    attr_t attrs[2] = {{.name = "sparse_value", .type = ATTR_SPARSE_TENSOR},
                       {.name = "value_int", .type = ATTR_INT, .i = 1}};
    error_t err = {0};

    CHECK_FAILS(harness_run("Constant", 13, attrs, 1, 0, NULL, 1, &y, &err), err,
                STATUS_UNSUPPORTED,
                "Constant node 'n0': attribute 'sparse_value': sparse and string constants");
    attrs[0] = (attr_t){.name = "value_strings", .type = ATTR_STRINGS};
    CHECK_FAILS(harness_run("Constant", 13, attrs, 1, 0, NULL, 1, &y, &err), err,
                STATUS_UNSUPPORTED, "attribute 'value_strings'");
    CHECK_FAILS(harness_run("Constant", 13, attrs, 2, 0, NULL, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "needs exactly one value attribute, got 2");
    CHECK_FAILS(harness_run("Constant", 13, NULL, 0, 0, NULL, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "got 0");
    attrs[0] = (attr_t){.name = "value", .type = ATTR_TENSOR, .t = &text};
    CHECK_FAILS(harness_run("Constant", 13, attrs, 1, 0, NULL, 1, &y, &err), err,
                STATUS_UNSUPPORTED, "attribute 'value' has dtype string");
    attrs[0] = (attr_t){.name = "value_ints", .type = ATTR_INT, .i = 3};
    CHECK_FAILS(harness_run("Constant", 13, attrs, 1, 0, NULL, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "attribute 'value_ints' has the wrong type");
}

static void test_constant_of_shape(void)
{
    int64_t shape[] = {2, 0, 3}, shape_dims[] = {3}, value = -5, one[] = {1};
    int64_t big[] = {1, 2, 1, 2, 1, 2, 1, 2, 1}, nine[] = {9};
    tensor_t s = harness_tensor(DTYPE_INT64, 1, shape_dims, shape), y;
    tensor_t v = harness_tensor(DTYPE_INT64, 1, one, &value);
    const tensor_t *in[1] = {&s};
    attr_t attr = {.name = "value", .type = ATTR_TENSOR, .t = &v};
    error_t err = {0};

    CHECK(harness_run("ConstantOfShape", 9, NULL, 0, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_FLOAT && y.rank == 3 && y.dims[1] == 0);
    free(y.data);
    shape[1] = 4;
    CHECK(harness_run("ConstantOfShape", 9, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_INT64 && tensor_numel(&y) == 24);
    CHECK(((int64_t *)y.data)[0] == -5 && ((int64_t *)y.data)[23] == -5);
    free(y.data);
    /* An empty shape makes a scalar. */
    s.dims[0] = 0;
    CHECK(harness_run("ConstantOfShape", 9, &attr, 1, 1, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.rank == 0 && *(int64_t *)y.data == -5);
    free(y.data);
    s.dims[0] = 3;
    shape[2] = -1;
    CHECK_FAILS(harness_run("ConstantOfShape", 9, NULL, 0, 1, in, 1, &y, &err), err,
                STATUS_INVALID_ARGUMENT,
                "ConstantOfShape node 'n0': invalid output shape [2,4,-1]");
    s = harness_tensor(DTYPE_INT64, 1, nine, big);
    CHECK_FAILS(harness_run("ConstantOfShape", 9, NULL, 0, 1, in, 1, &y, &err), err,
                STATUS_UNSUPPORTED, "output rank 9 exceeds 8");
    v.dims[0] = 2;
    CHECK_FAILS(harness_run("ConstantOfShape", 9, &attr, 1, 1, in, 1, &y, &err), err,
                STATUS_INVALID_MODEL, "attribute 'value' must hold one element, not 2");
}

/* Range over int64 scalars; returns the status and leaves the output in y. */
static status_t range64(int64_t start, int64_t limit, int64_t delta, tensor_t *y, error_t *err)
{
    tensor_t s = harness_tensor(DTYPE_INT64, 0, NULL, &start),
             l = harness_tensor(DTYPE_INT64, 0, NULL, &limit);
    tensor_t d = harness_tensor(DTYPE_INT64, 0, NULL, &delta);
    const tensor_t *in[3] = {&s, &l, &d};

    return harness_run("Range", 11, NULL, 0, 3, in, 1, y, err);
}

static void test_range(void)
{
    float fs = 1.0f, fl = 2.0f, fd = 0.3f;
    int32_t is = 10, il = 3, id = -3;
    tensor_t s = harness_tensor(DTYPE_FLOAT, 0, NULL, &fs),
             l = harness_tensor(DTYPE_FLOAT, 0, NULL, &fl);
    tensor_t d = harness_tensor(DTYPE_FLOAT, 0, NULL, &fd), y;
    const tensor_t *in[3] = {&s, &l, &d};
    error_t err = {0};

    /* ceil((2 - 1) / 0.3) = 4: 1, 1.3, 1.6, 1.9. */
    CHECK(harness_run("Range", 11, NULL, 0, 3, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dtype == DTYPE_FLOAT && y.dims[0] == 4);
    CHECK_NEAR(((float *)y.data)[3], 1.9, 1e-6);
    free(y.data);
    s = harness_tensor(DTYPE_INT32, 0, NULL, &is);
    l = harness_tensor(DTYPE_INT32, 0, NULL, &il);
    d = harness_tensor(DTYPE_INT32, 0, NULL, &id);
    CHECK(harness_run("Range", 11, NULL, 0, 3, in, 1, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 3 && ((int32_t *)y.data)[2] == 4);
    free(y.data);
    /* Wrong direction: empty. */
    CHECK(range64(0, 5, -1, &y, &err) == STATUS_OK && y.dims[0] == 0);
    free(y.data);
    /* The full int64 span in four steps does not overflow. */
    CHECK(range64(INT64_MIN, INT64_MAX, INT64_C(1) << 62, &y, &err) == STATUS_OK);
    CHECK(y.dims[0] == 4 && ((int64_t *)y.data)[3] == INT64_C(1) << 62);
    free(y.data);
    CHECK(range64(5, 0, INT64_MIN, &y, &err) == STATUS_OK && y.dims[0] == 1);
    free(y.data);
    CHECK_FAILS(range64(0, 5, 0, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "Range node 'n0': delta is 0");
    CHECK_FAILS(range64(0, INT64_MAX, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "the range has more than 4294967296 elements");
    fs = 0.0f;
    fd = 0.0f;
    s = harness_tensor(DTYPE_FLOAT, 0, NULL, &fs);
    l = harness_tensor(DTYPE_INT32, 0, NULL, &il);
    d = harness_tensor(DTYPE_FLOAT, 0, NULL, &fd);
    CHECK_FAILS(harness_run("Range", 11, NULL, 0, 3, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "input 'limit' has dtype int32, 'start' has float");
    l = harness_tensor(DTYPE_FLOAT, 0, NULL, &fl);
    CHECK_FAILS(harness_run("Range", 11, NULL, 0, 3, in, 1, &y, &err), err, STATUS_INVALID_ARGUMENT,
                "start 0, limit 2, delta 0 do not make a range");
}

int main(void)
{
    test_shape();
    test_size();
    test_constant();
    test_constant_failures();
    test_constant_of_shape();
    test_range();
    CHECK_DONE();
}
