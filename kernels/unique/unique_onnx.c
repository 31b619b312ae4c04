/* ONNX adapter: Unique (opset 11): optional axis (absent: flattened), sorted (default 1). */
#include "unique.h"

static status_t adapt_unique(const op_adapt_t *a, void *params, error_t *err)
{
    unique_params_t *p = params;
    int64_t sorted = 1;
    status_t st = adapt_int(a, "axis", 0, &p->axis, err);

    p->has_axis = adapt_has(a, "axis");
    if (!st)
        st = adapt_int(a, "sorted", 1, &sorted, err);
    p->sorted = sorted != 0;
    return st;
}

const op_schema_t op_schemas_unique[] = {
    {"Unique", 11, OPSET_MAX, adapt_unique, &unique_kernel},
    {0},
};
