#include "matmul.h"

#include <string.h>

#include "gelu/gelu.h"
#include "gemm/gemm.h"
#include "parallel.h"

status_t fused_matmul_run(op_call_t *call, error_t *err)
{
    const fused_matmul_params_t *p = call->params;
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    const float *bias = call->inputs[2]->data;
    float *y = call->outputs[0].data;
    int64_t k = b->dims[0], n = b->dims[1];
    int64_t m = k ? tensor_numel(a) / k : tensor_numel(&call->outputs[0]) / (n ? n : 1);

    if (m == 0 || n == 0)
        return STATUS_OK;
    if (call->state && ((const matmul_state_t *)call->state)->bf16)
        return matmul_bf16_run(call, err);
    if (call->state) {
        const gemm_a_t dense = {.data = a->data, .lda = k};
        const gemm_epilogue_t ep = {
            .bias = bias, .act = p->act == MATMUL_ACT_GELU ? GEMM_ACT_GELU : GEMM_ACT_NONE};
        gemm_run(&dense, m, ((const matmul_state_t *)call->state)->f32, y, n, &ep, call->workspace,
                 call->threads);
        return STATUS_OK;
    }
    /* Y starts as the bias rows and sgemm accumulates into it (beta = 1). */
#pragma omp parallel for num_threads(parallel_team(m *n, call->threads)) schedule(static)
    for (int64_t i = 0; i < m; i++)
        memcpy(y + i * n, bias, (size_t)n * sizeof *y);
    if (k > 0)
        matmul_sgemm(false, false, m, n, k, 1.0f, a->data, k, matmul_b_floats(call, b), n, 1.0f, y,
                     n, call->threads);
    if (p->act == MATMUL_ACT_GELU)
        gelu_f32(y, y, m * n, call->threads);
    return STATUS_OK;
}
