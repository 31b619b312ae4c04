/*
 * Unit tests of the compare family: Greater/GreaterOrEqual as swapped
 * Less/LessOrEqual under every broadcast kind, NaN and bool semantics, the
 * logic ops, the opset 1-6 form, and prototype failure messages.
 */
#include "compare/compare.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "ref_broadcast.h"

static bool ref_compare(const char *op, float x, float y)
{
    if (strcmp(op, "Equal") == 0)
        return x == y;
    if (strcmp(op, "Less") == 0)
        return x < y;
    if (strcmp(op, "Greater") == 0)
        return x > y;
    if (strcmp(op, "LessOrEqual") == 0)
        return x <= y;
    return x >= y;
}

static void test_broadcast_kinds(void)
{
    static const char *const ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
    /* Row-vs-row, row-vs-scalar, scalar-vs-row and scalar-vs-scalar walks. */
    static const struct {
        int rank_a;
        int64_t a[3];
        int rank_b;
        int64_t b[3];
    } cases[] = {
        {2, {3, 4}, 2, {3, 4}}, {2, {3, 4}, 2, {3, 1}}, {2, {3, 1}, 2, {3, 4}},
        {2, {3, 1}, 2, {1, 4}}, {2, {1, 4}, 2, {3, 1}}, {3, {2, 3, 1}, 2, {3, 1}},
        {0, {0}, 1, {5}},
    };
    float a_data[12], b_data[12];

    for (int i = 0; i < 12; i++) {
        a_data[i] = (float)(i % 5) - 2.0f;
        b_data[i] = (float)(i % 3) - 1.0f;
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tensor_t a = harness_tensor(DTYPE_FLOAT, cases[c].rank_a, cases[c].a, a_data);
        tensor_t b = harness_tensor(DTYPE_FLOAT, cases[c].rank_b, cases[c].b, b_data);
        const tensor_t *in[2] = {&a, &b};
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            tensor_t out;
            error_t err = {0};
            CHECK(harness_run(ops[k], 16, NULL, 0, 2, in, 1, &out, &err) == STATUS_OK);
            CHECK(out.dtype == DTYPE_BOOL);
            const bool *o = out.data;
            for (int64_t i = 0; i < tensor_numel(&out); i++) {
                bool want = ref_compare(
                    ops[k], a_data[ref_broadcast_offset(i, out.rank, out.dims, a.rank, a.dims)],
                    b_data[ref_broadcast_offset(i, out.rank, out.dims, b.rank, b.dims)]);
                if (o[i] != want) {
                    fprintf(stderr, "case %zu op %s element %lld\n", c, ops[k], (long long)i);
                    CHECK(o[i] == want);
                    break;
                }
            }
            free(out.data);
        }
    }
}

static void test_nan_and_types(void)
{
    float x[2] = {NAN, 1.0f}, y[2] = {NAN, NAN};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, x);
    tensor_t ty = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){2}, y);
    const tensor_t *in[2] = {&tx, &ty};
    static const char *const ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
    tensor_t out;
    error_t err = {0};

    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        CHECK(harness_run(ops[k], 16, NULL, 0, 2, in, 1, &out, &err) == STATUS_OK);
        CHECK(!((bool *)out.data)[0] && !((bool *)out.data)[1]);
        free(out.data);
    }

    /* Bool bytes other than 0 and 1 still count as true. */
    uint8_t p[3] = {2, 0, 1}, q[3] = {1, 0, 0};
    tensor_t tp = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){3}, p);
    tensor_t tq = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){3}, q);
    const tensor_t *pq[2] = {&tp, &tq};
    CHECK(harness_run("Equal", 13, NULL, 0, 2, pq, 1, &out, &err) == STATUS_OK);
    CHECK(((bool *)out.data)[0] && ((bool *)out.data)[1] && !((bool *)out.data)[2]);
    free(out.data);

    uint64_t big[2] = {UINT64_MAX, 1}, small[1] = {2};
    tensor_t tb = harness_tensor(DTYPE_UINT64, 1, (int64_t[]){2}, big);
    tensor_t ts = harness_tensor(DTYPE_UINT64, 0, NULL, small);
    const tensor_t *bs[2] = {&tb, &ts};
    CHECK(harness_run("Greater", 13, NULL, 0, 2, bs, 1, &out, &err) == STATUS_OK);
    CHECK(((bool *)out.data)[0] && !((bool *)out.data)[1]);
    free(out.data);
}

