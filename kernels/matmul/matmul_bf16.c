/*
 * matmul_bf16.c - MatMul, Gemm and inferd.FusedMatMul in the bf16 precision
 * mode, on gemm_bf16.h: the call's rows, bias and epilogue are mapped onto
 * oneDNN's matmul (bias argument, sum and eltwise post-ops) once per plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm_bf16.h"
#include "matmul.h"

/* What one call computes: C = epilogue(A x B) over m rows. */
typedef struct bf16_call {
    int64_t m;
    gemm_bf16_epilogue_t ep;
    const float *bias;
    /* Gemm with a C that is neither a bias nor absent: Y starts as beta * C (ep.sum). */
    const float *c;
    float beta;
    int64_t c_row_stride, c_col_stride;
} bf16_call_t;

static const gemm_bf16_b_t *bf16_b(const op_call_t *call)
{
    const matmul_state_t *ms = call->state;

    return ms ? ms->bf16 : NULL;
}

static void map_call(const op_call_t *call, bf16_call_t *bc)
{
    const gemm_bf16_b_t *b = bf16_b(call);
    int64_t n = gemm_bf16_n(b);

    memset(bc, 0, sizeof *bc);
    bc->m = tensor_numel(&call->outputs[0]) / n;
    if (strcmp(call->op_type, "Gemm") == 0) {
        const gemm_params_t *p = call->params;
        const tensor_t *c = call->n_inputs > 2 ? call->inputs[2] : NULL;
        if (!c || p->beta == 0.0f)
            return;
        /* C is aligned to [M, N] from the right; a dim of 1 broadcasts (stride 0). */
        if (c->rank >= 1 && c->dims[c->rank - 1] != 1)
            bc->c_col_stride = 1;
        if (c->rank == 2 && c->dims[0] != 1)
            bc->c_row_stride = c->dims[1];
        if (p->beta == 1.0f && bc->c_col_stride == 1 && bc->c_row_stride == 0) {
            bc->ep.bias = true;
            bc->bias = c->data;
        } else {
            bc->ep.sum = true;
            bc->c = c->data;
            bc->beta = p->beta;
        }
    } else if (strcmp(call->op_type, "MatMul") != 0) {
        const fused_matmul_params_t *p = call->params; /* inferd.FusedMatMul */
        bc->ep.bias = true;
        bc->bias = call->inputs[2]->data;
        bc->ep.act = p->act == MATMUL_ACT_GELU ? GEMM_ACT_GELU : GEMM_ACT_NONE;
    }
}

status_t matmul_bf16_prepare(op_call_t *call, void **prepared, error_t *err)
{
    const gemm_bf16_b_t *b = bf16_b(call);
    bf16_call_t bc;
    status_t st;

    *prepared = NULL;
    if (!b)
        return STATUS_OK;
    map_call(call, &bc);
    st = gemm_bf16_prepare(b, bc.m, &bc.ep, call->threads, (gemm_bf16_plan_t **)prepared,
                           &call->workspace_size, err);
    return st ? error_prefix(err, "%s node '%s'", call->op_type, call->node) : STATUS_OK;
}

void matmul_bf16_unprepare(void *prepared)
{
    gemm_bf16_plan_free(prepared);
}

/* Rows a prepared plan was made for; checked so a differently split call never misuses it. */
static bool plan_fits(const gemm_bf16_plan_t *plan, const op_call_t *call, const bf16_call_t *bc)
{
    (void)call;
    return plan && gemm_bf16_plan_rows(plan) == bc->m;
}

status_t matmul_bf16_run(op_call_t *call, error_t *err)
{
    const gemm_bf16_b_t *b = bf16_b(call);
    gemm_bf16_plan_t *own = NULL;
    const gemm_bf16_plan_t *plan = call->prepared;
    void *workspace = call->workspace, *own_workspace = NULL;
    float *y = call->outputs[0].data;
    bf16_call_t bc;
    status_t st = STATUS_OK;

    map_call(call, &bc);
    if (bc.m == 0)
        return STATUS_OK;
    /* Folding while planning runs a step unprepared: a one-off primitive and scratch. */
    if (!plan_fits(plan, call, &bc)) {
        size_t bytes = 0;
        if ((st = gemm_bf16_prepare(b, bc.m, &bc.ep, call->threads, &own, &bytes, err)))
            goto cleanup;
        own_workspace = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
        if (!own_workspace) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory running a bf16 matmul");
            goto cleanup;
        }
        plan = own;
        workspace = own_workspace;
    }
    if (bc.ep.sum)
        matmul_fill_scaled_c(bc.c, y, bc.m, gemm_bf16_n(b), bc.beta, bc.c_row_stride,
                             bc.c_col_stride);
    st = gemm_bf16_run(plan, call->inputs[0]->data, bc.bias, y, workspace, call->threads, err);
cleanup:
    if (st)
        error_prefix(err, "%s node '%s'", call->op_type, call->node);
    gemm_bf16_plan_free(own);
    free(own_workspace);
    return st;
}

void matmul_bf16_describe(const op_call_t *call, char *impl, size_t size)
{
    const gemm_bf16_plan_t *plan = call->prepared;

    snprintf(impl, size, "onednn bf16 %s", plan ? gemm_bf16_plan_impl(plan) : "(unprepared)");
}
