/*
 * ONNX adapters of the scatter ops:
 *   Scatter           9 (deprecated at 11 for ScatterElements, same semantics)
 *   ScatterElements   11, 13 (bfloat16), 16 (reduction none/add/mul),
 *                     18 (reduction max/min)
 *   ScatterND         11, 13 (bfloat16), 16 (reduction none/add/mul),
 *                     18 (reduction max/min)
 */
#include "scatter.h"

#include <string.h>

/* Reads `reduction`; max and min exist from opset 18. */
static status_t read_reduction(const op_adapt_t *a, scatter_params_t *p, error_t *err)
{
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    const int known = a->opset >= 18 ? 5 : 3;
    const char *s;
    status_t st = adapt_string(a, "reduction", "none", &s, err);

    if (st != STATUS_OK)
        return st;
    for (int i = 0; i < known; i++) {
        if (strcmp(s, names[i]) == 0) {
            p->reduction = (scatter_reduction_t)i;
            return STATUS_OK;
        }
    }
    return op_adapt_fail(a, err, "reduction '%s' is not one of %s at opset %d", s,
                         a->opset >= 18 ? "none, add, mul, max, min" : "none, add, mul", a->opset);
}

static status_t adapt_scatter_elements(const op_adapt_t *a, void *params, error_t *err)
{
    scatter_params_t *p = params;

    p->reduction = SCATTER_NONE;
    return adapt_int(a, "axis", 0, &p->axis, err);
}

static status_t adapt_scatter_elements_16(const op_adapt_t *a, void *params, error_t *err)
{
    scatter_params_t *p = params;
    status_t st = adapt_int(a, "axis", 0, &p->axis, err);

    return st != STATUS_OK ? st : read_reduction(a, p, err);
}

static status_t adapt_scatter_nd(const op_adapt_t *a, void *params, error_t *err)
{
    scatter_params_t *p = params;

    (void)a;
    (void)err;
    p->axis = 0;
    p->reduction = SCATTER_NONE;
    return STATUS_OK;
}

static status_t adapt_scatter_nd_16(const op_adapt_t *a, void *params, error_t *err)
{
    scatter_params_t *p = params;

    p->axis = 0;
    return read_reduction(a, p, err);
}

const op_schema_t op_schemas_scatter[] = {
    {"Scatter", 9, 10, adapt_scatter_elements, &scatter_elements_kernel},
    {"ScatterElements", 11, 12, adapt_scatter_elements, &scatter_elements_kernel},
    {"ScatterElements", 13, 15, adapt_scatter_elements, &scatter_elements_kernel},
    {"ScatterElements", 16, 17, adapt_scatter_elements_16, &scatter_elements_kernel},
    {"ScatterElements", 18, OPSET_MAX, adapt_scatter_elements_16, &scatter_elements_kernel},
    {"ScatterND", 11, 12, adapt_scatter_nd, &scatter_nd_kernel},
    {"ScatterND", 13, 15, adapt_scatter_nd, &scatter_nd_kernel},
    {"ScatterND", 16, 17, adapt_scatter_nd_16, &scatter_nd_kernel},
    {"ScatterND", 18, OPSET_MAX, adapt_scatter_nd_16, &scatter_nd_kernel},
    {0},
};
