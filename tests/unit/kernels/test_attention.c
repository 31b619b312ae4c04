/*
 * Unit tests of the internal transformer kernels against naive references:
 * inferd.Attention (broadcast mask, no mask, 1 and 2 threads, stacked and
 * interleaved heads),
 * inferd.FusedMatMul with and without its GELU epilogue, inferd.Gelu, and
 * the vectorised erf/exp/GELU tails (lengths that are not a multiple of the
 * vector width). These ops have no ONNX schema, so the tests drive the
 * kernels' infer/prepare/run directly.
 */
#include "attention/attention.h"
#include "gelu/gelu.h"
#include "matmul/matmul.h"

#include <math.h>
#include <stdlib.h>

#include "op_harness.h"
#include "vmath.h"

enum { B = 2, H = 3, S = 5, T = 7, D = 4, DV = 6 };

/* infer, prepare and run one kernel call the way a plan does; returns the output data. */
static float *run_kernel(const op_kernel_t *kernel, const void *params, int n_inputs,
                         const tensor_t **inputs, int threads, tensor_t *y)
{
    op_call_t call = {.op_type = kernel->name,
                      .node = HARNESS_NODE,
                      .params = params,
                      .n_inputs = n_inputs,
                      .inputs = inputs,
                      .n_outputs = 1,
                      .outputs = y,
                      .threads = threads};
    error_t err = {0};
    void *prepared = NULL;

    CHECK(kernel->infer(&call, &err) == STATUS_OK);
    if (kernel->prepare)
        CHECK(kernel->prepare(&call, &prepared, &err) == STATUS_OK);
    y->data = calloc((size_t)tensor_numel(y) + 1, sizeof(float));
    /* The engine's workspaces are 64-byte aligned (op.h). */
    call.workspace = aligned_alloc(64, (call.workspace_size / 64 + 1) * 64);
    CHECK(kernel->run(&call, &err) == STATUS_OK);
    free(call.workspace);
    return y->data;
}

/* mask: [B, 1, 1, T], or [B, 1, S, T] when per_row. */
static void reference_attention(const float *q, const float *kt, const float *v, const float *mask,
                                bool per_row, float scale, float *y)
{
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *qh = q + (b * H + h) * S * D, *kh = kt + (b * H + h) * D * T;
            const float *vh = v + (b * H + h) * T * DV;
            for (int i = 0; i < S; i++) {
                double p[T], sum = 0.0, max = -INFINITY;
                for (int j = 0; j < T; j++) {
                    double s = 0.0;
                    for (int k = 0; k < D; k++)
                        s += qh[i * D + k] * kh[k * T + j];
                    p[j] = s * scale + (mask ? mask[(per_row ? b * S + i : b) * T + j] : 0.0f);
                    max = p[j] > max ? p[j] : max;
                }
                for (int j = 0; j < T; j++)
                    sum += p[j] = exp(p[j] - max);
                for (int c = 0; c < DV; c++) {
                    double acc = 0.0;
                    for (int j = 0; j < T; j++)
                        acc += p[j] / sum * vh[j * DV + c];
                    y[((b * H + h) * S + i) * DV + c] = (float)acc;
                }
            }
        }
}

