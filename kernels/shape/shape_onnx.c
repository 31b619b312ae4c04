/*
 * ONNX adapters: Shape, with the start/end attributes from opset 15, and
 * Size (opsets 13, 19 and 21 only widen its input types).
 */
#include "shape.h"

/* Before opset 15 every dim is returned, which the zeroed params already say. */
static status_t adapt_shape(const op_adapt_t *a, void *params, error_t *err)
{
    return STATUS_OK;
}

static status_t adapt_shape_window(const op_adapt_t *a, void *params, error_t *err)
{
    shape_params_t *p = params;
    status_t st = adapt_int(a, "start", 0, &p->start, err);

    p->has_end = adapt_has(a, "end");
    if (st == STATUS_OK)
        st = adapt_int(a, "end", 0, &p->end, err);
    return st;
}

const op_schema_t op_schemas_shape[] = {
    {"Shape", 1, 14, adapt_shape, &shape_kernel},
    /* Shape-19/21 and Size-19/21 add only float8 and 4-bit inputs, which import refuses. */
    {"Shape", 15, 18, adapt_shape_window, &shape_kernel},
    {"Shape", 19, 20, adapt_shape_window, &shape_kernel},
    {"Shape", 21, OPSET_MAX, adapt_shape_window, &shape_kernel},
    {"Size", 1, 18, NULL, &size_kernel},
    {"Size", 19, 20, NULL, &size_kernel},
    {"Size", 21, OPSET_MAX, NULL, &size_kernel},
    {0},
};
