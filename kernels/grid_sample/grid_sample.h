/*
 * grid_sample.h - GridSample: samples X [N, C, D1, ..., Dr] at the
 * normalised coordinates of grid [N, O1, ..., Or, r] (component 0 indexes
 * the last spatial dim, as x does in 2-D), giving [N, C, O1, ..., Or].
 * Coordinates in [-1, 1] span the input's corner pixels' centres
 * (align_corners) or their outer edges. Modes: nearest (round half to
 * even), linear (multilinear over 2^r neighbours) and cubic (bicubic,
 * 2-D only, A = -0.75); padding: zeros, border (clamp) or reflection,
 * following PyTorch's grid_sample, which the ONNX spec describes.
 */
#ifndef INFERD_GRID_SAMPLE_H
#define INFERD_GRID_SAMPLE_H

#include "op.h"

/* Spatial dims the sampler handles (opset 16 is 2-D only; 20 allows N-D). */
#define GRID_SAMPLE_MAX_SPATIAL 3

typedef enum grid_sample_mode {
    GRID_SAMPLE_LINEAR = 0,
    GRID_SAMPLE_NEAREST,
    GRID_SAMPLE_CUBIC,
} grid_sample_mode_t;

typedef enum grid_sample_padding {
    GRID_SAMPLE_ZEROS = 0,
    GRID_SAMPLE_BORDER,
    GRID_SAMPLE_REFLECTION,
} grid_sample_padding_t;

typedef struct grid_sample_params {
    grid_sample_mode_t mode;
    grid_sample_padding_t padding;
    bool align_corners;
    bool nd; /* opset 20: any number of spatial dims */
} grid_sample_params_t;

extern const op_kernel_t grid_sample_kernel;

/* The shapes of one call: r spatial dims in and out. */
typedef struct grid_sample_shape {
    int r;
    int64_t n, c;
    int64_t in[GRID_SAMPLE_MAX_SPATIAL], out[GRID_SAMPLE_MAX_SPATIAL];
} grid_sample_shape_t;

/*
 * y = X sampled at grid; x and y of dtype t (T1: any), grid of grid_type
 * (T2: float or double, independent of T1 as the spec's constraints say).
 */
void grid_sample(const grid_sample_params_t *p, const grid_sample_shape_t *s, dtype_t t,
                 const void *x, dtype_t grid_type, const void *grid, void *y);

/* CPU implementation (grid_sample_cpu.c). */
status_t grid_sample_run(op_call_t *call, error_t *err);

#endif
