/*
 * layout.h - reorders between the ONNX activation layout NCHW and the
 * channels-last layout NHWC the engine keeps inside convolution regions
 * (engine/layout.c). Not an ONNX op: the engine inserts these nodes, with
 * the schemas below, at the edges of channels-last regions.
 *
 * A channels-last value is an ordinary tensor whose dims are [N, H, W, C]:
 * shape inference, folding and the memory plan treat it like any other.
 */
#ifndef INFERD_LAYOUT_H
#define INFERD_LAYOUT_H

#include "op.h"

/* Node op types the engine gives the reorders (shown in error messages). */
#define LAYOUT_TO_NHWC_OP "ReorderToNHWC"
#define LAYOUT_TO_NCHW_OP "ReorderToNCHW"

extern const op_kernel_t layout_to_nhwc_kernel;
extern const op_kernel_t layout_to_nchw_kernel;
extern const op_schema_t layout_to_nhwc_schema;
extern const op_schema_t layout_to_nchw_schema;

/*
 * dst[n][j][i] = src[n][i][j] for n < batch, i < rows, j < cols: NCHW ->
 * NHWC is rows = C, cols = H * W; NHWC -> NCHW is rows = H * W, cols = C.
 * Splits the work over up to threads OpenMP threads (layout_cpu.c).
 */
/* The same on bytes ([batch][rows][cols] -> [batch][cols][rows]), for 8-bit tensors. */
void layout_transpose_u8(int64_t batch, int64_t rows, int64_t cols, const uint8_t *src,
                         uint8_t *dst, int threads);

void layout_transpose_f32(int64_t batch, int64_t rows, int64_t cols, const float *src, float *dst,
                          int threads);

/* CPU implementations (layout_cpu.c). */
status_t layout_to_nhwc_run(op_call_t *call, error_t *err);
status_t layout_to_nchw_run(op_call_t *call, error_t *err);

#endif
