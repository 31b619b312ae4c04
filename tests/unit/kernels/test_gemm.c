/*
 * Unit tests of the packed-B GEMM (kernels/gemm) against a naive
 * double-accumulating reference: edge sizes around the 6 x 16 (AVX2) and
 * 12 x 32 (AVX-512, two panels; 12 x 16 for an odd last one) tiles and the
 * K, row and panel blocks, plain and transposed B, strided A and C, a
 * gathered A, every epilogue (residual aliasing C included), one and two
 * threads; each vector micro-kernel against the portable one. Then MatMul,
 * Gemm and inferd.FusedMatMul through their pack hooks, on the packed and
 * the unpacked paths.
 */
#include "gemm/gemm.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_isa.h"
#include "gemm/gemm_kernel.h"
#include "half.h"
#include "matmul/matmul.h"
#include "op_harness.h"

/* Value written around C's columns (ldc > n) to prove gemm_run leaves them alone. */
#define SENTINEL 1234.5f
#define CLIP_MIN (-0.3f)
#define CLIP_MAX 0.4f
/* Relative error allowed per sqrt(k) of the accumulation. */
#define TOLERANCE 2e-6

/* 13, 14 and 16 end a block on the AVX-512 kernel's short tile (8 + 5, 6, 8). */
static const int64_t sizes_m[] = {1, 2, 5, 6, 7, 13, 14, 16, 17, 100, 150, 257};
/*
 * Two-panel tiles: 17, 31 and 63 end on a second panel of 1 and 15
 * columns, 33 and 100 on an odd panel run alone, 530 on a pair again.
 */
static const int64_t sizes_n[] = {1, 2, 15, 16, 17, 31, 33, 63, 100, 530};
static const int64_t sizes_k[] = {0, 1, 2, 5, 16, 17, 100, 257, 513, 1100};

#define COUNT(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

/* A stored column-major ([k][m]) so the gather has to transpose. */
typedef struct gather_src {
    const float *cols;
    int64_t m;
    int calls;
} gather_src_t;

static void gather_columns(const void *ctx, int64_t row0, int64_t rows, int64_t k0, int64_t kc,
                           float *dst)
{
    const gather_src_t *g = ctx;

    for (int64_t r = 0; r < rows; r++)
        for (int64_t q = 0; q < kc; q++)
            dst[r * kc + q] = g->cols[(k0 + q) * g->m + row0 + r];
    /* Only counted, so a race is harmless: the check is calls > 0. */
    ((gather_src_t *)g)->calls = 1;
}

typedef struct gemm_case {
    int64_t m, n, k;
    bool transposed;
    int64_t lda_pad, ldc_pad, ldr_pad;
    bool gather;
    bool bias;
    int residual; /* 0 none, 1 own buffer, 2 aliasing C */
    gemm_activation_t act;
    int threads;
} gemm_case_t;

static double activate(double x, gemm_activation_t act)
{
    switch (act) {
    case GEMM_ACT_RELU:
        return x > 0 ? x : 0;
    case GEMM_ACT_CLIP:
        return x < CLIP_MIN ? CLIP_MIN : x > CLIP_MAX ? CLIP_MAX : x;
    case GEMM_ACT_GELU:
        return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case GEMM_ACT_NONE:
        break;
    }
    return x;
}

