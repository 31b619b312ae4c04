/*
 * Unit tests of the matmul family: batched MatMul with broadcast batch dims
 * (per-batch and collapsed paths), 1-D promotion and integer loops against a
 * naive triple loop; Gemm transposes and C broadcasts; failure messages.
 */
#include "matmul/matmul.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"
#include "ref_broadcast.h"

#define TEST_MAX_ELEMENTS 1024

static void fill(float *v, int64_t n, unsigned seed)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 16) % 2001) / 1000.0f - 1.0f;
    }
}

typedef struct batch_case {
    int rank_a;
    int64_t a[4];
    int rank_b;
    int64_t b[4];
} batch_case_t;

static const batch_case_t batch_cases[] = {
    {2, {3, 4}, 2, {4, 5}},             /* plain 2-D */
    {4, {2, 3, 4, 5}, 2, {5, 6}},       /* B shared: one collapsed sgemm */
    {3, {1, 3, 4}, 3, {2, 4, 5}},       /* A broadcast along the batch */
    {4, {2, 1, 3, 4}, 3, {3, 4, 5}},    /* both broadcast, different ranks */
    {2, {3, 4}, 4, {2, 2, 4, 2}},       /* A shared */
    {4, {2, 1, 1, 4}, 4, {1, 3, 4, 2}}, /* m = 1 */
};

static void test_batched_float(void)
{
    for (size_t c = 0; c < sizeof batch_cases / sizeof batch_cases[0]; c++) {
        const batch_case_t *bc = &batch_cases[c];
        static float a[TEST_MAX_ELEMENTS], b[TEST_MAX_ELEMENTS];
        tensor_t ta = harness_tensor(DTYPE_FLOAT, bc->rank_a, bc->a, a);
        tensor_t tb = harness_tensor(DTYPE_FLOAT, bc->rank_b, bc->b, b);
        const tensor_t *in[] = {&ta, &tb};
        int64_t m = bc->a[bc->rank_a - 2], k = bc->a[bc->rank_a - 1], n = bc->b[bc->rank_b - 1];
        int64_t bdims[4];
        int brank;
        tensor_t y;
        error_t err = {0};

        assert(tensor_numel(&ta) <= TEST_MAX_ELEMENTS && tensor_numel(&tb) <= TEST_MAX_ELEMENTS);
        fill(a, tensor_numel(&ta), 1 + (unsigned)c);
        fill(b, tensor_numel(&tb), 100 + (unsigned)c);
        CHECK(harness_run_runtime("MatMul", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(shape_broadcast(bc->rank_a - 2, bc->a, bc->rank_b - 2, bc->b, &brank, bdims));
        CHECK(y.rank == brank + 2 && y.dims[brank] == m && y.dims[brank + 1] == n);
        int64_t batches = tensor_numel(&y) / (m * n);
        for (int64_t bt = 0; bt < batches; bt++) {
            int64_t ia = ref_broadcast_offset(bt, brank, bdims, bc->rank_a - 2, bc->a);
            int64_t ib = ref_broadcast_offset(bt, brank, bdims, bc->rank_b - 2, bc->b);
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double ref = 0.0;
                    for (int64_t p = 0; p < k; p++)
                        ref += (double)a[ia * m * k + i * k + p] * b[ib * k * n + p * n + j];
                    CHECK_NEAR(((float *)y.data)[(bt * m + i) * n + j], ref, 1e-5);
                }
        }
        free(y.data);
    }
}

static void test_vector_promotion(void)
{
    float a[24], b[24];
    error_t err = {0};
    tensor_t y;

    fill(a, 24, 7);
    fill(b, 24, 8);
    /* [4] x [2,4,3] -> [2,3] */
    {
        tensor_t ta = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){4}, a);
        tensor_t tb = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){2, 4, 3}, b);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(harness_run_runtime("MatMul", 9, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.rank == 2 && y.dims[0] == 2 && y.dims[1] == 3);
        for (int bt = 0; bt < 2; bt++)
            for (int j = 0; j < 3; j++) {
                double ref = 0.0;
                for (int p = 0; p < 4; p++)
                    ref += (double)a[p] * b[bt * 12 + p * 3 + j];
                CHECK_NEAR(((float *)y.data)[bt * 3 + j], ref, 1e-5);
            }
        free(y.data);
    }
    /* [2,3,4] x [4] -> [2,3] */
    {
        tensor_t ta = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){2, 3, 4}, a);
        tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){4}, b);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(harness_run_runtime("MatMul", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.rank == 2 && y.dims[0] == 2 && y.dims[1] == 3);
        for (int r = 0; r < 6; r++) {
            double ref = 0.0;
            for (int p = 0; p < 4; p++)
                ref += (double)a[r * 4 + p] * b[p];
            CHECK_NEAR(((float *)y.data)[r], ref, 1e-5);
        }
        free(y.data);
    }
    /* [4] x [4] -> scalar */
    {
        tensor_t ta = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){4}, a);
        tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){4}, b);
        const tensor_t *in[] = {&ta, &tb};
        double ref = 0.0;
        for (int p = 0; p < 4; p++)
            ref += (double)a[p] * b[p];
        CHECK(harness_run_runtime("MatMul", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.rank == 0);
        CHECK_NEAR(((float *)y.data)[0], ref, 1e-5);
        free(y.data);
    }
}

