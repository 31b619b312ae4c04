/*
 * ONNX adapter: GatherElements (opset 11; 13 only added bfloat16). Negative
 * indices count back from the axis's end.
 */
#include "gather_elements.h"

static status_t adapt_gather_elements(const op_adapt_t *a, void *params, error_t *err)
{
    gather_elements_params_t *p = params;
    return adapt_int(a, "axis", 0, &p->axis, err);
}

const op_schema_t op_schemas_gather_elements[] = {
    {"GatherElements", 11, 12, adapt_gather_elements, &gather_elements_kernel},
    {"GatherElements", 13, OPSET_MAX, adapt_gather_elements, &gather_elements_kernel},
    {0},
};
