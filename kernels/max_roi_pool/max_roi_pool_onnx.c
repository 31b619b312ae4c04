/*
 * ONNX adapter: MaxRoiPool 1, unchanged since (later opsets only name it in
 * the changelog's type lists).
 */
#include "max_roi_pool.h"

#include <math.h>

static status_t adapt_max_roi_pool(const op_adapt_t *a, void *params, error_t *err)
{
    max_roi_pool_params_t *p = params;
    int64_t shape[2];
    int count;
    status_t st = adapt_ints(a, "pooled_shape", 2, shape, &count, err);

    if (st == STATUS_OK)
        st = adapt_float(a, "spatial_scale", 1.0f, &p->spatial_scale, err);
    if (st != STATUS_OK)
        return st;
    if (count < 0)
        return op_adapt_fail(a, err, "the required attribute pooled_shape is missing");
    if (count != 2)
        return op_adapt_fail(a, err, "pooled_shape must be 2 ints [height, width], got %d", count);
    for (int i = 0; i < 2; i++)
        if (shape[i] < 1 || shape[i] > MAX_ROI_POOL_MAX_SIDE)
            return op_adapt_fail(a, err, "pooled_shape[%d] %lld is outside [1, %lld]", i,
                                 (long long)shape[i], (long long)MAX_ROI_POOL_MAX_SIDE);
    if (!(p->spatial_scale > 0) || p->spatial_scale == INFINITY)
        return op_adapt_fail(a, err, "spatial_scale %g must be positive and finite",
                             (double)p->spatial_scale);
    p->pooled_h = shape[0];
    p->pooled_w = shape[1];
    return STATUS_OK;
}

const op_schema_t op_schemas_max_roi_pool[] = {
    {"MaxRoiPool", 1, OPSET_MAX, adapt_max_roi_pool, &max_roi_pool_kernel},
    {0},
};
