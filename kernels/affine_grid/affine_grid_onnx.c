/* ONNX adapter: AffineGrid 20, unchanged since. */
#include "affine_grid.h"

static status_t adapt_affine_grid(const op_adapt_t *a, void *params, error_t *err)
{
    affine_grid_params_t *p = params;
    int64_t align;
    status_t st = adapt_int(a, "align_corners", 0, &align, err);

    if (st != STATUS_OK)
        return st;
    if (align != 0 && align != 1)
        return op_adapt_fail(a, err, "align_corners %lld is neither 0 nor 1", (long long)align);
    p->align_corners = align != 0;
    return STATUS_OK;
}

const op_schema_t op_schemas_affine_grid[] = {
    {"AffineGrid", 20, OPSET_MAX, adapt_affine_grid, &affine_grid_kernel},
    {0},
};
