#include "transpose.h"

static const op_info_t transpose_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

void transpose_resolve_perm(const transpose_params_t *p, int rank, int *perm)
{
    for (int k = 0; k < rank; k++)
        perm[k] = p->perm_count < 0 ? rank - 1 - k : (int)p->perm[k];
}

static status_t transpose_infer(op_call_t *call, error_t *err)
{
    const transpose_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    bool seen[TENSOR_MAX_RANK] = {false};
    int perm[TENSOR_MAX_RANK];

    if (p->perm_count >= 0 && p->perm_count != x->rank)
        return op_call_fail(call, err, "perm has %d values for an input of rank %d", p->perm_count,
                            x->rank);
    for (int k = 0; k < p->perm_count; k++) {
        if (p->perm[k] < 0 || p->perm[k] >= x->rank || seen[p->perm[k]])
            return op_call_fail(call, err, "perm is not a permutation: value %lld at position %d",
                                (long long)p->perm[k], k);
        seen[p->perm[k]] = true;
    }
    transpose_resolve_perm(p, x->rank, perm);
    y->dtype = x->dtype;
    y->rank = x->rank;
    for (int k = 0; k < x->rank; k++)
        y->dims[k] = x->dims[perm[k]];
    return STATUS_OK;
}

const op_kernel_t transpose_kernel = {
    .name = "Transpose",
    .info = &transpose_info,
    .params_size = sizeof(transpose_params_t),
    .infer = transpose_infer,
    .run = transpose_run,
};
