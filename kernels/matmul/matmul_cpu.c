#include "matmul.h"

#include <assert.h>
#include <dnnl.h>
#include <omp.h>
#include <string.h>

#include "gemm/gemm.h"
#include "parallel.h"

void matmul_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *y,
                  int64_t ldy, int threads)
{
    dnnl_status_t st;

    /*
     * oneDNN's OpenMP build sizes its team from the calling thread's
     * nthreads ICV, which omp_set_num_threads sets for this thread only.
     */
    omp_set_num_threads(parallel_team(m * n * k, threads));
    st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta,
                    y, ldy);
    assert(st == dnnl_success);
    (void)st;
}

void matmul_f32(const float *a, const float *b, float *y, int64_t m, int64_t k, int64_t n,
                int threads)
{
    if (m == 0 || n == 0)
        return;
    /* BLAS requires lda >= 1, so an empty inner dimension is a plain zero fill. */
    if (k == 0) {
        memset(y, 0, (size_t)(m * n) * sizeof *y);
        return;
    }
    matmul_sgemm(false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, y, n, threads);
}

/*
 * Integer products wrap like the unsigned type of the same width (signed
 * overflow would be undefined behaviour); the i-p-j order keeps the inner
 * loop a contiguous axpy the compiler vectorises.
 */
void matmul_i32(const int32_t *a, const int32_t *b, int32_t *y, int64_t m, int64_t k, int64_t n)
{
    for (int64_t i = 0; i < m; i++) {
        uint32_t *row = (uint32_t *)(y + i * n);
        memset(row, 0, (size_t)n * sizeof *row);
        for (int64_t p = 0; p < k; p++) {
            uint32_t av = (uint32_t)a[i * k + p];
            const uint32_t *brow = (const uint32_t *)(b + p * n);
            for (int64_t j = 0; j < n; j++)
                row[j] += av * brow[j];
        }
    }
}

void matmul_i64(const int64_t *a, const int64_t *b, int64_t *y, int64_t m, int64_t k, int64_t n)
{
    for (int64_t i = 0; i < m; i++) {
        uint64_t *row = (uint64_t *)(y + i * n);
        memset(row, 0, (size_t)n * sizeof *row);
        for (int64_t p = 0; p < k; p++) {
            uint64_t av = (uint64_t)a[i * k + p];
            const uint64_t *brow = (const uint64_t *)(b + p * n);
            for (int64_t j = 0; j < n; j++)
                row[j] += av * brow[j];
        }
    }
}

/*
 * Y = epilogue(A x B) for a packed B and a dense A of any batch shape: a
 * B shared by every batch makes the whole batch one product of count / n
 * rows.
 */
static void run_packed(const op_call_t *call, const float *a, float *y, int64_t count,
                       const gemm_epilogue_t *ep)
{
    const gemm_b_t *b = ((const matmul_state_t *)call->state)->f32;
    const gemm_a_t dense = {.data = a, .lda = gemm_b_k(b)};
    int64_t n = gemm_b_n(b);

    if (n > 0)
        gemm_run(&dense, count / n, b, y, n, ep, call->workspace, call->threads);
}

static void multiply(dtype_t dtype, const void *a, const void *b, void *y, int64_t m, int64_t k,
                     int64_t n, int threads)
{
    switch (dtype) {
    case DTYPE_FLOAT:
        matmul_f32(a, b, y, m, k, n, threads);
        break;
    default:
        matmul_generic(dtype, a, b, y, m, k, n);
    }
}

status_t matmul_run(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    const char *pa = a->data, *pb;
    char *py = call->outputs[0].data;
    matmul_shape_t s;
    const char *why;
    size_t esize = dtype_size(a->dtype);
    int64_t idx[TENSOR_MAX_RANK] = {0};
    int64_t a_off = 0, b_off = 0;
    bool ok;

    if (call->state && ((const matmul_state_t *)call->state)->bf16)
        return matmul_bf16_run(call, err);
    if (call->state) {
        run_packed(call, a->data, call->outputs[0].data, tensor_numel(&call->outputs[0]), NULL);
        return STATUS_OK;
    }
    /* A half B unpacked (a product folded at compile time) is widened into the workspace. */
    pb = (const char *)matmul_b_floats(call, b);
    ok = matmul_shape(a, b, &s, &why);
    assert(ok);
    (void)ok;
    size_t a_bytes = (size_t)(s.m * s.k) * esize;
    size_t b_bytes = (size_t)(s.k * s.n) * esize;
    size_t y_bytes = (size_t)(s.m * s.n) * esize;

    /* B shared by every batch and A not broadcast: the batch is one tall product. */
    if (s.b_batch_count == 1 && s.a_batch_count == s.batch_count &&
        s.batch_count * s.m <= MATMUL_MAX_DIM) {
        multiply(a->dtype, pa, pb, py, s.batch_count * s.m, s.k, s.n, call->threads);
        return STATUS_OK;
    }
    for (int64_t batch = 0; batch < s.batch_count; batch++) {
        multiply(a->dtype, pa + (size_t)a_off * a_bytes, pb + (size_t)b_off * b_bytes,
                 py + (size_t)batch * y_bytes, s.m, s.k, s.n, call->threads);
        /* Odometer over the batch dims: no division per batch. */
        for (int d = s.batch_rank - 1; d >= 0; d--) {
            a_off += s.a_batch_strides[d];
            b_off += s.b_batch_strides[d];
            if (++idx[d] < s.batch_dims[d])
                break;
            a_off -= s.a_batch_strides[d] * s.batch_dims[d];
            b_off -= s.b_batch_strides[d] * s.batch_dims[d];
            idx[d] = 0;
        }
    }
    return STATUS_OK;
}

