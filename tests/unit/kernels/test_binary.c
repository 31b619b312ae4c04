/*
 * Unit tests of the binary family: the collapsed broadcast walk against a
 * naive per-element reference, integer edge cases, the variadic fold, the
 * opset 1-6 broadcast form, and prototype failure messages.
 */
#include "binary/binary.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "ref_broadcast.h"

#define TEST_MAX_ELEMENTS 512

static float ref_float(binary_op_t op, float x, float y)
{
    switch (op) {
    case BINARY_ADD:
        return x + y;
    case BINARY_SUB:
        return x - y;
    case BINARY_MUL:
        return x * y;
    case BINARY_DIV:
        return x / y;
    case BINARY_MIN:
        return x < y ? x : y;
    case BINARY_MAX:
        return x > y ? x : y;
    default:
        return x < 0 ? x * y : x;
    }
}

static void fill(float *v, int64_t n, unsigned seed)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 16) % 2001) / 100.0f - 10.0f;
        if (v[i] == 0.0f)
            v[i] = 0.5f;
    }
}

typedef struct shape_case {
    int rank_a;
    int64_t a[4];
    int rank_b;
    int64_t b[4];
} shape_case_t;

static const shape_case_t shape_cases[] = {
    {4, {2, 3, 4, 5}, 4, {2, 3, 4, 5}}, /* one row */
    {4, {2, 3, 4, 5}, 1, {5}},          /* row broadcast */
    {4, {2, 3, 4, 5}, 3, {3, 1, 1}},    /* per channel: scalar rows */
    {4, {2, 3, 4, 5}, 0, {0}},          /* scalar */
    {0, {0}, 4, {2, 3, 4, 5}},          /* scalar on the left */
    {2, {4, 1}, 2, {1, 5}},             /* outer product */
    {4, {2, 1, 4, 1}, 4, {1, 3, 1, 5}}, /* alternating */
    {3, {4, 3, 1}, 3, {1, 1, 7}},       /* merged outer dims */
    {2, {3, 1}, 2, {3, 1}},             /* trailing 1 */
    {1, {1}, 1, {1}},                   /* one element */
    {4, {2, 3, 4, 5}, 4, {2, 1, 4, 1}},
    {2, {0, 3}, 1, {3}}, /* empty */
};

static const char *const op_names[] = {
    [BINARY_ADD] = "Add", [BINARY_SUB] = "Sub", [BINARY_MUL] = "Mul",
    [BINARY_DIV] = "Div", [BINARY_MIN] = "Min", [BINARY_MAX] = "Max",
};

static void test_broadcast_walk(void)
{
    static float a_data[TEST_MAX_ELEMENTS], b_data[TEST_MAX_ELEMENTS];

    fill(a_data, TEST_MAX_ELEMENTS, 1);
    fill(b_data, TEST_MAX_ELEMENTS, 2);
    for (size_t c = 0; c < sizeof shape_cases / sizeof shape_cases[0]; c++) {
        const shape_case_t *sc = &shape_cases[c];
        tensor_t a = harness_tensor(DTYPE_FLOAT, sc->rank_a, sc->a, a_data);
        tensor_t b = harness_tensor(DTYPE_FLOAT, sc->rank_b, sc->b, b_data);
        const tensor_t *in[2] = {&a, &b};
        for (binary_op_t op = BINARY_ADD; op <= BINARY_MAX; op++) {
            tensor_t out;
            error_t err = {0};
            status_t st = harness_run(op_names[op], 14, NULL, 0, 2, in, 1, &out, &err);
            CHECK(st == STATUS_OK);
            if (st != STATUS_OK)
                continue;
            const float *o = out.data;
            for (int64_t i = 0; i < tensor_numel(&out); i++) {
                float want = ref_float(
                    op, a_data[ref_broadcast_offset(i, out.rank, out.dims, a.rank, a.dims)],
                    b_data[ref_broadcast_offset(i, out.rank, out.dims, b.rank, b.dims)]);
                if (o[i] != want) {
                    fprintf(stderr, "case %zu op %s element %lld\n", c, op_names[op], (long long)i);
                    CHECK(o[i] == want);
                    break;
                }
            }
            free(out.data);
        }
    }
}

