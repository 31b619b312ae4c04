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

#include "check.h"

#define PARAMS_MAX        256
#define TEST_MAX_ELEMENTS 1024

/*
 * Adapter, prototype and CPU implementation of op_type, as the engine calls
 * them. The prototype sees no input data (as for runtime activations), so it
 * cannot depend on values it did not ask for.
 */
static status_t run_op(const char *op_type, int opset, const attr_t *attrs, size_t n_attrs,
                       int n_in, const tensor_t *const *in, tensor_t *out, error_t *err)
{
    const op_schema_t *schema = op_registry_find(op_type, opset);
    union {
        max_align_t align;
        unsigned char bytes[PARAMS_MAX];
    } params;
    const attrs_t attr_list = {attrs, n_attrs};
    const op_adapt_t adapt = {op_type, "mm0", opset, &attr_list, n_in, 1};
    tensor_t shapes[4];
    const tensor_t *shape_only[4];
    op_call_t call = {.op_type = op_type,
                      .node = "mm0",
                      .params = &params,
                      .n_inputs = n_in,
                      .inputs = shape_only,
                      .n_outputs = 1,
                      .outputs = out,
                      .threads = 1};
    status_t st;

    assert(n_in <= 4);
    memset(out, 0, sizeof *out);
    CHECK(schema != NULL);
    if (!schema)
        return STATUS_NOT_FOUND;
    assert(schema->kernel->params_size <= sizeof params);
    memset(&params, 0, sizeof params);
    if (schema->adapt && (st = schema->adapt(&adapt, &params, err)) != STATUS_OK)
        return st;
    for (int i = 0; i < n_in; i++) {
        shape_only[i] = in[i] ? &shapes[i] : NULL;
        if (in[i]) {
            shapes[i] = *in[i];
            shapes[i].data = NULL;
        }
    }
    if ((st = schema->kernel->infer(&call, err)) != STATUS_OK)
        return st;
    call.inputs = in;
    out->data = malloc(tensor_bytes(out) + 1);
    call.workspace = malloc(call.workspace_size + 1);
    st = schema->kernel->run(&call, err);
    free(call.workspace);
    return st;
}

static tensor_t make(dtype_t dtype, int rank, const int64_t *dims, void *data)
{
    tensor_t t = {.dtype = dtype, .rank = rank, .data = data};
    for (int i = 0; i < rank; i++)
        t.dims[i] = dims[i];
    return t;
}

static void fill(float *v, int64_t n, unsigned seed)
{
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 16) % 2001) / 1000.0f - 1.0f;
    }
}

