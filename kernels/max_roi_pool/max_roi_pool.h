/*
 * max_roi_pool.h - MaxRoiPool (opset 1): for each region [batch, x1, y1,
 * x2, y2] of rois, scaled by spatial_scale and rounded to whole pixels, a
 * pooled_h x pooled_w grid of bins over image batch of X [N, C, H, W], each
 * the largest pixel it covers (0 for a bin left empty by clipping).
 *
 * The region arithmetic follows ONNX Runtime's (which follows Caffe's
 * Fast R-CNN layer): corners round half away from zero, a region is at
 * least 1 x 1 and covers its end pixel, bins start at floor(i * bin) and
 * end at ceil((i + 1) * bin). For float inputs every step rounds to float,
 * as ONNX Runtime computes it, so bin edges agree exactly.
 */
#ifndef INFERD_MAX_ROI_POOL_H
#define INFERD_MAX_ROI_POOL_H

#include "op.h"

/* Largest pooled side: far above any detector's (7 x 7, 14 x 14). */
#define MAX_ROI_POOL_MAX_SIDE (INT64_C(1) << 16)

typedef struct max_roi_pool_params {
    int64_t pooled_h, pooled_w;
    float spatial_scale;
} max_roi_pool_params_t;

extern const op_kernel_t max_roi_pool_kernel;

/*
 * One region of one image's C planes (h x w, dtype t: float or double) into
 * y [C, pooled_h, pooled_w]. roi holds x1, y1, x2, y2 as given in rois.
 */
void max_roi_pool_region(const max_roi_pool_params_t *p, dtype_t t, const void *x, int64_t c,
                         int64_t h, int64_t w, const double *roi, void *y);

/* CPU implementation (max_roi_pool_cpu.c). */
status_t max_roi_pool_run(op_call_t *call, error_t *err);

#endif
