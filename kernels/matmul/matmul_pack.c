/*
 * matmul_pack.c - packs the constant B of MatMul, Gemm and FusedMatMul
 * into gemm_run's panel layout once per model.
 */
#include <assert.h>

#include "gemm/gemm.h"
#include "half.h"
#include "matmul.h"

static void b_consumed(void *call, size_t bytes)
{
    op_call_consumed(call, 1, bytes);
}

/* B as [k, n] (or [n, k] when transposed), if it is a constant float or half matrix. */
static status_t pack_b(const op_call_t *call, bool transposed, void **state, error_t *err)
{
    const tensor_t *b;
    gemm_b_t *packed;
    int64_t k, n;
    status_t st;

    *state = NULL;
    /* Import refuses a MatMul, Gemm or FusedMatMul with fewer inputs. */
    assert(call->n_inputs >= 2);
    b = call->inputs[1];
    if (!b || !b->data || (b->dtype != DTYPE_FLOAT && !dtype_is_half(b->dtype)) || b->rank != 2)
        return STATUS_OK;
    k = transposed ? b->dims[1] : b->dims[0];
    n = transposed ? b->dims[0] : b->dims[1];
    if (b->dtype == DTYPE_FLOAT)
        st = gemm_b_pack_progress(b->data, b->dims[1], transposed, k, n, b_consumed, (void *)call,
                                  &packed, err);
    else
        st = gemm_b_pack_half(b->data, b->dtype, b->dims[1], transposed, k, n, b_consumed,
                              (void *)call, &packed, err);
    if (st != STATUS_OK)
        return error_prefix(err, "%s node '%s'", call->op_type, call->node);
    *state = packed;
    return STATUS_OK;
}

status_t matmul_pack(const op_call_t *call, void **state, error_t *err)
{
    return pack_b(call, false, state, err);
}

status_t matmul_gemm_pack(const op_call_t *call, void **state, error_t *err)
{
    const gemm_params_t *p = call->params;

    /*
     * The packed path computes A x B plus an epilogue: a transposed A or
     * an alpha other than 1 stays on sgemm, which still reads B.
     */
    *state = NULL;
    if (p->trans_a || p->alpha != 1.0f)
        return STATUS_OK;
    return pack_b(call, p->trans_b, state, err);
}

status_t fused_matmul_pack(const op_call_t *call, void **state, error_t *err)
{
    return pack_b(call, false, state, err);
}

void matmul_release(void *state)
{
    gemm_b_free(state);
}

void matmul_set_workspace(op_call_t *call, int64_t rows)
{
    const tensor_t *b = call->inputs[1];
    const gemm_a_t dense = {.lda = 1};

    call->workspace_size = 0;
    if (call->state)
        call->workspace_size = gemm_workspace_bytes(&dense, rows, call->state, call->threads);
    else if (dtype_is_half(b->dtype))
        call->workspace_size = (size_t)tensor_numel(b) * sizeof(float);
}

const float *matmul_b_floats(const op_call_t *call, const tensor_t *b)
{
    if (!dtype_is_half(b->dtype))
        return b->data;
    assert(call->workspace_size >= (size_t)tensor_numel(b) * sizeof(float));
    half_to_float_n(b->dtype, b->data, call->workspace, tensor_numel(b));
    return call->workspace;
}
