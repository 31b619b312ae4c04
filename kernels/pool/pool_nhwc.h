/*
 * pool_nhwc.h - MaxPool, AveragePool and GlobalAveragePool on channels-last
 * [N, H, W, C] float tensors (MaxPool on 8-bit ones too). Not ONNX ops: engine/layout.c gives a
 * pooling node inside a channels-last region these schemas. Params and window geometry are the ONNX
 * ops' (pool.h); only the memory order differs, so every output position reduces whole channel
 * vectors.
 */
#ifndef INFERD_POOL_NHWC_H
#define INFERD_POOL_NHWC_H

#include "pool.h"

#define MAX_POOL_NHWC_OP            "MaxPoolNHWC"
#define AVERAGE_POOL_NHWC_OP        "AveragePoolNHWC"
#define GLOBAL_AVERAGE_POOL_NHWC_OP "GlobalAveragePoolNHWC"

extern const op_schema_t max_pool_nhwc_schema;
extern const op_schema_t average_pool_nhwc_schema;
extern const op_schema_t global_average_pool_nhwc_schema;

/*
 * The NCHW window of a call on an NHWC input (pool_resolve on the permuted
 * shape); out gets the NHWC output shape (pool_nhwc_proto.c).
 */
status_t pool_nhwc_resolve(const op_call_t *call, pool_window_t *w, tensor_t *out, error_t *err);

/*
 * Framework-free kernels (pool_nhwc.c): x is [batch][in rows][in cols][c],
 * y is [batch][out rows][out cols][c]; spans from pool_spans. Rows of the
 * output are split over threads OpenMP threads.
 */
void pool_max_nhwc_f32(const pool_window_t *w, const pool_span_t *spans, int64_t batch, int64_t c,
                       const float *x, float *y, int threads);
void pool_average_nhwc_f32(const pool_window_t *w, const pool_span_t *spans, int64_t batch,
                           int64_t c, bool count_include_pad, const float *x, float *y,
                           int threads);
void pool_global_average_nhwc_f32(int64_t batch, int64_t size, int64_t c, const float *x, float *y);

/*
 * One output row of the float max pool: xn is the row's image, yr the
 * row's w->out[2] outputs of c channels, sh its row span and sw0 the
 * column spans (pool_max_nhwc_simd.c). Bit for bit the plain C loop's
 * result; call only where cpu_isa() reaches the variant's level.
 */
void pool_max_nhwc_row_avx512(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                              int64_t c, const float *xn, float *yr);
void pool_max_nhwc_row_avx2(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                            int64_t c, const float *xn, float *yr);

/*
 * The 8-bit max pool (int8 with is_signed, else uint8), and its rows on
 * AVX2 and AVX-512 (BW), as the float ones.
 */
void pool_max_nhwc_8(const pool_window_t *w, const pool_span_t *spans, int64_t batch, int64_t c,
                     bool is_signed, const uint8_t *x, uint8_t *y, int threads);
void pool_max_nhwc_row_8_avx512(const pool_window_t *w, const pool_span_t *sh,
                                const pool_span_t *sw0, int64_t c, bool is_signed,
                                const uint8_t *xn, uint8_t *yr);
void pool_max_nhwc_row_8_avx2(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                              int64_t c, bool is_signed, const uint8_t *xn, uint8_t *yr);

/* CPU implementations (pool_nhwc.c). */
status_t max_pool_nhwc_run(op_call_t *call, error_t *err);
status_t average_pool_nhwc_run(op_call_t *call, error_t *err);
status_t global_average_pool_nhwc_run(op_call_t *call, error_t *err);

#endif
