#include "nms.h"

static const op_info_t nms_info = {
    .min_inputs = 2,
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT, DTYPES_FLOAT, DTYPE_BIT(DTYPE_INT64), DTYPES_FLOAT,
                     DTYPES_FLOAT},
    .layout = "any",
};

static status_t nms_infer(op_call_t *call, error_t *err)
{
    const tensor_t *boxes = call->inputs[0], *scores = call->inputs[1];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    static const char *const names[] = {"", "", "max_output_boxes_per_class", "iou_threshold",
                                        "score_threshold"};

    if (boxes->rank != 3 || boxes->dims[2] != 4 || scores->rank != 3 ||
        scores->dims[0] != boxes->dims[0] || scores->dims[2] != boxes->dims[1])
        return op_call_fail(call, err,
                            "boxes must be [batch, boxes, 4] and scores [batch, classes, boxes], "
                            "got %s and %s",
                            shape_format(boxes->rank, boxes->dims, a, sizeof a),
                            shape_format(scores->rank, scores->dims, b, sizeof b));
    for (int i = 2; i < call->n_inputs; i++)
        if (call->inputs[i] && tensor_numel(call->inputs[i]) != 1)
            return op_call_fail(
                call, err, "input '%s' must hold one value, got shape %s", names[i],
                shape_format(call->inputs[i]->rank, call->inputs[i]->dims, a, sizeof a));
    call->outputs[0].dtype = DTYPE_INT64;
    call->outputs[0].rank = 2;
    call->outputs[0].dims[0] = 0;
    call->outputs[0].dims[1] = 3;
    call->workspace_size = NMS_WORK_ARRAYS * (size_t)boxes->dims[1] * sizeof(int64_t);
    return STATUS_OK;
}

const op_kernel_t nms_kernel = {
    .name = "NonMaxSuppression",
    .info = &nms_info,
    .params_size = sizeof(nms_params_t),
    .dynamic_outputs = 1u << 0,
    .infer = nms_infer,
    .run = nms_run,
};