static void test_logic(void)
{
    uint8_t a[4] = {0, 0, 1, 3}, b[4] = {0, 1, 0, 1}, s[1] = {1};
    tensor_t ta = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){4}, a);
    tensor_t tb = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){4}, b);
    tensor_t ts = harness_tensor(DTYPE_BOOL, 0, NULL, s);
    const tensor_t *ab[2] = {&ta, &tb};
    const tensor_t *as[2] = {&ta, &ts};
    static const bool want_and[4] = {0, 0, 0, 1}, want_or[4] = {0, 1, 1, 1},
                      want_xor[4] = {0, 1, 1, 0}, want_xor_true[4] = {1, 1, 0, 0};
    tensor_t out;
    error_t err = {0};

    CHECK(harness_run("And", 7, NULL, 0, 2, ab, 1, &out, &err) == STATUS_OK);
    CHECK(memcmp(out.data, want_and, 4) == 0);
    free(out.data);
    CHECK(harness_run("Or", 7, NULL, 0, 2, ab, 1, &out, &err) == STATUS_OK);
    CHECK(memcmp(out.data, want_or, 4) == 0);
    free(out.data);
    CHECK(harness_run("Xor", 7, NULL, 0, 2, ab, 1, &out, &err) == STATUS_OK);
    CHECK(memcmp(out.data, want_xor, 4) == 0);
    free(out.data);
    CHECK(harness_run("Xor", 7, NULL, 0, 2, as, 1, &out, &err) == STATUS_OK);
    CHECK(memcmp(out.data, want_xor_true, 4) == 0);
    free(out.data);

    const tensor_t *one[1] = {&ta};
    CHECK(harness_run("Not", 1, NULL, 0, 1, one, 1, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_BOOL && out.rank == 1 && out.dims[0] == 4);
    CHECK(((bool *)out.data)[0] && ((bool *)out.data)[1] && !((bool *)out.data)[2] &&
          !((bool *)out.data)[3]);
    free(out.data);
}

static void test_legacy(void)
{
    int32_t a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {2, 5};
    tensor_t ta = harness_tensor(DTYPE_INT32, 2, (int64_t[]){2, 3}, a);
    tensor_t tb = harness_tensor(DTYPE_INT32, 1, (int64_t[]){2}, b);
    const tensor_t *in[2] = {&ta, &tb};
    attr_t attrs[2] = {{.name = "broadcast", .type = ATTR_INT, .i = 1},
                       {.name = "axis", .type = ATTR_INT, .i = 0}};
    static const bool want[6] = {0, 0, 1, 0, 0, 1};
    tensor_t out;
    error_t err = {0};

    /* B [2] aligned at axis 0 of A [2,3]: B is swapped to the left of the walk. */
    CHECK(harness_run("Greater", 6, attrs, 2, 2, in, 1, &out, &err) == STATUS_OK);
    CHECK(out.rank == 2 && memcmp(out.data, want, 6) == 0);
    free(out.data);

    CHECK(harness_run("Greater", 6, NULL, 0, 2, in, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Greater node 'n0': shapes [2,3] and [2] differ and attribute "
                              "broadcast=0") != NULL);
}

static void test_failures(void)
{
    int32_t a[3] = {0};
    int64_t b[3] = {0};
    tensor_t ta = harness_tensor(DTYPE_INT32, 1, (int64_t[]){3}, a);
    tensor_t tb = harness_tensor(DTYPE_INT64, 1, (int64_t[]){3}, b);
    tensor_t tc = harness_tensor(DTYPE_INT32, 1, (int64_t[]){2}, a);
    const tensor_t *types[2] = {&ta, &tb};
    const tensor_t *shapes[2] = {&ta, &tc};
    tensor_t out;
    error_t err = {0};

    CHECK(harness_run("Equal", 13, NULL, 0, 2, types, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Equal node 'n0': input 1 has dtype int64 but input 0 has int32") !=
          NULL);
    CHECK(harness_run("LessOrEqual", 16, NULL, 0, 2, shapes, 1, &out, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message,
                 "LessOrEqual node 'n0': input 1 of shape [2] does not broadcast with shape [3]") !=
          NULL);
}

int main(void)
{
    test_broadcast_kinds();
    test_nan_and_types();
    test_logic();
    test_legacy();
    test_failures();
    CHECK_DONE();
}