static void run_case(const gemm_case_t *tc)
{
    int64_t m = tc->m, n = tc->n, k = tc->k;
    int64_t lda = k + tc->lda_pad, ldc = n + tc->ldc_pad;
    int64_t ldr = tc->residual == 2 ? ldc : n + tc->ldr_pad;
    int64_t ldb = tc->transposed ? k + 3 : n + 5;
    float *a = harness_random_floats(m * lda + 1, 1 + (unsigned)(m * 7 + n));
    float *b = harness_random_floats((tc->transposed ? n : k) * ldb + 1, 2 + (unsigned)k);
    float *bias = harness_random_floats(n + 1, 3);
    float *res = harness_random_floats(m * ldr + 1, 4);
    float *c = malloc((size_t)(m * ldc + 1) * sizeof *c);
    float *cols = malloc((size_t)(k * m + 1) * sizeof *cols);
    gather_src_t src = {cols, m, 0};
    gemm_a_t ga = {.data = a, .lda = lda};
    gemm_epilogue_t ep = {.act = tc->act, .clip_min = CLIP_MIN, .clip_max = CLIP_MAX};
    gemm_b_t *packed = NULL;
    error_t err = {0};
    void *ws = NULL;
    size_t ws_bytes;
    int bad = 0;

    assert(c && cols);
    for (int64_t i = 0; i < m * ldc; i++)
        c[i] = SENTINEL;
    if (tc->residual == 2) {
        for (int64_t i = 0; i < m; i++)
            memcpy(c + i * ldc, res + i * ldr, (size_t)n * sizeof *c);
    }
    for (int64_t i = 0; i < m; i++)
        for (int64_t p = 0; p < k; p++)
            cols[p * m + i] = a[i * lda + p];
    if (tc->gather) {
        ga = (gemm_a_t){.gather = gather_columns, .gather_ctx = &src};
    }
    ep.bias = tc->bias ? bias : NULL;
    ep.residual = tc->residual == 1 ? res : tc->residual == 2 ? c : NULL;
    ep.ld_residual = ldr;

    CHECK(gemm_b_pack(b, ldb, tc->transposed, k, n, &packed, &err) == STATUS_OK);
    CHECK(gemm_b_k(packed) == k && gemm_b_n(packed) == n);
    CHECK(gemm_b_bytes(packed) >= (size_t)(k * n) * sizeof(float));
    CHECK(gemm_b_bytes(packed) < (size_t)(k * (n + 16)) * sizeof(float) + 1);
    ws_bytes = gemm_workspace_bytes(&ga, m, packed, tc->threads);
    CHECK(tc->gather || ws_bytes == 0);
    if (ws_bytes)
        ws = malloc(ws_bytes);
    gemm_run(&ga, m, packed, c, ldc, &ep, ws, tc->threads);
    if (tc->gather && k > 0)
        CHECK(src.calls > 0);

    for (int64_t i = 0; i < m && bad < 5; i++) {
        for (int64_t j = 0; j < ldc && bad < 5; j++) {
            double ref = 0.0, mag = 0.0, tol;
            float got = c[i * ldc + j];
            if (j >= n) {
                if (got != SENTINEL) {
                    fprintf(stderr, "column %lld past n=%lld was written\n", (long long)j,
                            (long long)n);
                    bad++;
                }
                continue;
            }
            for (int64_t p = 0; p < k; p++) {
                double bv = tc->transposed ? b[j * ldb + p] : b[p * ldb + j];
                ref += (double)a[i * lda + p] * bv;
                mag += fabs((double)a[i * lda + p] * bv);
            }
            if (tc->bias)
                ref += bias[j], mag += fabs(bias[j]);
            if (tc->residual)
                ref += res[i * ldr + j], mag += fabs(res[i * ldr + j]);
            ref = activate(ref, tc->act);
            tol = TOLERANCE * sqrt((double)k + 1.0) * (mag + 1.0);
            if (!(fabs(got - ref) <= tol)) {
                fprintf(stderr,
                        "m=%lld n=%lld k=%lld trans=%d gather=%d bias=%d residual=%d act=%d "
                        "threads=%d: C[%lld,%lld] = %.9g, expected %.9g\n",
                        (long long)m, (long long)n, (long long)k, tc->transposed, tc->gather,
                        tc->bias, tc->residual, tc->act, tc->threads, (long long)i, (long long)j,
                        got, ref);
                bad++;
            }
        }
    }
    CHECK(bad == 0);
    gemm_b_free(packed);
    free(ws);
    free(a);
    free(b);
    free(bias);
    free(res);
    free(c);
    free(cols);
}

/*
 * Every m x n x k of the size lists, with the other options cycled by the
 * case number so that each appears with many shapes.
 */
static void test_shapes(void)
{
    int64_t index = 0;

    for (int64_t im = 0; im < COUNT(sizes_m); im++)
        for (int64_t in = 0; in < COUNT(sizes_n); in++)
            for (int64_t ik = 0; ik < COUNT(sizes_k); ik++, index++) {
                gemm_case_t tc = {
                    .m = sizes_m[im],
                    .n = sizes_n[in],
                    .k = sizes_k[ik],
                    .transposed = index % 2 == 1,
                    .lda_pad = index % 3 == 0 ? 0 : 3,
                    .ldc_pad = index % 5 == 0 ? 0 : 7,
                    .ldr_pad = 2,
                    .gather = index % 7 == 3,
                    .bias = index % 3 != 1,
                    .residual = (int)(index % 3),
                    .act = (gemm_activation_t)(index % 4),
                    .threads = index % 2 == 0 ? 1 : 2,
                };
                /* Large cases cost the reference loop most: keep them to a few. */
                if (tc.m * tc.n * tc.k > 4000000 && index % 4 != 0)
                    continue;
                run_case(&tc);
            }
}

