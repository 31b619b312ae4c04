/* ONNX adapter of Trilu (opset 14): the upper attribute; k is input 1. */
#include "trilu.h"

static status_t adapt_trilu(const op_adapt_t *a, void *params, error_t *err)
{
    trilu_params_t *p = params;
    int64_t upper;
    status_t st = adapt_int(a, "upper", 1, &upper, err);

    if (st != STATUS_OK)
        return st;
    if (upper != 0 && upper != 1)
        return op_adapt_fail(a, err, "attribute 'upper' must be 0 or 1, got %lld",
                             (long long)upper);
    p->upper = upper != 0;
    return STATUS_OK;
}

const op_schema_t op_schemas_trilu[] = {
    {"Trilu", 14, OPSET_MAX, adapt_trilu, &trilu_kernel},
    {0},
};