/* Y[m, n] = beta * C, C read with the strides gemm_f32 describes. */
void matmul_fill_scaled_c(const float *c, float *y, int64_t m, int64_t n, float beta,
                          int64_t c_row_stride, int64_t c_col_stride)
{
    for (int64_t i = 0; i < m; i++) {
        const float *crow = c + i * c_row_stride;
        float *yrow = y + i * n;
        if (c_col_stride == 0) {
            float v = beta * crow[0];
            for (int64_t j = 0; j < n; j++)
                yrow[j] = v;
        } else {
            for (int64_t j = 0; j < n; j++)
                yrow[j] = beta * crow[j];
        }
    }
}

void gemm_f32(const float *a, const float *b, const float *c, float *y, int64_t m, int64_t k,
              int64_t n, bool trans_a, bool trans_b, float alpha, float beta, int64_t c_row_stride,
              int64_t c_col_stride, int threads)
{
    float acc_beta = 0.0f;

    if (m == 0 || n == 0)
        return;
    if (c && beta != 0.0f) {
        matmul_fill_scaled_c(c, y, m, n, beta, c_row_stride, c_col_stride);
        acc_beta = 1.0f;
    }
    if (k == 0) {
        if (acc_beta == 0.0f)
            memset(y, 0, (size_t)(m * n) * sizeof *y);
        return;
    }
    matmul_sgemm(trans_a, trans_b, m, n, k, alpha, a, trans_a ? m : k, b, trans_b ? k : n, acc_beta,
                 y, n, threads);
}

/*
 * Y = A x B + beta * C on a packed B (alpha is 1, A not transposed: the
 * pack hook checked). A [N] or [1, N] C with beta 1 is the epilogue's
 * bias and an [M, N] one its residual; any other C is broadcast into Y
 * first and accumulated as a residual aliasing Y.
 */
static void run_packed_gemm(const op_call_t *call, const float *a, const tensor_t *c, float beta,
                            float *y, int64_t m, int64_t n, int64_t c_row_stride,
                            int64_t c_col_stride)
{
    gemm_epilogue_t ep = {0};

    if (c && beta == 1.0f && c_col_stride == 1 && c_row_stride == 0) {
        ep.bias = c->data;
    } else if (c && beta == 1.0f && c_col_stride == 1) {
        ep.residual = c->data;
        ep.ld_residual = c_row_stride;
    } else if (c) {
        matmul_fill_scaled_c(c->data, y, m, n, beta, c_row_stride, c_col_stride);
        ep.residual = y;
        ep.ld_residual = n;
    }
    run_packed(call, a, y, m * n, &ep);
}

status_t matmul_gemm_run(op_call_t *call, error_t *err)
{
    const gemm_params_t *p = call->params;
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    const tensor_t *c = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *y = &call->outputs[0];
    int64_t m = y->dims[0], n = y->dims[1];
    int64_t k = p->trans_a ? a->dims[0] : a->dims[1];
    int64_t row_stride = 0, col_stride = 0;

    /* C is aligned to [M, N] from the right; a dim of 1 broadcasts (stride 0). */
    if (c && c->rank >= 1 && c->dims[c->rank - 1] != 1)
        col_stride = 1;
    if (c && c->rank == 2 && c->dims[0] != 1)
        row_stride = c->dims[1];
    if (call->state && ((const matmul_state_t *)call->state)->bf16)
        return matmul_bf16_run(call, err);
    if (call->state) {
        run_packed_gemm(call, a->data, c && p->beta != 0.0f ? c : NULL, p->beta, y->data, m, n,
                        row_stride, col_stride);
        return STATUS_OK;
    }
    if (a->dtype != DTYPE_FLOAT) {
        gemm_generic(a->dtype, a->data, b->data, c ? c->data : NULL, y->data, m, k, n, p->trans_a,
                     p->trans_b, p->alpha, p->beta, row_stride, col_stride);
        return STATUS_OK;
    }
    gemm_f32(a->data, matmul_b_floats(call, b), c ? c->data : NULL, y->data, m, k, n, p->trans_a,
             p->trans_b, p->alpha, p->beta, row_stride, col_stride, call->threads);
    return STATUS_OK;
}