static void test_prelu(void)
{
    float x[60], slope[5] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){3, 4, 5}, x);
    tensor_t ts = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){5}, slope);
    const tensor_t *in[2] = {&tx, &ts};
    tensor_t out;
    error_t err = {0};

    fill(x, 60, 3);
    CHECK(harness_run("PRelu", 16, NULL, 0, 2, in, 1, &out, &err) == STATUS_OK);
    for (int i = 0; i < 60; i++)
        CHECK(((float *)out.data)[i] == (x[i] < 0 ? x[i] * slope[i % 5] : x[i]));
    free(out.data);

    /* slope may not grow X. */
    tensor_t big = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 5}, x);
    tensor_t small = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){5}, slope);
    const tensor_t *bad[2] = {&small, &big};
    CHECK(harness_run("PRelu", 16, NULL, 0, 2, bad, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "PRelu node 'n0'") != NULL);
    CHECK(strstr(err.message, "slope of shape [2,5]") != NULL);
    CHECK(strstr(err.message, "X of shape [5]") != NULL);
}

static void test_integer_edges(void)
{
    int32_t a[4] = {INT32_MAX, INT32_MIN, 7, -7};
    int32_t b[4] = {1, -1, 0, 2};
    tensor_t ta = harness_tensor(DTYPE_INT32, 1, (int64_t[]){4}, a);
    tensor_t tb = harness_tensor(DTYPE_INT32, 1, (int64_t[]){4}, b);
    const tensor_t *in[2] = {&ta, &tb};
    tensor_t out;
    error_t err = {0};
    const int32_t *o;

    CHECK(harness_run("Add", 14, NULL, 0, 2, in, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == INT32_MIN && o[1] == INT32_MAX && o[2] == 7 && o[3] == -5);
    free(out.data);

    CHECK(harness_run("Div", 14, NULL, 0, 2, in, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == INT32_MAX && o[1] == INT32_MIN && o[2] == 0 && o[3] == -3);
    free(out.data);

    uint16_t u[2] = {65535, 300}, v[1] = {65535};
    tensor_t tu = harness_tensor(DTYPE_UINT16, 1, (int64_t[]){2}, u);
    tensor_t tv = harness_tensor(DTYPE_UINT16, 0, NULL, v);
    const tensor_t *uin[2] = {&tu, &tv};
    CHECK(harness_run("Mul", 14, NULL, 0, 2, uin, 1, &out, &err) == STATUS_OK);
    CHECK(((uint16_t *)out.data)[0] == 1);
    CHECK(((uint16_t *)out.data)[1] == (uint16_t)(300u * 65535u));
    free(out.data);

    uint8_t p[3] = {200, 10, 3}, q[3] = {100, 20, 0};
    tensor_t tp = harness_tensor(DTYPE_UINT8, 1, (int64_t[]){3}, p);
    tensor_t tq = harness_tensor(DTYPE_UINT8, 1, (int64_t[]){3}, q);
    const tensor_t *pin[2] = {&tp, &tq};
    CHECK(harness_run("Sub", 14, NULL, 0, 2, pin, 1, &out, &err) == STATUS_OK);
    CHECK(((uint8_t *)out.data)[1] == 246);
    free(out.data);
    CHECK(harness_run("Div", 14, NULL, 0, 2, pin, 1, &out, &err) == STATUS_OK);
    CHECK(((uint8_t *)out.data)[0] == 2 && ((uint8_t *)out.data)[2] == 0);
    free(out.data);

    int64_t m[3] = {5, -3, 9}, n[3] = {4, -8, 9};
    tensor_t tm = harness_tensor(DTYPE_INT64, 1, (int64_t[]){3}, m);
    tensor_t tn = harness_tensor(DTYPE_INT64, 1, (int64_t[]){3}, n);
    const tensor_t *mn[2] = {&tm, &tn};
    CHECK(harness_run("Max", 13, NULL, 0, 2, mn, 1, &out, &err) == STATUS_OK);
    CHECK(((int64_t *)out.data)[0] == 5 && ((int64_t *)out.data)[1] == -3);
    free(out.data);
}

static void test_variadic(void)
{
    float a[3] = {1, 5, 3}, b[3] = {4, 2, 6}, c[6] = {0, 10, 0, 10, 0, 10}, s[1] = {3.5f};
    tensor_t ta = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){3}, a);
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){3}, b);
    tensor_t tc = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 3}, c);
    tensor_t ts = harness_tensor(DTYPE_FLOAT, 0, NULL, s);
    tensor_t out;
    error_t err = {0};
    const float *o;

    /* The first pair is smaller than the output: input 0 is broadcast first. */
    const tensor_t *three[3] = {&ta, &tb, &tc};
    CHECK(harness_run("Sum", 13, NULL, 0, 3, three, 1, &out, &err) == STATUS_OK);
    CHECK(out.rank == 2 && out.dims[0] == 2 && out.dims[1] == 3);
    o = out.data;
    for (int i = 0; i < 6; i++)
        CHECK(o[i] == a[i % 3] + b[i % 3] + c[i]);
    free(out.data);

    CHECK(harness_run("Max", 13, NULL, 0, 3, three, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == 4 && o[1] == 10 && o[2] == 6 && o[3] == 10 && o[4] == 5 && o[5] == 10);
    free(out.data);

    const tensor_t *scalar_first[2] = {&ts, &tc};
    CHECK(harness_run("Min", 13, NULL, 0, 2, scalar_first, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == 0 && o[1] == 3.5f);
    free(out.data);

    const tensor_t *one[1] = {&ts};
    CHECK(harness_run("Max", 13, NULL, 0, 1, one, 1, &out, &err) == STATUS_OK);
    CHECK(out.rank == 0 && ((float *)out.data)[0] == 3.5f);
    free(out.data);

    float nan_in[2] = {NAN, 1.0f}, ones[2] = {1.0f, NAN};
    tensor_t tnan = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, nan_in);
    tensor_t tone = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, ones);
    const tensor_t *nans[2] = {&tnan, &tone};
    CHECK(harness_run("Max", 13, NULL, 0, 2, nans, 1, &out, &err) == STATUS_OK);
    CHECK(isnan(((float *)out.data)[0]) && isnan(((float *)out.data)[1]));
    free(out.data);

    const tensor_t *bad[3] = {&ta, &tc, &tb};
    tensor_t wide = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){4}, c);
    bad[2] = &wide;
    CHECK(harness_run("Sum", 13, NULL, 0, 3, bad, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Sum node 'n0': input 2 of shape [4]") != NULL);
    CHECK(strstr(err.message, "[2,3]") != NULL);
}

static void test_pow(void)
{
    float base[3] = {2.0f, -3.0f, 0.5f};
    int64_t iexp[3] = {3, 2, -1};
    int32_t ibase[4] = {2, -1, 3, 0};
    int32_t ineg[4] = {10, -3, -1, 0};
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){3}, base);
    tensor_t te = harness_tensor(DTYPE_INT64, 1, (int64_t[]){3}, iexp);
    tensor_t ti = harness_tensor(DTYPE_INT32, 1, (int64_t[]){4}, ibase);
    tensor_t tn = harness_tensor(DTYPE_INT32, 1, (int64_t[]){4}, ineg);
    tensor_t out;
    error_t err = {0};

    const tensor_t *fi[2] = {&tb, &te};
    CHECK(harness_run("Pow", 15, NULL, 0, 2, fi, 1, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_FLOAT);
    CHECK(((float *)out.data)[0] == 8.0f && ((float *)out.data)[1] == 9.0f &&
          ((float *)out.data)[2] == 2.0f);
    free(out.data);

    const tensor_t *ii[2] = {&ti, &tn};
    CHECK(harness_run("Pow", 15, NULL, 0, 2, ii, 1, &out, &err) == STATUS_OK);
    const int32_t *o = out.data;
    CHECK(o[0] == 1024 && o[1] == -1 && o[2] == 0 && o[3] == 1);
    free(out.data);

    /* A real exponent on an integer base saturates instead of overflowing. */
    float big[1] = {100.0f};
    tensor_t tbig = harness_tensor(DTYPE_FLOAT, 0, NULL, big);
    const tensor_t *sat[2] = {&ti, &tbig};
    CHECK(harness_run("Pow", 15, NULL, 0, 2, sat, 1, &out, &err) == STATUS_OK);
    o = out.data;
    CHECK(o[0] == INT32_MAX && o[1] == 1 && o[2] == INT32_MAX && o[3] == 0);
    free(out.data);
}

