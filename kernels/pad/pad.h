/*
 * pad.h - Pad: grows (or, with negative pads, crops) each axis of a tensor
 * of any fixed-size dtype, filling with a constant, the edge values, a
 * reflection of the interior or (opset 19) the axis repeated periodically.
 */
#ifndef INFERD_PAD_H
#define INFERD_PAD_H

#include "op.h"

typedef enum pad_mode {
    PAD_CONSTANT,
    PAD_REFLECT,
    PAD_EDGE,
    PAD_WRAP,
} pad_mode_t;

typedef struct pad_params {
    pad_mode_t mode;
    bool from_inputs;                  /* opset 11+: pads and constant_value are inputs 1 and 2 */
    bool axes_input;                   /* opset 18+: input 3 lists the axes the pads apply to */
    int64_t pads[2 * TENSOR_MAX_RANK]; /* [x1_begin, x2_begin, ..., x1_end, x2_end, ...] */
    int pads_count;
    float value; /* before opset 11 */
} pad_params_t;

extern const op_kernel_t pad_kernel;

/* Reads the pads (attribute or input 1) and checks them against the input (pad_proto.c). */
status_t pad_resolve(const op_call_t *call, int64_t *pads, error_t *err);

/* CPU implementation (pad_cpu.c). */
status_t pad_run(op_call_t *call, error_t *err);

/* Workspace bytes pad_bytes needs for an output of this shape. */
size_t pad_workspace_size(int rank, const int64_t *out_dims);

/*
 * Pads src (rank, dims) into dst by pads (ONNX order; negative ones crop
 * first). value is one element for PAD_CONSTANT. workspace holds
 * pad_workspace_size() bytes.
 */
void pad_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
               const int64_t *pads, pad_mode_t mode, const void *value, void *workspace);

#endif