static void test_integer_and_empty(void)
{
    int32_t a32[12], b32[12];
    int64_t a64[12], b64[12];
    float fa[1], fb[1];
    error_t err = {0};
    tensor_t y;

    for (int i = 0; i < 12; i++) {
        a32[i] = i - 5;
        b32[i] = 3 * i - 7;
        a64[i] = (int64_t)(i - 5) * (INT64_C(1) << 33);
        b64[i] = 3 * i - 7;
    }
    {
        tensor_t ta = harness_tensor(DTYPE_INT32, 3, (const int64_t[]){2, 2, 3}, a32);
        tensor_t tb = harness_tensor(DTYPE_INT32, 2, (const int64_t[]){3, 4}, b32);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(harness_run_runtime("MatMul", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.dtype == DTYPE_INT32 && y.rank == 3 && y.dims[2] == 4);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int32_t ref = 0;
                for (int p = 0; p < 3; p++)
                    ref += a32[i * 3 + p] * b32[p * 4 + j];
                CHECK(((int32_t *)y.data)[i * 4 + j] == ref);
            }
        free(y.data);
    }
    {
        tensor_t ta = harness_tensor(DTYPE_INT64, 2, (const int64_t[]){4, 3}, a64);
        tensor_t tb = harness_tensor(DTYPE_INT64, 2, (const int64_t[]){3, 4}, b64);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(harness_run_runtime("MatMul", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.dtype == DTYPE_INT64);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int64_t ref = 0;
                for (int p = 0; p < 3; p++)
                    ref += a64[i * 3 + p] * b64[p * 4 + j];
                CHECK(((int64_t *)y.data)[i * 4 + j] == ref);
            }
        free(y.data);
    }
    /* K = 0: every output is an empty sum. */
    {
        tensor_t ta = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){2, 0}, fa);
        tensor_t tb = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){0, 3}, fb);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(harness_run_runtime("MatMul", 13, NULL, 0, 2, in, 1, &y, &err) == STATUS_OK);
        CHECK(y.rank == 2 && y.dims[0] == 2 && y.dims[1] == 3);
        for (int i = 0; i < 6; i++)
            CHECK(((float *)y.data)[i] == 0.0f);
        free(y.data);
    }
}

typedef struct gemm_case {
    int trans_a, trans_b;
    float alpha, beta;
    int c_rank;
    int64_t c[2];
} gemm_case_t;

static const gemm_case_t gemm_cases[] = {
    {0, 0, 1.0f, 1.0f, -1, {0, 0}}, /* no C */
    {1, 0, 0.5f, 2.0f, 2, {3, 5}},  /* full C */
    {0, 1, 1.0f, 0.5f, 1, {5, 0}},  /* row vector C */
    {1, 1, 2.0f, 1.0f, 2, {3, 1}},  /* column vector C */
    {0, 0, 1.0f, 3.0f, 0, {0, 0}},  /* scalar C */
    {1, 1, 0.25f, 0.0f, 2, {1, 5}}, /* beta 0 ignores C */
};

static void test_gemm(void)
{
    const int64_t m = 3, k = 4, n = 5;
    float a[12], b[20], c[15];

    fill(a, 12, 11);
    fill(b, 20, 12);
    fill(c, 15, 13);
    for (size_t gi = 0; gi < sizeof gemm_cases / sizeof gemm_cases[0]; gi++) {
        const gemm_case_t *g = &gemm_cases[gi];
        const attr_t attrs[] = {
            {.name = "transA", .type = ATTR_INT, .i = g->trans_a},
            {.name = "transB", .type = ATTR_INT, .i = g->trans_b},
            {.name = "alpha", .type = ATTR_FLOAT, .f = g->alpha},
            {.name = "beta", .type = ATTR_FLOAT, .f = g->beta},
        };
        tensor_t ta = harness_tensor(
            DTYPE_FLOAT, 2, g->trans_a ? (const int64_t[]){k, m} : (const int64_t[]){m, k}, a);
        tensor_t tb = harness_tensor(
            DTYPE_FLOAT, 2, g->trans_b ? (const int64_t[]){n, k} : (const int64_t[]){k, n}, b);
        tensor_t tc = harness_tensor(DTYPE_FLOAT, g->c_rank < 0 ? 0 : g->c_rank, g->c, c);
        const tensor_t *in[] = {&ta, &tb, &tc};
        error_t err = {0};
        tensor_t y;

        CHECK(harness_run_runtime("Gemm", 13, attrs, 4, g->c_rank < 0 ? 2 : 3, in, 1, &y, &err) ==
              STATUS_OK);
        CHECK(y.rank == 2 && y.dims[0] == m && y.dims[1] == n);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double ref = 0.0;
                for (int64_t p = 0; p < k; p++)
                    ref += (double)(g->trans_a ? a[p * m + i] : a[i * k + p]) *
                           (g->trans_b ? b[j * k + p] : b[p * n + j]);
                ref *= g->alpha;
                if (g->c_rank >= 0) {
                    int64_t ci = 0;
                    if (g->c_rank == 2)
                        ci = (tc.dims[0] == 1 ? 0 : i) * tc.dims[1] + (tc.dims[1] == 1 ? 0 : j);
                    else if (g->c_rank == 1)
                        ci = tc.dims[0] == 1 ? 0 : j;
                    ref += (double)g->beta * c[ci];
                }
                CHECK_NEAR(((float *)y.data)[i * n + j], ref, 1e-5);
            }
        free(y.data);
    }
}

