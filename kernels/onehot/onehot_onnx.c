/*
 * ONNX adapters of OneHot: the axis attribute (default -1, the new last
 * dim); version 11 let negative indices count back from depth.
 */
#include "onehot.h"

static status_t adapt_onehot(const op_adapt_t *a, onehot_params_t *p, error_t *err)
{
    return adapt_int(a, "axis", -1, &p->axis, err);
}

static status_t adapt_onehot_9(const op_adapt_t *a, void *params, error_t *err)
{
    onehot_params_t *p = params;

    p->negative_wraps = false;
    return adapt_onehot(a, p, err);
}

static status_t adapt_onehot_11(const op_adapt_t *a, void *params, error_t *err)
{
    onehot_params_t *p = params;

    p->negative_wraps = true;
    return adapt_onehot(a, p, err);
}

const op_schema_t op_schemas_onehot[] = {
    {"OneHot", 9, 10, adapt_onehot_9, &onehot_kernel},
    {"OneHot", 11, OPSET_MAX, adapt_onehot_11, &onehot_kernel},
    {0},
};