/* Each epilogue and A source on shapes with partial tiles and several K blocks. */
static void test_epilogues(void)
{
    static const int64_t shapes[][3] = {{7, 33, 600}, {128, 48, 768}, {13, 530, 40}};

    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int act = GEMM_ACT_NONE; act <= GEMM_ACT_GELU; act++)
            for (int residual = 0; residual <= 2; residual++)
                for (int variant = 0; variant < 4; variant++) {
                    gemm_case_t tc = {
                        .m = shapes[s][0],
                        .n = shapes[s][1],
                        .k = shapes[s][2],
                        .transposed = variant & 1,
                        .lda_pad = 5,
                        .ldc_pad = variant & 2 ? 4 : 0,
                        .ldr_pad = 1,
                        .gather = variant == 3,
                        .bias = variant != 1,
                        .residual = residual,
                        .act = (gemm_activation_t)act,
                        .threads = 1 + (variant >> 1),
                    };
                    run_case(&tc);
                }
}

/*
 * A whose rows are 4 KiB apart (lda a multiple of 1024 floats, or a
 * gathered K block of 1024 floats): where that is a multiple of the L1's
 * way and the AVX-512 tile has more rows than the L1 has ways (a Zen 4:
 * 32 KB, 8 ways), gemm_run cuts even tiles of at most that many rows
 * (gemm.c's fit_l1), 49 rows as 7 x 7, 13 as 7 + 6; elsewhere it runs its
 * usual tiles. Either way the products are the reference's.
 */
static void test_l1_aliasing(void)
{
    static const int64_t shapes[][4] = {/* m, n, k, lda_pad */
                                        {49, 40, 1024, 0},
                                        {196, 33, 1000, 24},
                                        {13, 530, 1024, 0},
                                        {108, 17, 2048, 0}};

    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int variant = 0; variant < 4; variant++) {
            gemm_case_t tc = {
                .m = shapes[s][0],
                .n = shapes[s][1],
                .k = shapes[s][2],
                .transposed = variant & 1,
                .lda_pad = shapes[s][3],
                .ldr_pad = 3,
                .gather = variant == 2 && shapes[s][3] == 0,
                .bias = true,
                .residual = variant & 1 ? 1 : 2,
                .act = GEMM_ACT_RELU,
                .threads = 1 + (variant >> 1),
            };
            run_case(&tc);
        }
}

