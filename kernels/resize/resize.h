/*
 * resize.h - Resize (opsets 10, 11, 13, 18, 19) and Upsample (opsets 7, 9).
 *
 * Every supported interpolation is separable, so an N-D resize is one 1-D
 * pass per axis whose size or sampling changes. Each pass reads a table with,
 * per output index, the input indices and weights of its taps (at most
 * RESIZE_MAX_TAPS, or with antialias a span of the axis's window); the
 * tables and the intermediate tensors live in the workspace.
 */
#ifndef INFERD_RESIZE_H
#define INFERD_RESIZE_H

#include "op.h"

/* Taps per output sample: 1 for nearest, 2 for linear, 4 for cubic. */
#define RESIZE_MAX_TAPS 4

typedef enum resize_mode {
    RESIZE_MODE_NEAREST,
    RESIZE_MODE_LINEAR,
    RESIZE_MODE_CUBIC,
} resize_mode_t;

typedef enum resize_coord {
    RESIZE_COORD_HALF_PIXEL,
    RESIZE_COORD_ASYMMETRIC,
    RESIZE_COORD_ALIGN_CORNERS,
    RESIZE_COORD_PYTORCH_HALF_PIXEL,
    RESIZE_COORD_TF_HALF_PIXEL_FOR_NN,
    RESIZE_COORD_TF_CROP_AND_RESIZE,
    RESIZE_COORD_HALF_PIXEL_SYMMETRIC, /* opset 19 */
} resize_coord_t;

/* Resize-18: how `sizes` on several axes is met. */
typedef enum resize_aspect {
    RESIZE_ASPECT_STRETCH,     /* each axis to its size */
    RESIZE_ASPECT_NOT_LARGER,  /* one scale, the smallest of sizes / input dims */
    RESIZE_ASPECT_NOT_SMALLER, /* one scale, the largest */
} resize_aspect_t;

typedef enum resize_nearest {
    RESIZE_NEAREST_ROUND_PREFER_FLOOR,
    RESIZE_NEAREST_ROUND_PREFER_CEIL,
    RESIZE_NEAREST_FLOOR,
    RESIZE_NEAREST_CEIL,
    /* Upsample and Resize-10: floor when enlarging an axis, ceil when shrinking it. */
    RESIZE_NEAREST_LEGACY,
} resize_nearest_t;

/* How samples are taken; everything but the sizes. */
typedef struct resize_config {
    resize_mode_t mode;
    resize_coord_t coord;
    resize_nearest_t nearest;
    float cubic_coeff_a;
    bool exclude_outside;
    float extrapolation_value;
    /*
     * Resize-18 antialias for linear and cubic: when shrinking an axis the
     * filter is stretched by 1 / scale, so each output averages every input
     * it covers (resize_axis_spans), not just 2 or 4 neighbours.
     */
    bool antialias;
} resize_config_t;

typedef struct resize_params {
    resize_config_t config;
    /* Formal input index of roi, scales and sizes, -1 where the form has none. */
    int roi_input, scales_input, sizes_input;
    /* Resize-18: the axes scales, sizes and roi name (n_axes <= 0: every axis, in order). */
    int n_axes;
    int64_t axes[TENSOR_MAX_RANK];
    resize_aspect_t aspect;
    /* Upsample before opset 9 carries its scales as an attribute; 0 otherwise. */
    int n_scales;
    float scales[TENSOR_MAX_RANK];
} resize_params_t;

/* One axis of a resize. */
typedef struct resize_axis {
    int64_t in, out;
    double scale;     /* out / in as the model states it (scales may not divide exactly) */
    double out_width; /* in * scale: the length the coordinate transforms divide by */
    double roi_start, roi_end;
    int64_t window; /* antialias: taps per output (resize_antialias_window), else 0 */
} resize_axis_t;

typedef struct resize_geom {
    int rank;
    size_t elem_size;
    resize_axis_t axis[TENSOR_MAX_RANK];
} resize_geom_t;

/* Where one output index along an axis reads from. */
typedef struct resize_sample {
    int64_t index[RESIZE_MAX_TAPS]; /* clamped into [0, in) */
    double weight[RESIZE_MAX_TAPS]; /* double for float64 data; float passes round them */
    bool outside; /* tf_crop_and_resize outside the input: the extrapolation value */
} resize_sample_t;

/*
 * Where one output index reads from with antialias: `count` consecutive
 * input indices from `first` (all inside the input), whose weights are
 * `count` of the axis's window-sized weight rows.
 */
typedef struct resize_span {
    int64_t first, count;
    bool outside; /* tf_crop_and_resize outside the input: the extrapolation value */
} resize_span_t;

extern const op_kernel_t upsample_attr_kernel;
extern const op_kernel_t upsample_kernel;
extern const op_kernel_t resize10_kernel;
extern const op_kernel_t resize11_kernel;
extern const op_kernel_t resize13_kernel; /* and 18, 19: same inputs */

/*
 * Validates the call (scales or sizes, roi, modes against the dtype) and
 * fills the geometry and the output shape (prototype, resize_proto.c).
 */
status_t resize_resolve(const op_call_t *call, resize_geom_t *g, tensor_t *out, error_t *err);

/* Framework-free kernels (resize_sample.c, resize_nd.c). */
int resize_taps(resize_mode_t mode);
/*
 * Fills a->out samples for one axis. Returns true when the axis maps every
 * output index to the same input index, so its pass can be skipped.
 */
bool resize_axis_samples(const resize_config_t *c, const resize_axis_t *a,
                         resize_sample_t *samples);
/* Taps per output of an antialiased axis: the stretched filter's support, both sides. */
int64_t resize_antialias_window(const resize_config_t *c, const resize_axis_t *a);
/*
 * Fills a->out spans and a->out rows of a->window weights for one
 * antialiased axis; returns true when the axis is an identity.
 */
bool resize_axis_spans(const resize_config_t *c, const resize_axis_t *a, resize_span_t *spans,
                       double *weights);
/* Bytes of workspace resize_nd needs. */
size_t resize_workspace(const resize_geom_t *g);
/*
 * y = resize(x). Nearest works on any element size (elem_size bytes, the
 * extrapolation value given in that type); linear and cubic on float and
 * double (elem_size 4 or 8), from the same sample tables.
 */
void resize_nd(const resize_config_t *c, const resize_geom_t *g, const void *extrapolation,
               const void *x, void *y, void *workspace);

/* CPU implementation (resize_cpu.c). */
status_t resize_run(op_call_t *call, error_t *err);

#endif
