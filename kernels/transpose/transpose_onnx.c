/* ONNX adapter: Transpose (the same form in every opset). */
#include "transpose.h"

static status_t adapt_transpose(const op_adapt_t *a, void *params, error_t *err)
{
    transpose_params_t *p = params;
    return adapt_ints(a, "perm", TENSOR_MAX_RANK, p->perm, &p->perm_count, err);
}

const op_schema_t op_schemas_transpose[] = {
    /* Transpose-21 adds only 4-bit types, which import refuses. */
    {"Transpose", 1, 20, adapt_transpose, &transpose_kernel},
    {"Transpose", 21, OPSET_MAX, adapt_transpose, &transpose_kernel},
    {0},
};