static void test_no_epilogue_and_empty(void)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4] = {0};
    gemm_a_t ga = {.data = a, .lda = 3};
    gemm_b_t *packed = NULL;
    error_t err = {0};

    /* A [2,3] x B [3,2] with a NULL epilogue. */
    CHECK(gemm_b_pack(b, 2, false, 3, 2, &packed, &err) == STATUS_OK);
    gemm_run(&ga, 2, packed, c, 2, NULL, NULL, 1);
    CHECK(c[0] == 4 && c[1] == 5 && c[2] == 10 && c[3] == 11);
    /* m = 0 touches nothing. */
    c[0] = SENTINEL;
    gemm_run(&ga, 0, packed, c, 2, NULL, NULL, 2);
    CHECK(c[0] == SENTINEL);
    gemm_b_free(packed);
    gemm_b_free(NULL);
    CHECK(gemm_b_pack(b, 2, false, -1, 2, &packed, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(packed == NULL && strstr(err.message, "-1x2") != NULL);
}

/*
 * The portable kernel on a tile of any height: it takes at most GEMM_MR
 * rows, and computes each row on its own, so a taller tile runs as a
 * stack of tiles of up to GEMM_MR rows.
 */
static void generic_rows(const gemm_tile_t *tile)
{
    for (int r0 = 0; r0 < tile->mr; r0 += GEMM_MR) {
        gemm_tile_t t = *tile;
        t.a += r0 * t.lda;
        t.c += r0 * t.ldc;
        t.residual = t.residual ? t.residual + r0 * t.ld_residual : NULL;
        t.mr = tile->mr - r0 < GEMM_MR ? tile->mr - r0 : GEMM_MR;
        gemm_kernel_generic(&t);
    }
}

/*
 * generic_rows on a tile of any width: each GEMM_NR columns from their own
 * panel, ldp floats after the previous one.
 */
static void generic_tile(const gemm_tile_t *tile)
{
    for (int col = 0; col < tile->nr; col += GEMM_NR) {
        gemm_tile_t t = *tile;
        t.b += col / GEMM_NR * t.ldp;
        t.c += col;
        t.bias = t.bias ? t.bias + col : NULL;
        t.residual = t.residual ? t.residual + col : NULL;
        t.nr = tile->nr - col < GEMM_NR ? tile->nr - col : GEMM_NR;
        generic_rows(&t);
    }
}

/*
 * A vector micro-kernel against the portable one (which this CPU never
 * dispatches to when it has AVX2), tile by tile: every mr up to max_mr and
 * every nr up to panels x GEMM_NR (the second panel some rows past the
 * first's kc, as in a packed B whose k exceeds the K block), each
 * first/last combination and activation, with and without bias and
 * residual. C is compared whole, so a write outside the tile's rows and
 * columns counts too.
 */
static void check_kernel(const char *name, gemm_kernel_fn kernel, int max_mr, int panels)
{
    enum { KC = 37, LDP = (KC + 3) * GEMM_NR, LD = 2 * GEMM_NR + 4, ROWS = GEMM_AVX512_MR };
    /* Packed panels are 64-byte aligned; the vector kernels rely on it. */
    static _Alignas(64) float b[2 * LDP];
    float *a, *b_src, *bias, *res, *start;
    float c_gen[ROWS * LD], c_vec[ROWS * LD];
    int bad = 0;

    assert(max_mr <= ROWS && panels <= 2);
    a = harness_random_floats(ROWS * KC, 41);
    b_src = harness_random_floats(2 * LDP, 42);
    bias = harness_random_floats(2 * GEMM_NR, 43);
    res = harness_random_floats(ROWS * LD, 44);
    start = harness_random_floats(ROWS * LD, 45);
    memcpy(b, b_src, sizeof b);
    for (int mr = 1; mr <= max_mr; mr++)
        for (int nr = 1; nr <= panels * GEMM_NR; nr++)
            for (int flags = 0; flags < 8; flags++)
                for (int act = GEMM_ACT_NONE; act <= GEMM_ACT_GELU; act++) {
                    gemm_tile_t t = {.a = a,
                                     .lda = KC,
                                     .b = b,
                                     .ldp = LDP,
                                     .kc = KC,
                                     .ldc = LD,
                                     .mr = mr,
                                     .nr = nr,
                                     .first = flags & 1,
                                     .last = flags & 2,
                                     .bias = flags & 4 ? NULL : bias,
                                     .residual = flags & 4 ? NULL : res,
                                     .ld_residual = LD,
                                     .act = (gemm_activation_t)act,
                                     .clip_min = CLIP_MIN,
                                     .clip_max = CLIP_MAX};
                    memcpy(c_gen, start, sizeof c_gen);
                    memcpy(c_vec, start, sizeof c_vec);
                    t.c = c_gen;
                    generic_tile(&t);
                    t.c = c_vec;
                    kernel(&t);
                    for (int i = 0; i < ROWS * LD; i++) {
                        bool inside = i / LD < mr && i % LD < nr;
                        if (!inside && (c_gen[i] != start[i] || c_vec[i] != start[i]))
                            bad++;
                        if (inside &&
                            !(fabsf(c_gen[i] - c_vec[i]) <= 1e-5f * (1.0f + fabsf(c_gen[i])))) {
                            if (bad++ < 5)
                                fprintf(stderr,
                                        "%s: mr=%d nr=%d first=%d last=%d act=%d: C[%d,%d] = "
                                        "%.9g, generic %.9g\n",
                                        name, mr, nr, t.first, t.last, act, i / LD, i % LD,
                                        c_vec[i], c_gen[i]);
                        }
                    }
                }
    CHECK(bad == 0);
    free(a);
    free(b_src);
    free(bias);
    free(res);
    free(start);
}

/* Each vector kernel the CPU can run against the portable one. */
static void test_kernels(void)
{
    if (cpu_isa() >= CPU_ISA_AVX2)
        check_kernel("avx2", gemm_kernel_avx2, GEMM_MR, 1);
    if (cpu_isa() >= CPU_ISA_AVX512)
        check_kernel("avx512", gemm_kernel_avx512, GEMM_AVX512_MR, GEMM_AVX512_PANELS);
}

/* Reference Y = act(A [m,k] x B [k,n] (+ bias)) in double. */
static void reference(const float *a, const float *b, const float *bias, bool gelu, int64_t m,
                      int64_t k, int64_t n, double *y)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = bias ? bias[j] : 0.0;
            for (int64_t p = 0; p < k; p++)
                s += (double)a[i * k + p] * b[p * n + j];
            y[i * n + j] = gelu ? activate(s, GEMM_ACT_GELU) : s;
        }
}