static void test_failures(void)
{
    error_t err;
    tensor_t y;
    float f[64] = {0};
    int32_t i32[64] = {0};
    tensor_t a23 = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){2, 3}, f);
    tensor_t b45 = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){4, 5}, f);
    tensor_t a234 = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){2, 3, 4}, f);
    tensor_t b345 = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){3, 4, 5}, f);
    tensor_t i34 = harness_tensor(DTYPE_INT32, 2, (const int64_t[]){3, 4}, i32);
    tensor_t scalar = harness_tensor(DTYPE_FLOAT, 0, NULL, f);
    tensor_t c7 = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){7}, f);
    tensor_t b34 = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){3, 4}, f);
    tensor_t c24 = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){2, 4}, f);
    tensor_t c4 = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){4}, f);

    CHECK_FAILS(harness_run_runtime("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&a23, &b45}, 1,
                                    &y, &err),
                err, STATUS_INVALID_ARGUMENT, "MatMul node 'n0'", "[2,3]", "[4,5]", "inner");
    CHECK_FAILS(harness_run_runtime("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&a234, &b345}, 1,
                                    &y, &err),
                err, STATUS_INVALID_ARGUMENT, "[2,3,4]", "[3,4,5]", "batch");
    CHECK_FAILS(harness_run_runtime("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&a23, &i34}, 1,
                                    &y, &err),
                err, STATUS_INVALID_ARGUMENT, "float", "int32");
    CHECK_FAILS(harness_run_runtime("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&scalar, &b45},
                                    1, &y, &err),
                err, STATUS_INVALID_ARGUMENT, "rank 1 or more");
    CHECK_FAILS(harness_run_runtime("Gemm", 13, NULL, 0, 3, (const tensor_t *[]){&a23, &b34, &c7},
                                    1, &y, &err),
                err, STATUS_INVALID_ARGUMENT, "Gemm node 'n0'", "C [7]", "[2,4]");
    CHECK_FAILS(
        harness_run_runtime("Gemm", 13, NULL, 0, 2, (const tensor_t *[]){&a23, &b45}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT, "K=3", "K=4");
    CHECK_FAILS(
        harness_run_runtime("Gemm", 13, NULL, 0, 2, (const tensor_t *[]){&a234, &b34}, 1, &y, &err),
        err, STATUS_INVALID_ARGUMENT, "2-D", "[2,3,4]");
    CHECK_FAILS(
        harness_run_runtime("Gemm", 10, NULL, 0, 2, (const tensor_t *[]){&a23, &b34}, 1, &y, &err),
        err, STATUS_INVALID_MODEL, "C is required before opset 11");
    CHECK_FAILS(harness_run_runtime("Gemm", 13,
                                    (const attr_t[]){{.name = "transA", .type = ATTR_INT, .i = 2}},
                                    1, 2, (const tensor_t *[]){&a23, &b34}, 1, &y, &err),
                err, STATUS_INVALID_MODEL, "'transA'", "got 2");
    /* Before opset 7, broadcast=0 (the default) requires C to be exactly [M, N]... */
    CHECK_FAILS(harness_run_runtime("Gemm", 6, NULL, 0, 3, (const tensor_t *[]){&a23, &b34, &c4}, 1,
                                    &y, &err),
                err, STATUS_INVALID_ARGUMENT, "broadcast=0", "[2,4]");
    /* ...and broadcast=1 lets it broadcast. */
    CHECK(harness_run_runtime("Gemm", 6,
                              (const attr_t[]){{.name = "broadcast", .type = ATTR_INT, .i = 1}}, 1,
                              3, (const tensor_t *[]){&a23, &b34, &c4}, 1, &y, &err) == STATUS_OK);
    free(y.data);
    CHECK(harness_run_runtime("Gemm", 6, NULL, 0, 3, (const tensor_t *[]){&a23, &b34, &c24}, 1, &y,
                              &err) == STATUS_OK);
    free(y.data);
}

int main(void)
{
    test_batched_float();
    test_vector_promotion();
    test_integer_and_empty();
    test_gemm();
    test_failures();
    CHECK_DONE();
}
