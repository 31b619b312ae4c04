/*
 * conv.h - Conv and ConvTranspose on float and double tensors in NCHW layout (NCW and
 * NCDHW too): im2col/col2im around cblas_sgemm.
 *
 * The geometry of a convolution is always held as 3-D (depth, height,
 * width); 1-D and 2-D convolutions get leading spatial dims of size 1, so the
 * framework-free functions below have one loop nest for every rank.
 */
#ifndef INFERD_CONV_H
#define INFERD_CONV_H

#include "op.h"
#include "window.h"

/* Spatial dims the kernels compute; more is valid ONNX but unsupported. */
#define CONV_MAX_SPATIAL 3

/* Attribute lists keep their ONNX length; n_* is -1 when absent. */
typedef struct conv_params {
    window_auto_pad_t auto_pad;
    int64_t group;
    int n_kernel_shape, n_strides, n_dilations, n_pads;
    int64_t kernel_shape[WINDOW_MAX_ATTR_DIMS];
    int64_t strides[WINDOW_MAX_ATTR_DIMS];
    int64_t dilations[WINDOW_MAX_ATTR_DIMS];
    int64_t pads[2 * WINDOW_MAX_ATTR_DIMS];
    /* ConvTranspose only. output_shape may include the N and C dims. */
    int n_output_padding, n_output_shape;
    int64_t output_padding[WINDOW_MAX_ATTR_DIMS];
    int64_t output_shape[WINDOW_MAX_ATTR_DIMS];
} conv_params_t;

/*
 * The sliding window between an image and its columns, 3-D. For Conv the
 * image is the input and the columns are the output positions; for
 * ConvTranspose the image is the output and the columns are the input
 * positions. Image index = col * stride - pad + tap * dilation.
 */
typedef struct conv_window {
    int64_t image[CONV_MAX_SPATIAL];
    int64_t cols[CONV_MAX_SPATIAL];
    int64_t kernel[CONV_MAX_SPATIAL];
    int64_t stride[CONV_MAX_SPATIAL];
    int64_t dilation[CONV_MAX_SPATIAL];
    int64_t pad[CONV_MAX_SPATIAL]; /* leading pad; the trailing one follows from the sizes */
} conv_window_t;

typedef struct conv_geom {
    int64_t batch;
    int64_t in_channels;
    int64_t out_channels;
    int64_t group;
    conv_window_t win;
} conv_geom_t;

extern const op_kernel_t conv_kernel;
extern const op_kernel_t conv_transpose_kernel;

/*
 * Validates the call's shapes against params and fills the geometry and the
 * output shape (prototype, conv_proto.c). Shared by infer and run.
 */
status_t conv_resolve(const op_call_t *call, bool transpose, conv_geom_t *g, tensor_t *out,
                      error_t *err);

/*
 * Reads Conv's attributes (auto_pad, group, kernel_shape, strides,
 * dilations, pads) into p (conv_onnx.c); ConvInteger and QLinearConv share it.
 */
status_t conv_adapt_attrs(const op_adapt_t *a, conv_params_t *p, error_t *err);

/* Framework-free kernels (conv_im2col.c, conv_f32.c). */
int64_t conv_window_kernel_size(const conv_window_t *w);
int64_t conv_window_image_size(const conv_window_t *w);
int64_t conv_window_cols_size(const conv_window_t *w);
/* True when the columns are the image itself: 1x1 taps, stride 1, no padding. */
bool conv_window_is_pointwise(const conv_window_t *w);
/* Columns [*lo, *hi) of a row of n whose image index col * stride + offset is in [0, size). */
void conv_valid_cols(int64_t offset, int64_t stride, int64_t size, int64_t n, int64_t *lo,
                     int64_t *hi);
/* col[channels * K][P] from image[channels][image size]; padding reads as 0. */
void conv_im2col(const conv_window_t *w, int64_t channels, const float *image, float *col);
/* Adds col[channels * K][P] into image[channels][image size]; padding taps are dropped. */
void conv_col2im(const conv_window_t *w, int64_t channels, const float *col, float *image);

/* True for one input and one output channel per group: conv_f32 runs it directly. */
bool conv_is_depthwise(const conv_geom_t *g);
/* y = depthwise conv(x, w) + b, no scratch (conv_depthwise.c). */
void conv_depthwise_f32(const conv_geom_t *g, const float *x, const float *w, const float *b,
                        float *y);
/* Floats of scratch conv_f32 / conv_transpose_f32 need. */
int64_t conv_f32_workspace(const conv_geom_t *g);
int64_t conv_transpose_f32_workspace(const conv_geom_t *g);
/* y = conv(x, w) + b; b may be NULL. col holds conv_f32_workspace floats. */
void conv_f32(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y,
              float *col);
void conv_transpose_f32(const conv_geom_t *g, const float *x, const float *w, const float *b,
                        float *y, float *col);
/* The same in double (conv_f64.c): always im2col + cblas_dgemm. Workspaces in doubles. */
int64_t conv_f64_workspace(const conv_geom_t *g);
int64_t conv_transpose_f64_workspace(const conv_geom_t *g);
void conv_f64(const conv_geom_t *g, const double *x, const double *w, const double *b, double *y,
              double *col);
void conv_transpose_f64(const conv_geom_t *g, const double *x, const double *w, const double *b,
                        double *y, double *col);

/* CPU implementations (conv_cpu.c). */
status_t conv_run(op_call_t *call, error_t *err);
status_t conv_transpose_run(op_call_t *call, error_t *err);

#endif
