/*
 * center_crop_pad.h - CenterCropPad (opset 18): each listed axis of a
 * tensor of any fixed-size dtype becomes the size the shape input gives,
 * cropped or zero-padded around its centre. When the difference is odd the
 * extra element is cropped, or padded, at the end, as the spec's function
 * body does it (start = floor(difference / 2)).
 */
#ifndef INFERD_CENTER_CROP_PAD_H
#define INFERD_CENTER_CROP_PAD_H

#include "op.h"

typedef struct center_crop_pad_params {
    int n_axes; /* -1: the attribute is absent and shape lists every axis */
    int64_t axes[TENSOR_MAX_RANK];
} center_crop_pad_params_t;

extern const op_kernel_t center_crop_pad_kernel;

/*
 * Pads (ONNX Pad order: begins, then ends; negative ones crop) that take an
 * axis of size in to size out, centred; pads holds 2 * rank values.
 */
void center_crop_pad_pads(int rank, const int64_t *in, const int64_t *out, int64_t *pads);

/* CPU implementation (center_crop_pad_cpu.c). */
status_t center_crop_pad_run(op_call_t *call, error_t *err);

#endif