static void test_attention(void)
{
    float *q = harness_random_floats(B * H * S * D, 1),
          *kt = harness_random_floats(B * H * D * T, 2);
    float *v = harness_random_floats(B * H * T * DV, 3), *mask = harness_random_floats(B * T, 4);
    float ref[B * H * S * DV];
    tensor_t tq = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, H, S, D}, q);
    tensor_t tk = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, H, D, T}, kt);
    tensor_t tv = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, H, T, DV}, v);
    /* [B, 1, 1, T]: one padding mask per sequence, as BERT builds it. */
    tensor_t tm = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, 1, 1, T}, mask);
    const tensor_t *in[] = {&tq, &tk, &tv, &tm};
    const attention_params_t p = {.scale = 0.5f};

    for (int i = 0; i < B * T; i++)
        mask[i] = i % 3 == 0 ? -10000.0f : 0.0f;
    for (int with_mask = 0; with_mask < 2; with_mask++) {
        reference_attention(q, kt, v, with_mask ? mask : NULL, false, p.scale, ref);
        for (int threads = 1; threads <= 2; threads++) {
            tensor_t y;
            float *out = run_kernel(&attention_kernel, &p, with_mask ? 4 : 3, in, threads, &y);
            CHECK(y.rank == 4 && y.dims[0] == B && y.dims[1] == H && y.dims[2] == S &&
                  y.dims[3] == DV);
            for (int i = 0; i < B * H * S * DV; i++)
                CHECK_NEAR(out[i], ref[i], 1e-5);
            free(out);
        }
    }
    /*
     * A mask that differs per row ([B, 1, S, T], as a causal one) and a
     * scale that is not a power of two: the path that applies both to the
     * scores instead of to the packed K and the GEMM's bias.
     */
    {
        float *rows = harness_random_floats(B * S * T, 5);
        tensor_t tr = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, 1, S, T}, rows);
        const tensor_t *inr[] = {&tq, &tk, &tv, &tr};
        const attention_params_t pr = {.scale = 0.3f};
        float ref_rows[B * H * S * DV];

        for (int i = 0; i < B * S * T; i++)
            rows[i] = i % T > i / T % S + 2 ? -10000.0f : rows[i];
        reference_attention(q, kt, v, rows, true, pr.scale, ref_rows);
        for (int threads = 1; threads <= 2; threads++) {
            tensor_t y;
            float *out = run_kernel(&attention_kernel, &pr, 4, inr, threads, &y);
            for (int i = 0; i < B * H * S * DV; i++)
                CHECK_NEAR(out[i], ref_rows[i], 1e-5);
            free(out);
        }
        /* The same scale with the broadcast mask, on the fast path. */
        reference_attention(q, kt, v, mask, false, pr.scale, ref_rows);
        {
            tensor_t y;
            float *out = run_kernel(&attention_kernel, &pr, 4, in, 1, &y);
            for (int i = 0; i < B * H * S * DV; i++)
                CHECK_NEAR(out[i], ref_rows[i], 1e-5);
            free(out);
        }
        free(rows);
    }
    /* Interleaved heads: the same problem laid out [B, S, H, D], K not transposed. */
    {
        float qi[B * S * H * D], ki[B * T * H * D], vi[B * T * H * DV];
        tensor_t tqi = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, S, H, D}, qi);
        tensor_t tki = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, T, H, D}, ki);
        tensor_t tvi = harness_tensor(DTYPE_FLOAT, 4, (const int64_t[]){B, T, H, DV}, vi);
        const tensor_t *ini[] = {&tqi, &tki, &tvi, &tm};
        const attention_params_t pi = {.scale = 0.5f, .interleaved = true};
        tensor_t y;
        float *out;

        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < S; i++)
                    for (int k = 0; k < D; k++)
                        qi[((b * S + i) * H + h) * D + k] = q[((b * H + h) * S + i) * D + k];
                for (int j = 0; j < T; j++) {
                    for (int k = 0; k < D; k++)
                        ki[((b * T + j) * H + h) * D + k] = kt[((b * H + h) * D + k) * T + j];
                    for (int c = 0; c < DV; c++)
                        vi[((b * T + j) * H + h) * DV + c] = v[((b * H + h) * T + j) * DV + c];
                }
            }
        out = run_kernel(&attention_kernel, &pi, 4, ini, 2, &y);
        CHECK(y.rank == 4 && y.dims[0] == B && y.dims[1] == S && y.dims[2] == H && y.dims[3] == DV);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < S; i++)
                    for (int c = 0; c < DV; c++)
                        CHECK_NEAR(out[((b * S + i) * H + h) * DV + c],
                                   ref[((b * H + h) * S + i) * DV + c], 1e-5);
        free(out);
    }
    free(q);
    free(kt);
    free(v);
    free(mask);
}

static double gelu_ref(double x)
{
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

static void test_fused_matmul(void)
{
    enum { M = 9, K = 11, N = 13 };
    float *a = harness_random_floats(M * K, 5), *w = harness_random_floats(K * N, 6);
    float *bias = harness_random_floats(N, 7);
    tensor_t ta = harness_tensor(DTYPE_FLOAT, 3, (const int64_t[]){1, M, K}, a);
    tensor_t tw = harness_tensor(DTYPE_FLOAT, 2, (const int64_t[]){K, N}, w);
    tensor_t tb = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){N}, bias);
    const tensor_t *in[] = {&ta, &tw, &tb};

    for (int act = MATMUL_ACT_NONE; act <= MATMUL_ACT_GELU; act++) {
        const fused_matmul_params_t p = {.act = (matmul_act_t)act};
        tensor_t y;
        float *out = run_kernel(&fused_matmul_kernel, &p, 3, in, 2, &y);
        CHECK(y.rank == 3 && y.dims[1] == M && y.dims[2] == N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = bias[j];
                for (int k = 0; k < K; k++)
                    s += (double)a[i * K + k] * w[k * N + j];
                CHECK_NEAR(out[i * N + j], act == MATMUL_ACT_GELU ? gelu_ref(s) : s, 1e-5);
            }
        free(out);
    }
    free(a);
    free(w);
    free(bias);
}

static void test_vmath(void)
{
    enum { N = 37 };
    float x[N], y[N];
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (const int64_t[]){N}, x);
    const tensor_t *in[] = {&tx};
    tensor_t tg;
    float *g;

    for (int i = 0; i < N; i++)
        x[i] = -6.0f + 12.0f * (float)i / (N - 1);
    vmath_erf_f32(x, y, N);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(y[i], erf(x[i]), 1e-6);
    vmath_exp_f32(x, y, N);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(y[i] / exp(x[i]), 1.0, 1e-6);
    CHECK_NEAR(vmath_exp_shift_sum_f32(x, y, N, vmath_max_f32(x, N)), 1.0 / (1.0 - exp(-12.0 / 36)),
               1e-4);
    g = run_kernel(&gelu_kernel, NULL, 1, in, 2, &tg);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(g[i], gelu_ref(x[i]), 1e-6);
    free(g);
}

int main(void)
{
    test_attention();
    test_fused_matmul();
    test_vmath();
    CHECK_DONE();
}