/* Matrix index of batch b of an operand with batch dims (rank, dims) broadcast to out. */
static int64_t ref_batch(int64_t b, int out_rank, const int64_t *out, int rank, const int64_t *dims)
{
    int64_t offset = 0, stride = 1;

    for (int d = out_rank - 1; d >= 0; d--) {
        int64_t coord = b % out[d];
        int src = d - (out_rank - rank);
        b /= out[d];
        if (src < 0)
            continue;
        if (dims[src] != 1)
            offset += coord * stride;
        stride *= dims[src];
    }
    return offset;
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
        tensor_t ta = make(DTYPE_FLOAT, bc->rank_a, bc->a, a);
        tensor_t tb = make(DTYPE_FLOAT, bc->rank_b, bc->b, b);
        const tensor_t *in[] = {&ta, &tb};
        int64_t m = bc->a[bc->rank_a - 2], k = bc->a[bc->rank_a - 1], n = bc->b[bc->rank_b - 1];
        int64_t bdims[4];
        int brank;
        tensor_t y;
        error_t err = {0};

        assert(tensor_numel(&ta) <= TEST_MAX_ELEMENTS && tensor_numel(&tb) <= TEST_MAX_ELEMENTS);
        fill(a, tensor_numel(&ta), 1 + (unsigned)c);
        fill(b, tensor_numel(&tb), 100 + (unsigned)c);
        CHECK(run_op("MatMul", 13, NULL, 0, 2, in, &y, &err) == STATUS_OK);
        CHECK(shape_broadcast(bc->rank_a - 2, bc->a, bc->rank_b - 2, bc->b, &brank, bdims));
        CHECK(y.rank == brank + 2 && y.dims[brank] == m && y.dims[brank + 1] == n);
        int64_t batches = tensor_numel(&y) / (m * n);
        for (int64_t bt = 0; bt < batches; bt++) {
            int64_t ia = ref_batch(bt, brank, bdims, bc->rank_a - 2, bc->a);
            int64_t ib = ref_batch(bt, brank, bdims, bc->rank_b - 2, bc->b);
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
        tensor_t ta = make(DTYPE_FLOAT, 1, (const int64_t[]){4}, a);
        tensor_t tb = make(DTYPE_FLOAT, 3, (const int64_t[]){2, 4, 3}, b);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(run_op("MatMul", 9, NULL, 0, 2, in, &y, &err) == STATUS_OK);
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
        tensor_t ta = make(DTYPE_FLOAT, 3, (const int64_t[]){2, 3, 4}, a);
        tensor_t tb = make(DTYPE_FLOAT, 1, (const int64_t[]){4}, b);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(run_op("MatMul", 13, NULL, 0, 2, in, &y, &err) == STATUS_OK);
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
        tensor_t ta = make(DTYPE_FLOAT, 1, (const int64_t[]){4}, a);
        tensor_t tb = make(DTYPE_FLOAT, 1, (const int64_t[]){4}, b);
        const tensor_t *in[] = {&ta, &tb};
        double ref = 0.0;
        for (int p = 0; p < 4; p++)
            ref += (double)a[p] * b[p];
        CHECK(run_op("MatMul", 13, NULL, 0, 2, in, &y, &err) == STATUS_OK);
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
        tensor_t ta = make(DTYPE_INT32, 3, (const int64_t[]){2, 2, 3}, a32);
        tensor_t tb = make(DTYPE_INT32, 2, (const int64_t[]){3, 4}, b32);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(run_op("MatMul", 13, NULL, 0, 2, in, &y, &err) == STATUS_OK);
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
        tensor_t ta = make(DTYPE_INT64, 2, (const int64_t[]){4, 3}, a64);
        tensor_t tb = make(DTYPE_INT64, 2, (const int64_t[]){3, 4}, b64);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(run_op("MatMul", 13, NULL, 0, 2, in, &y, &err) == STATUS_OK);
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
        tensor_t ta = make(DTYPE_FLOAT, 2, (const int64_t[]){2, 0}, fa);
        tensor_t tb = make(DTYPE_FLOAT, 2, (const int64_t[]){0, 3}, fb);
        const tensor_t *in[] = {&ta, &tb};
        CHECK(run_op("MatMul", 13, NULL, 0, 2, in, &y, &err) == STATUS_OK);
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
        tensor_t ta =
            make(DTYPE_FLOAT, 2, g->trans_a ? (const int64_t[]){k, m} : (const int64_t[]){m, k}, a);
        tensor_t tb =
            make(DTYPE_FLOAT, 2, g->trans_b ? (const int64_t[]){n, k} : (const int64_t[]){k, n}, b);
        tensor_t tc = make(DTYPE_FLOAT, g->c_rank < 0 ? 0 : g->c_rank, g->c, c);
        const tensor_t *in[] = {&ta, &tb, &tc};
        error_t err = {0};
        tensor_t y;

        CHECK(run_op("Gemm", 13, attrs, 4, g->c_rank < 0 ? 2 : 3, in, &y, &err) == STATUS_OK);
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

/* Runs op_type expecting failure code; the message must contain every needle. */
static void expect_fail(const char *op_type, int opset, const attr_t *attrs, size_t n_attrs,
                        int n_in, const tensor_t *const *in, status_t code,
                        const char *const *needles, size_t n_needles)
{
    error_t err = {0};
    tensor_t y;
    status_t st = run_op(op_type, opset, attrs, n_attrs, n_in, in, &y, &err);

    CHECK(st == code);
    for (size_t i = 0; i < n_needles; i++) {
        if (!strstr(err.message, needles[i])) {
            fprintf(stderr, "message '%s' lacks '%s'\n", err.message, needles[i]);
            CHECK(strstr(err.message, needles[i]) != NULL);
        }
    }
    if (st == STATUS_OK)
        free(y.data);
}

static void test_failures(void)
{
    float f[64] = {0};
    int32_t i32[64] = {0};
    tensor_t a23 = make(DTYPE_FLOAT, 2, (const int64_t[]){2, 3}, f);
    tensor_t b45 = make(DTYPE_FLOAT, 2, (const int64_t[]){4, 5}, f);
    tensor_t a234 = make(DTYPE_FLOAT, 3, (const int64_t[]){2, 3, 4}, f);
    tensor_t b345 = make(DTYPE_FLOAT, 3, (const int64_t[]){3, 4, 5}, f);
    tensor_t i34 = make(DTYPE_INT32, 2, (const int64_t[]){3, 4}, i32);
    tensor_t scalar = make(DTYPE_FLOAT, 0, NULL, f);
    tensor_t c7 = make(DTYPE_FLOAT, 1, (const int64_t[]){7}, f);
    tensor_t b34 = make(DTYPE_FLOAT, 2, (const int64_t[]){3, 4}, f);
    tensor_t c24 = make(DTYPE_FLOAT, 2, (const int64_t[]){2, 4}, f);
    tensor_t c4 = make(DTYPE_FLOAT, 1, (const int64_t[]){4}, f);

    expect_fail("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&a23, &b45}, STATUS_INVALID_ARGUMENT,
                (const char *[]){"MatMul node 'mm0'", "[2,3]", "[4,5]", "inner"}, 4);
    expect_fail("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&a234, &b345},
                STATUS_INVALID_ARGUMENT, (const char *[]){"[2,3,4]", "[3,4,5]", "batch"}, 3);
    expect_fail("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&a23, &i34}, STATUS_INVALID_ARGUMENT,
                (const char *[]){"float", "int32"}, 2);
    expect_fail("MatMul", 13, NULL, 0, 2, (const tensor_t *[]){&scalar, &b45},
                STATUS_INVALID_ARGUMENT, (const char *[]){"rank 1 or more"}, 1);
    expect_fail("Gemm", 13, NULL, 0, 3, (const tensor_t *[]){&a23, &b34, &c7},
                STATUS_INVALID_ARGUMENT, (const char *[]){"Gemm node 'mm0'", "C [7]", "[2,4]"}, 3);
    expect_fail("Gemm", 13, NULL, 0, 2, (const tensor_t *[]){&a23, &b45}, STATUS_INVALID_ARGUMENT,
                (const char *[]){"K=3", "K=4"}, 2);
    expect_fail("Gemm", 13, NULL, 0, 2, (const tensor_t *[]){&a234, &b34}, STATUS_INVALID_ARGUMENT,
                (const char *[]){"2-D", "[2,3,4]"}, 2);
    expect_fail("Gemm", 10, NULL, 0, 2, (const tensor_t *[]){&a23, &b34}, STATUS_INVALID_MODEL,
                (const char *[]){"C is required before opset 11"}, 1);
    expect_fail("Gemm", 13, (const attr_t[]){{.name = "transA", .type = ATTR_INT, .i = 2}}, 1, 2,
                (const tensor_t *[]){&a23, &b34}, STATUS_INVALID_MODEL,
                (const char *[]){"'transA'", "got 2"}, 2);
    /* Before opset 7, broadcast=0 (the default) requires C to be exactly [M, N]... */
    expect_fail("Gemm", 6, NULL, 0, 3, (const tensor_t *[]){&a23, &b34, &c4},
                STATUS_INVALID_ARGUMENT, (const char *[]){"broadcast=0", "[2,4]"}, 2);
    /* ...and broadcast=1 lets it broadcast. */
    expect_fail("Gemm", 6, (const attr_t[]){{.name = "broadcast", .type = ATTR_INT, .i = 1}}, 1, 3,
                (const tensor_t *[]){&a23, &b34, &c4}, STATUS_OK, NULL, 0);
    expect_fail("Gemm", 6, NULL, 0, 3, (const tensor_t *[]){&a23, &b34, &c24}, STATUS_OK, NULL, 0);
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