/*
 * Runs kernel the way the engine does when every input in constant_mask
 * is a constant: pack (B, with the original freed afterwards if the
 * kernel says so), infer on the runtime view, run, release. Returns
 * whether pack produced a state; y gets a malloc'd output.
 */
static bool run_op(const op_kernel_t *kernel, const void *params, const char *op_type, int n_in,
                   const tensor_t *const *in, uint32_t constant_mask, int threads, tensor_t *y)
{
    tensor_t planned[3], b_copy;
    const tensor_t *planned_in[3];
    op_call_t call = {.op_type = op_type,
                      .node = HARNESS_NODE,
                      .params = params,
                      .n_inputs = n_in,
                      .inputs = planned_in,
                      .n_outputs = 1,
                      .outputs = y,
                      .threads = threads};
    error_t err = {0};
    void *state = NULL;
    bool packed;

    assert(n_in <= 3);
    for (int i = 0; i < n_in; i++) {
        planned[i] = *in[i];
        if (!(constant_mask & (1u << i)))
            planned[i].data = NULL;
        planned_in[i] = &planned[i];
    }
    CHECK(kernel->pack(&call, &state, &err) == STATUS_OK);
    packed = state != NULL;
    call.state = state;
    CHECK(kernel->infer(&call, &err) == STATUS_OK);
    y->data = malloc(tensor_bytes(y) + 1);
    /* A packed input is gone: run must not read it. */
    b_copy = *in[1];
    if (packed && (kernel->packed_inputs & 2u))
        b_copy.data = NULL;
    for (int i = 0; i < n_in; i++)
        planned_in[i] = i == 1 ? &b_copy : in[i];
    call.workspace = malloc(call.workspace_size + 1);
    CHECK(kernel->run(&call, &err) == STATUS_OK);
    free(call.workspace);
    if (state)
        kernel->release(state);
    return packed;
}

static void check_output(const tensor_t *y, const double *ref, int64_t count, int64_t k)
{
    int bad = 0;

    for (int64_t i = 0; i < count; i++) {
        double tol = TOLERANCE * sqrt((double)k + 1.0) * (fabs(ref[i]) + (double)k);
        if (!(fabs(((float *)y->data)[i] - ref[i]) <= tol) && bad++ < 5)
            fprintf(stderr, "output[%lld] = %.9g, expected %.9g\n", (long long)i,
                    ((float *)y->data)[i], ref[i]);
    }
    CHECK(bad == 0);
}

static void test_fused_matmul(void)
{
    const int64_t m0 = 3, m1 = 7, k = 70, n = 40;
    float *a = harness_random_floats(m0 * m1 * k, 11), *b = harness_random_floats(k * n, 12);
    float *bias = harness_random_floats(n, 13);
    double *ref = malloc((size_t)(m0 * m1 * n) * sizeof *ref);
    tensor_t ta = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){m0, m1, k}, a);
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){k, n}, b);
    tensor_t tc = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){n}, bias);
    const tensor_t *in[] = {&ta, &tb, &tc};

    for (int gelu = 0; gelu <= 1; gelu++) {
        fused_matmul_params_t p = {gelu ? MATMUL_ACT_GELU : MATMUL_ACT_NONE};
        reference(a, b, bias, gelu, m0 * m1, k, n, ref);
        for (int constant = 0; constant <= 1; constant++) {
            tensor_t y;
            bool packed = run_op(&fused_matmul_kernel, &p, "inferd.FusedMatMul", 3, in,
                                 constant ? 6u : 4u, 1 + gelu, &y);
            CHECK(packed == (constant == 1));
            CHECK(y.rank == 3 && y.dims[0] == m0 && y.dims[1] == m1 && y.dims[2] == n);
            check_output(&y, ref, m0 * m1 * n, k);
            free(y.data);
        }
    }
    free(a);
    free(b);
    free(bias);
    free(ref);
}

