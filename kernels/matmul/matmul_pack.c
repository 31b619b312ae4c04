/*
 * matmul_pack.c - packs the constant B of MatMul, Gemm and FusedMatMul
 * into gemm_run's panel layout once per model.
 */
#include <assert.h>

#include <stdlib.h>

#include "gemm/gemm.h"
#include "gemm/gemm_bf16.h"
#include "matmul.h"

static void b_consumed(void *call, size_t bytes)
{
    op_call_consumed(call, 1, bytes);
}

/* B as [k, n] (or [n, k] when transposed), if it is a constant float matrix. */
static status_t pack_b(const op_call_t *call, bool transposed, void **state, error_t *err)
{
    const tensor_t *b;
    matmul_state_t *ms;
    int64_t k, n;
    error_t ignored;
    status_t st;

    *state = NULL;
    /* Import refuses a MatMul, Gemm or FusedMatMul with fewer inputs. */
    assert(call->n_inputs >= 2);
    b = call->inputs[1];
    if (!b || !b->data || b->dtype != DTYPE_FLOAT || b->rank != 2)
        return STATUS_OK;
    k = transposed ? b->dims[1] : b->dims[0];
    n = transposed ? b->dims[0] : b->dims[1];
    ms = calloc(1, sizeof *ms);
    if (!ms)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    /* bf16 where oneDNN has more than reference code for it; float32 otherwise. */
    if (call->bf16 &&
        gemm_bf16_pack(b->data, b->dims[1], transposed, k, n, &ms->bf16, &ignored) == STATUS_OK) {
        if (call->packed_bf16)
            *call->packed_bf16 = true;
        *state = ms;
        return STATUS_OK;
    }
    st = gemm_b_pack_progress(b->data, b->dims[1], transposed, k, n, b_consumed, (void *)call,
                              &ms->f32, err);
    if (st != STATUS_OK) {
        free(ms);
        return error_prefix(err, "%s node '%s'", call->op_type, call->node);
    }
    *state = ms;
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
    matmul_state_t *ms = state;

    if (!ms)
        return;
    gemm_b_free(ms->f32);
    gemm_bf16_free(ms->bf16);
    free(ms);
}
