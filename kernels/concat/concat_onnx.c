/*
 * ONNX adapter: Concat. Opset 1 defaults axis to 1; from opset 4 it is
 * required. Negative axes (opset 11) are accepted everywhere: they were
 * invalid before, and their meaning is unambiguous.
 */
#include "concat.h"

static status_t adapt_concat(const op_adapt_t *a, void *params, error_t *err)
{
    concat_params_t *p = params;

    if (a->opset >= 4 && !adapt_has(a, "axis"))
        return op_adapt_fail(a, err, "attribute 'axis' is missing");
    return adapt_int(a, "axis", 1, &p->axis, err);
}

const op_schema_t op_schemas_concat[] = {
    {"Concat", 1, OPSET_MAX, adapt_concat, &concat_kernel},
    {0},
};
