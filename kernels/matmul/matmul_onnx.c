/*
 * ONNX adapters: MatMul (all opsets; integer types from 9) and Gemm (the
 * `broadcast` attribute before 7, C optional from 11).
 */
#include "matmul.h"

static status_t adapt_gemm(const op_adapt_t *a, void *params, error_t *err)
{
    gemm_params_t *p = params;
    int64_t trans_a, trans_b, broadcast;
    status_t st;

    if ((st = adapt_float(a, "alpha", 1.0f, &p->alpha, err)) != STATUS_OK ||
        (st = adapt_float(a, "beta", 1.0f, &p->beta, err)) != STATUS_OK ||
        (st = adapt_int(a, "transA", 0, &trans_a, err)) != STATUS_OK ||
        (st = adapt_int(a, "transB", 0, &trans_b, err)) != STATUS_OK ||
        (st = adapt_int(a, "broadcast", 0, &broadcast, err)) != STATUS_OK)
        return st;
    if (trans_a != 0 && trans_a != 1)
        return op_adapt_fail(a, err, "attribute 'transA' must be 0 or 1, got %lld",
                             (long long)trans_a);
    if (trans_b != 0 && trans_b != 1)
        return op_adapt_fail(a, err, "attribute 'transB' must be 0 or 1, got %lld",
                             (long long)trans_b);
    if (a->opset < 11 && a->n_inputs < 3)
        return op_adapt_fail(a, err, "input C is required before opset 11 (model opset %d)",
                             a->opset);
    p->trans_a = trans_a != 0;
    p->trans_b = trans_b != 0;
    p->c_exact_shape = a->opset < 7 && broadcast == 0;
    return STATUS_OK;
}

const op_schema_t op_schemas_matmul[] = {
    {"MatMul", 1, OPSET_MAX, NULL, &matmul_kernel},
    {"Gemm", 1, 6, adapt_gemm, &gemm_kernel},
    {"Gemm", 7, OPSET_MAX, adapt_gemm, &gemm_kernel},
    {0},
};