static void test_legacy(void)
{
    static float a_data[120], b_data[12];
    tensor_t a = harness_tensor(DTYPE_FLOAT, 4, (int64_t[]){2, 3, 4, 5}, a_data);
    tensor_t b = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){3, 4}, b_data);
    const tensor_t *in[2] = {&a, &b};
    attr_t attrs[2] = {{.name = "broadcast", .type = ATTR_INT, .i = 1},
                       {.name = "axis", .type = ATTR_INT, .i = 1}};
    tensor_t out;
    error_t err = {0};

    fill(a_data, 120, 4);
    fill(b_data, 12, 5);
    CHECK(harness_run("Mul", 6, attrs, 2, 2, in, 1, &out, &err) == STATUS_OK);
    CHECK(shape_equal(out.rank, out.dims, a.rank, a.dims));
    for (int i = 0; i < 120; i++) {
        int c = i / 20 % 3, h = i / 5 % 4;
        CHECK(((float *)out.data)[i] == a_data[i] * b_data[c * 4 + h]);
    }
    free(out.data);

    /* Without axis the match is a suffix: [3,4] against [..,4,5] fails. */
    CHECK(harness_run("Mul", 6, attrs, 1, 2, in, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Mul node 'n0': B of shape [3,4] does not match A of shape "
                              "[2,3,4,5] at axis 2") != NULL);

    attrs[1].i = 3;
    CHECK(harness_run("Mul", 6, attrs, 2, 2, in, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "does not fit into A of shape [2,3,4,5] at axis 3") != NULL);

    attrs[1].i = 7;
    CHECK(harness_run("Less", 6, attrs, 2, 2, in, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Less node 'n0': axis 7 is out of range") != NULL);

    /* broadcast=0 requires equal shapes. */
    CHECK(harness_run("Add", 1, NULL, 0, 2, in, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "shapes [2,3,4,5] and [3,4] differ and attribute broadcast=0") !=
          NULL);

    attr_t bad = {.name = "broadcast", .type = ATTR_INT, .i = 2};
    CHECK(harness_run("Add", 6, &bad, 1, 2, in, 1, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "attribute 'broadcast' must be 0 or 1, got 2") != NULL);

    /* A one-element B is a scalar whatever its rank. */
    tensor_t one = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){1, 1}, b_data);
    const tensor_t *scalar[2] = {&a, &one};
    CHECK(harness_run("Sub", 5, attrs, 1, 2, scalar, 1, &out, &err) == STATUS_OK);
    CHECK(((float *)out.data)[119] == a_data[119] - b_data[0]);
    free(out.data);
}