static void test_matmul_packed(void)
{
    const int64_t k = 33, n = 17;
    float *a = harness_random_floats(2 * 5 * k, 21), *b = harness_random_floats(k * n, 22);
    double *ref = malloc((size_t)(2 * 5 * n) * sizeof *ref);
    const op_schema_t *s = op_registry_find("MatMul", 13);
    /* A [2,5,K] and a 1-D A [K] against the constant B [K,N]. */
    tensor_t ta = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){2, 5, k}, a);
    tensor_t tv = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){k}, a);
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){k, n}, b);
    tensor_t tb3 = harness_tensor(DTYPE_FLOAT, 3, (int64_t[]){1, k, n}, b);
    const tensor_t *in[] = {&ta, &tb}, *in_v[] = {&tv, &tb}, *in3[] = {&ta, &tb3};
    tensor_t y;

    CHECK(s != NULL);
    if (!s)
        return;
    reference(a, b, NULL, false, 10, k, n, ref);
    CHECK(run_op(s->kernel, NULL, "MatMul", 2, in, 2u, 2, &y));
    CHECK(y.rank == 3 && y.dims[2] == n);
    check_output(&y, ref, 10 * n, k);
    free(y.data);
    CHECK(run_op(s->kernel, NULL, "MatMul", 2, in_v, 2u, 1, &y));
    CHECK(y.rank == 1 && y.dims[0] == n);
    check_output(&y, ref, n, k);
    free(y.data);
    /* A 3-D B and a runtime B stay on sgemm. */
    CHECK(!run_op(s->kernel, NULL, "MatMul", 2, in3, 2u, 1, &y));
    check_output(&y, ref, 10 * n, k);
    free(y.data);
    CHECK(!run_op(s->kernel, NULL, "MatMul", 2, in, 0u, 1, &y));
    check_output(&y, ref, 10 * n, k);
    free(y.data);
    free(a);
    free(b);
    free(ref);
}

typedef struct gemm_op_case {
    float alpha, beta;
    bool trans_b;
    int c_rank;
    int64_t c_dims[2]; /* -1: M, -2: N */
    bool expect_packed;
} gemm_op_case_t;

static void test_gemm_op(void)
{
    static const gemm_op_case_t cases[] = {
        {1.0f, 1.0f, true, 1, {-2}, true},     /* C [N]: bias */
        {1.0f, 1.0f, false, 2, {1, -2}, true}, /* C [1,N]: bias */
        {1.0f, 1.0f, true, 2, {-1, -2}, true}, /* C [M,N]: residual */
        {1.0f, 0.5f, false, 2, {-1, 1}, true}, /* C [M,1], beta: broadcast into Y */
        {1.0f, 2.0f, true, 0, {0}, true},      /* scalar C */
        {1.0f, 0.0f, false, 1, {-2}, true},    /* beta 0: C ignored */
        {1.0f, 1.0f, false, -1, {0}, true},    /* no C */
        {2.0f, 1.0f, true, 1, {-2}, false},    /* alpha: sgemm */
    };
    const int64_t m = 9, k = 21, n = 19;
    const op_schema_t *s = op_registry_find("Gemm", 13);
    float *a = harness_random_floats(m * k, 31), *b = harness_random_floats(k * n, 32);
    float *bt = malloc((size_t)(k * n) * sizeof *bt);
    float *c = harness_random_floats(m * n, 33);
    double *ref = malloc((size_t)(m * n) * sizeof *ref);

    CHECK(s != NULL);
    if (!s)
        return;
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < n; j++)
            bt[j * k + p] = b[p * n + j];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const gemm_op_case_t *gc = &cases[i];
        gemm_params_t p = {.alpha = gc->alpha, .beta = gc->beta, .trans_b = gc->trans_b};
        int64_t cd[2];
        tensor_t ta = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){m, k}, a);
        tensor_t tb = gc->trans_b ? harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){n, k}, bt)
                                  : harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){k, n}, b);
        tensor_t tc, y;
        const tensor_t *in[] = {&ta, &tb, &tc};
        int64_t c_rows = 1, c_cols = 1;

        for (int d = 0; d < gc->c_rank; d++)
            cd[d] = gc->c_dims[d] == -1 ? m : gc->c_dims[d] == -2 ? n : gc->c_dims[d];
        tc = harness_tensor(DTYPE_FLOAT, gc->c_rank > 0 ? gc->c_rank : 0, cd, c);
        if (gc->c_rank >= 1)
            c_cols = cd[gc->c_rank - 1];
        if (gc->c_rank == 2)
            c_rows = cd[0];
        reference(a, b, NULL, false, m, k, n, ref);
        for (int64_t r = 0; r < m; r++)
            for (int64_t j = 0; j < n; j++) {
                double cv =
                    gc->c_rank < 0 ? 0.0 : c[(c_rows > 1 ? r : 0) * c_cols + (c_cols > 1 ? j : 0)];
                ref[r * n + j] = gc->alpha * ref[r * n + j] + gc->beta * cv;
            }
        CHECK(run_op(s->kernel, &p, "Gemm", gc->c_rank < 0 ? 2 : 3, in, 2u, 1 + (int)(i % 2), &y) ==
              gc->expect_packed);
        check_output(&y, ref, m * n, k);
        free(y.data);
    }
    free(a);
    free(b);
    free(bt);
    free(c);
    free(ref);
}

