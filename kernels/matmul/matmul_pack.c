/*
 * matmul_pack.c - packs the constant B of MatMul, Gemm and FusedMatMul
 * into gemm_run's panel layout once per model.
 */
#include <assert.h>

#include <stdlib.h>

#include "gemm/gemm.h"
#include "gemm/gemm_bf16.h"
#include "half.h"
#include "matmul.h"

static void b_consumed(void *call, size_t bytes)
{
    op_call_consumed(call, 1, bytes);
}

/*
 * B packed to bf16 for the bf16 precision mode; false when oneDNN has only
 * reference code for the product (or a half B's scratch copy cannot be
 * had), and the caller stays on gemm_run.
 */
static bool pack_b_bf16(const tensor_t *b, bool transposed, int64_t k, int64_t n,
                        struct gemm_bf16_b **out)
{
    error_t ignored;
    float *wide = NULL;
    const float *data = b->data;
    status_t st;

    if (dtype_is_half(b->dtype)) {
        wide = malloc((size_t)tensor_numel(b) * sizeof *wide);
        if (!wide)
            return false;
        half_to_float_n(b->dtype, b->data, wide, tensor_numel(b));
        data = wide;
    }
    st = gemm_bf16_pack(data, b->dims[1], transposed, k, n, out, &ignored);
    free(wide);
    return st == STATUS_OK;
}

/* B as [k, n] (or [n, k] when transposed), if it is a constant float or half matrix. */
static status_t pack_b(const op_call_t *call, bool transposed, void **state, error_t *err)
{
    const tensor_t *b;
    matmul_state_t *ms;
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
    ms = calloc(1, sizeof *ms);
    if (!ms)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    /*
     * bf16 where oneDNN has more than reference code for it; float32 (or a
     * half B kept half) otherwise. gemm_bf16_pack reads floats: a half B is
     * widened into a scratch copy for it, freed once packed.
     */
    if (call->bf16 && pack_b_bf16(b, transposed, k, n, &ms->bf16)) {
        if (call->packed_bf16)
            *call->packed_bf16 = true;
        *state = ms;
        return STATUS_OK;
    }
    if (b->dtype == DTYPE_FLOAT)
        st = gemm_b_pack_progress(b->data, b->dims[1], transposed, k, n, b_consumed, (void *)call,
                                  &ms->f32, err);
    else
        st = gemm_b_pack_half(b->data, b->dtype, b->dims[1], transposed, k, n, b_consumed,
                              (void *)call, &ms->f32, err);
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

void matmul_set_workspace(op_call_t *call, int64_t rows)
{
    const tensor_t *b = call->inputs[1];
    const gemm_a_t dense = {.lda = 1};
    const matmul_state_t *ms = call->state;

    /* A bf16 state's scratch is matmul_bf16_prepare's to raise. */
    call->workspace_size = 0;
    if (ms && ms->f32)
        call->workspace_size = gemm_workspace_bytes(&dense, rows, ms->f32, call->threads);
    else if (!ms && dtype_is_half(b->dtype))
        call->workspace_size = (size_t)tensor_numel(b) * sizeof(float);
}

status_t matmul_prepare(op_call_t *call, void **prepared, error_t *err)
{
    const matmul_state_t *ms = call->state;
    int64_t n;

    *prepared = NULL;
    if (ms && ms->bf16)
        return matmul_bf16_prepare(call, prepared, err);
    if (ms && ms->f32 && gemm_b_dtype(ms->f32) != DTYPE_FLOAT) {
        /* A packed B is shared by every batch: the product has all the output's rows. */
        n = gemm_b_n(ms->f32);
        matmul_set_workspace(call, n > 0 ? tensor_numel(&call->outputs[0]) / n : 0);
    }
    return STATUS_OK;
}

const float *matmul_b_floats(const op_call_t *call, const tensor_t *b)
{
    if (!dtype_is_half(b->dtype))
        return b->data;
    assert(call->workspace_size >= (size_t)tensor_numel(b) * sizeof(float));
    half_to_float_n(b->dtype, b->data, call->workspace, tensor_numel(b));
    return call->workspace;
}
