/*
 * pool.h - MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool on NCHW
 * tensors (NCW and NCDHW too).
 *
 * As in conv/, windows are held as 3-D with leading spatial dims of size 1
 * for 1-D and 2-D pooling, so each kernel has a single loop nest.
 */
#ifndef INFERD_POOL_H
#define INFERD_POOL_H

#include "op.h"
#include "window.h"

/* Spatial dims the kernels compute; more is valid ONNX but unsupported. */
#define POOL_MAX_SPATIAL 3

/* Attribute lists keep their ONNX length; n_* is -1 when absent. */
typedef struct pool_params {
    window_auto_pad_t auto_pad;
    bool ceil_mode;
    bool count_include_pad; /* AveragePool */
    bool column_major;      /* MaxPool storage_order = 1: Indices count down columns first */
    int n_kernel_shape, n_strides, n_dilations, n_pads;
    int64_t kernel_shape[WINDOW_MAX_ATTR_DIMS];
    int64_t strides[WINDOW_MAX_ATTR_DIMS];
    int64_t dilations[WINDOW_MAX_ATTR_DIMS];
    int64_t pads[2 * WINDOW_MAX_ATTR_DIMS];
} pool_params_t;

/* Input index of tap k along an axis: out * stride - pad_begin + k * dilation. */
typedef struct pool_window {
    int64_t in[POOL_MAX_SPATIAL];
    int64_t out[POOL_MAX_SPATIAL];
    int64_t kernel[POOL_MAX_SPATIAL];
    int64_t stride[POOL_MAX_SPATIAL];
    int64_t dilation[POOL_MAX_SPATIAL];
    int64_t pad_begin[POOL_MAX_SPATIAL];
    int64_t pad_end[POOL_MAX_SPATIAL];
} pool_window_t;

/*
 * One output position along one axis: the input index of tap 0, the taps
 * [first, end) that land inside the input, and how many taps land inside
 * the padded input (the count_include_pad divisor).
 */
typedef struct pool_span {
    int64_t start;
    int64_t first, end;
    int64_t padded;
} pool_span_t;

extern const op_kernel_t max_pool_kernel;
extern const op_kernel_t average_pool_kernel;
extern const op_kernel_t global_max_pool_kernel;
extern const op_kernel_t global_average_pool_kernel;

/*
 * Validates the call against params and fills the window, the number of
 * (N, C) planes and the output shape (prototype, pool_proto.c).
 */
status_t pool_resolve(const op_call_t *call, pool_window_t *w, int64_t *planes, tensor_t *out,
                      error_t *err);

/* Framework-free kernels (pool_window.c, pool_f32.c). */
int64_t pool_spans_count(const pool_window_t *w);
/* Fills out[0] + out[1] + out[2] spans, axis by axis. */
void pool_spans(const pool_window_t *w, pool_span_t *spans);
/*
 * Output columns [*lo, *hi) whose column tap kw lands inside the input row,
 * and the input column of the first of them (meaningful when *lo < *hi).
 */
void pool_tap_columns(const pool_window_t *w, int64_t kw, int64_t *lo, int64_t *hi,
                      int64_t *first_index);
/*
 * y[planes][out] = window maxima of x[planes][in]. indices, if not NULL,
 * gets each maximum's flat index into x (row-major, or column-major within a
 * plane when column_major is set); the first maximum wins ties.
 */
void pool_max_f32(const pool_window_t *w, const pool_span_t *spans, int64_t planes, const float *x,
                  float *y, int64_t *indices, bool column_major);
void pool_max_u8(const pool_window_t *w, const pool_span_t *spans, int64_t planes, const uint8_t *x,
                 uint8_t *y, int64_t *indices, bool column_major);
void pool_max_i8(const pool_window_t *w, const pool_span_t *spans, int64_t planes, const int8_t *x,
                 int8_t *y, int64_t *indices, bool column_major);
void pool_average_f32(const pool_window_t *w, const pool_span_t *spans, int64_t planes,
                      bool count_include_pad, const float *x, float *y);
void pool_global_max_f32(int64_t planes, int64_t size, const float *x, float *y);
void pool_global_average_f32(int64_t planes, int64_t size, const float *x, float *y);
/* The same on double (plain instances of the same loops). */
void pool_max_f64(const pool_window_t *w, const pool_span_t *spans, int64_t planes, const double *x,
                  double *y, int64_t *indices, bool column_major);
void pool_average_f64(const pool_window_t *w, const pool_span_t *spans, int64_t planes,
                      bool count_include_pad, const double *x, double *y);
void pool_global_max_f64(int64_t planes, int64_t size, const double *x, double *y);
void pool_global_average_f64(int64_t planes, int64_t size, const double *x, double *y);

/* CPU implementations (pool_cpu.c). */
status_t max_pool_run(op_call_t *call, error_t *err);
status_t average_pool_run(op_call_t *call, error_t *err);
status_t global_max_pool_run(op_call_t *call, error_t *err);
status_t global_average_pool_run(op_call_t *call, error_t *err);

#endif