typedef struct progress_log {
    size_t last;
    int calls;
    bool decreased;
} progress_log_t;

static void log_progress(void *ctx, size_t bytes)
{
    progress_log_t *log = ctx;

    log->decreased |= bytes < log->last;
    log->last = bytes;
    log->calls++;
}

/*
 * gemm_b_pack_progress reports a growing prefix of the source that ends at
 * its last element, for either layout, and packs the same panels as
 * gemm_b_pack and gemm_b_pack_into: a product through each is identical.
 */
static void test_pack_progress(void)
{
    const int64_t k = 700, n = 300, ld = 310, m = 7;
    float *b = malloc((size_t)(k * ld) * sizeof *b), *a = malloc((size_t)(m * k) * sizeof *a);
    float *c1 = malloc((size_t)(m * n) * sizeof *c1), *c2 = malloc((size_t)(m * n) * sizeof *c2);

    CHECK(b && a && c1 && c2);
    for (int64_t i = 0; i < k * ld; i++)
        b[i] = (float)(i % 17) - 8.0f;
    for (int64_t i = 0; i < m * k; i++)
        a[i] = (float)(i % 5) - 2.0f;
    for (int transposed = 0; transposed < 2 && b && a && c1 && c2; transposed++) {
        /* Transposed, the source is [n][ld] with k used per row. */
        int64_t rows = transposed ? n : k, used = transposed ? k : n;
        progress_log_t log = {0};
        gemm_b_t *plain = NULL, *reported = NULL;
        gemm_a_t ga = {.data = a, .lda = k};
        error_t err;
        CHECK(gemm_b_pack(b, ld, transposed, k, n, &plain, &err) == STATUS_OK);
        CHECK(gemm_b_pack_progress(b, ld, transposed, k, n, log_progress, &log, &reported, &err) ==
              STATUS_OK);
        CHECK(log.calls > 1 && !log.decreased);
        CHECK(log.last == (size_t)((rows - 1) * ld + used) * sizeof *b);
        if (plain && reported) {
            gemm_run(&ga, m, plain, c1, n, NULL, NULL, 1);
            gemm_run(&ga, m, reported, c2, n, NULL, NULL, 1);
            CHECK(memcmp(c1, c2, (size_t)(m * n) * sizeof *c1) == 0);
        }
        /* Packed into caller memory (garbage beforehand), the product is the same again. */
        size_t size = gemm_b_pack_size(k, n);
        void *mem = aligned_alloc(64, (size / 64 + 1) * 64);
        CHECK(mem != NULL);
        if (mem && plain) {
            memset(mem, 0x7f, size);
            gemm_run(&ga, m, gemm_b_pack_into(mem, b, ld, transposed, k, n), c2, n, NULL, NULL, 1);
            CHECK(memcmp(c1, c2, (size_t)(m * n) * sizeof *c1) == 0);
        }
        free(mem);
        gemm_b_free(plain);
        gemm_b_free(reported);
    }
    free(b);
    free(a);
    free(c1);
    free(c2);
}

/*
 * A half B (gemm_b_pack_half) gives the product of its float widening
 * packed as floats: exactly when a task has several row tiles (gemm_run
 * widens each K block into the workspace and runs the same kernel in the
 * same order), within rounding when it has one (m <= 12: K is then run in
 * L1-sized slices, C accumulating between them). K past one AVX-512 block
 * (1536) crosses a block; a gathered A shares the workspace.
 */
