#include "max_roi_pool.h"

#define MAX_ROI_POOL_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t max_roi_pool_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {MAX_ROI_POOL_REALS, MAX_ROI_POOL_REALS},
    .layout = "NCHW",
};

static status_t max_roi_pool_infer(op_call_t *call, error_t *err)
{
    const max_roi_pool_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *rois = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX];

    if (x->rank != 4)
        return op_call_fail(call, err, "X must be [N, C, H, W], got %s",
                            shape_format(x->rank, x->dims, a, sizeof a));
    if (rois->rank != 2 || rois->dims[1] != 5)
        return op_call_fail(call, err, "rois must be [num_rois, 5] (batch, x1, y1, x2, y2), got %s",
                            shape_format(rois->rank, rois->dims, a, sizeof a));
    if (rois->dtype != x->dtype)
        return op_call_fail(call, err, "rois of dtype %s with X of dtype %s: they must match",
                            dtype_name(rois->dtype), dtype_name(x->dtype));
    /* Known regions fail while planning when they name a batch X lacks. */
    for (int64_t r = 0; rois->data && r < rois->dims[0]; r++) {
        const double b = x->dtype == DTYPE_FLOAT ? ((const float *)rois->data)[r * 5]
                                                 : ((const double *)rois->data)[r * 5];
        if (!(b > -1.0 && b < (double)x->dims[0]))
            return op_call_fail(call, err, "rois[%lld] names batch %g, outside [0, %lld)",
                                (long long)r, b, (long long)x->dims[0]);
    }
    y->dtype = x->dtype;
    y->rank = 4;
    y->dims[0] = rois->dims[0];
    y->dims[1] = x->dims[1];
    y->dims[2] = p->pooled_h;
    y->dims[3] = p->pooled_w;
    if (!shape_valid(4, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(4, y->dims, a, sizeof a));
    return STATUS_OK;
}

const op_kernel_t max_roi_pool_kernel = {
    .name = "MaxRoiPool",
    .info = &max_roi_pool_info,
    .params_size = sizeof(max_roi_pool_params_t),
    .infer = max_roi_pool_infer,
    .run = max_roi_pool_run,
};
