/*
 * affine_grid.h - AffineGrid (opset 20): the sampling grid GridSample
 * takes, from a batch of affine matrices theta ([N, 2, 3] for 2-D, [N, 3, 4]
 * for 3-D) and the size of the image to produce ([N, C, H, W] or
 * [N, C, D, H, W], an input known while planning). Grid point (d, h, w) is
 * theta applied to (x, y[, z], 1), where x, y and z are w, h and d
 * normalised to [-1, 1]: onto the corner pixels' centres with
 * align_corners, onto their outer edges without. A side of one pixel sits
 * at 0, as in PyTorch's affine_grid, which the spec follows (ONNX Runtime
 * puts it at 1 with align_corners).
 */
#ifndef INFERD_AFFINE_GRID_H
#define INFERD_AFFINE_GRID_H

#include "op.h"

typedef struct affine_grid_params {
    bool align_corners;
} affine_grid_params_t;

extern const op_kernel_t affine_grid_kernel;

/*
 * grid [n, (d,) h, w, r] from theta [n, r, r + 1] (r = 2: d is ignored;
 * r = 3), both of dtype t (float or double).
 */
void affine_grid(dtype_t t, int r, int64_t n, int64_t d, int64_t h, int64_t w, bool align_corners,
                 const void *theta, void *grid);

/* CPU implementation (affine_grid_cpu.c). */
status_t affine_grid_run(op_call_t *call, error_t *err);

#endif
