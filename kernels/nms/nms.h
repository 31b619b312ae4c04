/*
 * nms.h - NonMaxSuppression: per batch and class, the boxes kept by greedy
 * suppression in order of decreasing score (ties by box index): a box is
 * dropped when its IoU with a kept one exceeds iou_threshold, only boxes
 * scoring above score_threshold are candidates, and at most
 * max_output_boxes_per_class are kept (0, the default, keeps none). The
 * output [count, 3] (batch, class, box) is dynamic (op.h).
 */
#ifndef INFERD_NMS_H
#define INFERD_NMS_H

#include "op.h"

typedef struct nms_params {
    bool center_point_box; /* boxes are [x_center, y_center, width, height], else corners */
} nms_params_t;

extern const op_kernel_t nms_kernel;

/* CPU implementation (nms_cpu.c). */
status_t nms_run(op_call_t *call, error_t *err);

/* Per box: int64 arrays the run uses as workspace (candidates, sort scratch, kept). */
#define NMS_WORK_ARRAYS 3

#endif
