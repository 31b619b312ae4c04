/*
 * ONNX adapters: GatherND 11 (no batch dims), 12 (batch_dims), 13 (only
 * bfloat16 added).
 */
#include "gather_nd.h"

static status_t adapt_gather_nd_11(const op_adapt_t *a, void *params, error_t *err)
{
    gather_nd_params_t *p = params;

    (void)a;
    (void)err;
    p->batch_dims = 0;
    return STATUS_OK;
}

static status_t adapt_gather_nd_12(const op_adapt_t *a, void *params, error_t *err)
{
    gather_nd_params_t *p = params;
    return adapt_int(a, "batch_dims", 0, &p->batch_dims, err);
}

const op_schema_t op_schemas_gather_nd[] = {
    {"GatherND", 11, 11, adapt_gather_nd_11, &gather_nd_kernel},
    {"GatherND", 12, 12, adapt_gather_nd_12, &gather_nd_kernel},
    {"GatherND", 13, OPSET_MAX, adapt_gather_nd_12, &gather_nd_kernel},
    {0},
};