static void test_half_b(void)
{
    static const int64_t ms[] = {1, 7, 13, 100}, ns[] = {1, 17, 33, 100}, ks[] = {0, 5, 257, 1600};
    static const dtype_t types[] = {DTYPE_FLOAT16, DTYPE_BFLOAT16};

    for (int ti = 0; ti < 2; ti++)
        for (int mi = 0; mi < 4; mi++)
            for (int ni = 0; ni < 4; ni++)
                for (int ki = 0; ki < 4; ki++)
                    for (int variant = 0; variant < 8; variant++) {
                        int64_t m = ms[mi], n = ns[ni], k = ks[ki];
                        bool transposed = variant & 1, gather = variant & 2;
                        int threads = variant & 4 ? 2 : 1;
                        int64_t ldb = transposed ? k + 3 : n + 5, rows = transposed ? n : k;
                        float *a = harness_random_floats(m * k + 1, 11 + (unsigned)m);
                        float *b = harness_random_floats(rows * ldb + 1, 12 + (unsigned)k);
                        float *cols = malloc((size_t)(k * m + 1) * sizeof *cols);
                        uint16_t *h = malloc((size_t)(rows * ldb + 1) * sizeof *h);
                        float *c1 = malloc((size_t)(m * n + 1) * sizeof *c1);
                        float *c2 = malloc((size_t)(m * n + 1) * sizeof *c2);
                        gather_src_t src = {cols, m, 0};
                        gemm_a_t ga = {.data = a, .lda = k};
                        gemm_epilogue_t ep = {.act = GEMM_ACT_RELU};
                        gemm_b_t *wide = NULL, *half = NULL;
                        error_t err = {0};
                        void *ws1 = NULL, *ws2 = NULL;
                        size_t bytes;

                        assert(cols && h && c1 && c2);
                        for (int64_t i = 0; i < m; i++)
                            for (int64_t p = 0; p < k; p++)
                                cols[p * m + i] = a[i * k + p];
                        if (gather)
                            ga = (gemm_a_t){.gather = gather_columns, .gather_ctx = &src};
                        float_to_half_n(types[ti], b, h, rows * ldb);
                        half_to_float_n(types[ti], h, b, rows * ldb);
                        CHECK(gemm_b_pack(b, ldb, transposed, k, n, &wide, &err) == STATUS_OK);
                        CHECK(gemm_b_pack_half(h, types[ti], ldb, transposed, k, n, NULL, NULL,
                                               &half, &err) == STATUS_OK);
                        CHECK(gemm_b_dtype(half) == types[ti]);
                        CHECK(gemm_b_bytes(half) * 2 == gemm_b_bytes(wide));
                        bytes = gemm_workspace_bytes(&ga, m, wide, threads);
                        ws1 = bytes ? malloc(bytes) : NULL;
                        bytes = gemm_workspace_bytes(&ga, m, half, threads);
                        CHECK(k == 0 || bytes > 0);
                        /* 64-byte aligned, as a plan's workspace is: the kernels load B aligned. */
                        ws2 = aligned_alloc(64, (bytes / 64 + 1) * 64);
                        gemm_run(&ga, m, wide, c1, n, &ep, ws1, threads);
                        gemm_run(&ga, m, half, c2, n, &ep, ws2, threads);
                        bool same = memcmp(c1, c2, (size_t)(m * n) * sizeof *c1) == 0;
                        if (!same && m <= GEMM_AVX512_MR) {
                            double top = 0.0;
                            same = true;
                            for (int64_t i = 0; i < m * n; i++)
                                top = fmax(top, fabs(c1[i]));
                            for (int64_t i = 0; i < m * n; i++)
                                same &=
                                    fabs(c1[i] - c2[i]) <= TOLERANCE * sqrt((double)k) * (top + 1);
                        }
                        if (!same) {
                            fprintf(stderr,
                                    "%s B m=%lld n=%lld k=%lld trans=%d gather=%d "
                                    "threads=%d differs from its float widening\n",
                                    dtype_name(types[ti]), (long long)m, (long long)n, (long long)k,
                                    transposed, gather, threads);
                            CHECK(false);
                        }
                        gemm_b_free(wide);
                        gemm_b_free(half);
                        free(ws1);
                        free(ws2);
                        free(a);
                        free(b);
                        free(cols);
                        free(h);
                        free(c1);
                        free(c2);
                    }
}

int main(void)
{
    test_shapes();
    test_epilogues();
    test_l1_aliasing();
    test_no_epilogue_and_empty();
    test_kernels();
    test_fused_matmul();
    test_matmul_packed();
    test_gemm_op();
    test_pack_progress();
    test_half_b();
    CHECK_DONE();
}
