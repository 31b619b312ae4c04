/*
 * roi_align.h - RoiAlign: for each region [x1, y1, x2, y2] (scaled by
 * spatial_scale) of image batch_indices[r] of X [N, C, H, W], an
 * output_height x output_width grid of bins, each the average (or max) of
 * bilinear samples at sampling_ratio (or ceil(bin size)) points per side.
 * With coordinate_transformation_mode half_pixel (opset 16's default) the
 * region is shifted by -0.5 pixel; output_half_pixel (opset 10's only
 * behaviour) keeps it and makes the region at least 1 x 1. The sampling
 * follows ONNX Runtime's, which the ONNX tests were made with.
 */
#ifndef INFERD_ROI_ALIGN_H
#define INFERD_ROI_ALIGN_H

#include "op.h"

/* Largest output grid side and sampling ratio: far above any detector's. */
#define ROI_ALIGN_MAX_SIDE (INT64_C(1) << 16)
/*
 * Most samples per bin side when sampling_ratio is 0 and the box's size
 * decides (a box from the request could otherwise ask for 2^32 samples per
 * bin): a bin 1024 pixels across is still sampled every pixel.
 */
#define ROI_ALIGN_MAX_ADAPTIVE 1024

typedef struct roi_align_params {
    bool max_mode;
    bool half_pixel;
    int64_t output_height, output_width, sampling_ratio;
    float spatial_scale;
} roi_align_params_t;

extern const op_kernel_t roi_align_kernel;

/* One region of one image's C planes (h x w, dtype t) into y [C, oh, ow]. */
void roi_align_region(const roi_align_params_t *p, dtype_t t, const void *x, int64_t c, int64_t h,
                      int64_t w, const double *box, void *y);

/* CPU implementation (roi_align_cpu.c). */
status_t roi_align_run(op_call_t *call, error_t *err);

#endif
