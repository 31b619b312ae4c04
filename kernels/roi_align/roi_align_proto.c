#include "roi_align.h"

#define ROI_ALIGN_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t roi_align_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {ROI_ALIGN_REALS, ROI_ALIGN_REALS, DTYPES_INDEX},
    .layout = "NCHW",
};

static status_t roi_align_infer(op_call_t *call, error_t *err)
{
    const roi_align_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *rois = call->inputs[1], *batch = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];

    if (x->rank != 4)
        return op_call_fail(call, err, "X must be [N, C, H, W], got %s",
                            shape_format(x->rank, x->dims, a, sizeof a));
    if (rois->rank != 2 || rois->dims[1] != 4 || rois->dtype != x->dtype)
        return op_call_fail(call, err, "rois must be [num_rois, 4] of X's dtype, got %s %s",
                            dtype_name(rois->dtype),
                            shape_format(rois->rank, rois->dims, a, sizeof a));
    if (batch->rank != 1 || batch->dims[0] != rois->dims[0])
        return op_call_fail(call, err, "batch_indices %s must be [num_rois] for rois %s",
                            shape_format(batch->rank, batch->dims, a, sizeof a),
                            shape_format(rois->rank, rois->dims, b, sizeof b));
    if (rois->dims[0] > 0 && (x->dims[2] == 0 || x->dims[3] == 0))
        return op_call_fail(call, err, "X %s has no pixels to sample",
                            shape_format(x->rank, x->dims, a, sizeof a));
    /* Known batch indices fail while planning. */
    for (int64_t r = 0; batch->data && r < batch->dims[0]; r++) {
        const int64_t v = tensor_get_index(batch, r);
        if (v < 0 || v >= x->dims[0])
            return op_call_fail(call, err, "batch_indices[%lld] = %lld is outside [0, %lld)",
                                (long long)r, (long long)v, (long long)x->dims[0]);
    }
    y->dtype = x->dtype;
    y->rank = 4;
    y->dims[0] = rois->dims[0];
    y->dims[1] = x->dims[1];
    y->dims[2] = p->output_height;
    y->dims[3] = p->output_width;
    if (!shape_valid(4, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(4, y->dims, a, sizeof a));
    return STATUS_OK;
}

const op_kernel_t roi_align_kernel = {
    .name = "RoiAlign",
    .info = &roi_align_info,
    .params_size = sizeof(roi_align_params_t),
    .infer = roi_align_infer,
    .run = roi_align_run,
};