static void test_failures(void)
{
    float x[12] = {0};
    int32_t y[12] = {0};
    tensor_t a = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){3, 4}, x);
    tensor_t b = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){3}, x);
    tensor_t c = harness_tensor(DTYPE_INT32, 2, (int64_t[]){3, 4}, y);
    tensor_t out;
    error_t err = {0};

    const tensor_t *shapes[2] = {&a, &b};
    CHECK(harness_run("Add", 14, NULL, 0, 2, shapes, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Add node 'n0': input 1 of shape [3] does not broadcast with "
                              "shape [3,4]") != NULL);

    const tensor_t *types[2] = {&a, &c};
    CHECK(harness_run("Div", 14, NULL, 0, 2, types, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Div node 'n0': input 1 has dtype int32 but input 0 has float") !=
          NULL);

    /* A broadcast can exceed the element limit although no input does. */
    tensor_t tall = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){INT64_C(1) << 20, 1}, x);
    tensor_t wide = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){1, INT64_C(1) << 20}, x);
    const tensor_t *huge[2] = {&tall, &wide};
    CHECK(harness_run("Mul", 14, NULL, 0, 2, huge, 1, &out, &err) == STATUS_LIMIT_EXCEEDED);
    CHECK(strstr(err.message, "Mul node 'n0': broadcast output shape [1048576,1048576]") != NULL);
}

int main(void)
{
    test_broadcast_walk();
    test_prelu();
    test_integer_edges();
    test_variadic();
    test_pow();
    test_legacy();
    test_failures();
    CHECK_DONE();
}
