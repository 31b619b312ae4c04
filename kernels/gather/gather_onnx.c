/*
 * ONNX adapter: Gather. The form is the same in every opset; negative
 * indices (documented from opset 11) are accepted everywhere.
 */
#include "gather.h"

static status_t adapt_gather(const op_adapt_t *a, void *params, error_t *err)
{
    gather_params_t *p = params;
    return adapt_int(a, "axis", 0, &p->axis, err);
}

const op_schema_t op_schemas_gather[] = {
    {"Gather", 1, OPSET_MAX, adapt_gather, &gather_kernel},
    {0},
};
