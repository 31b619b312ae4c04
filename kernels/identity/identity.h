/*
 * identity.h - Identity and Dropout. Inference-mode Dropout (the default)
 * passes its input through and the engine removes it; with training_mode
 * true and a ratio above 0 it drops each element with that probability and
 * scales the others by 1 / (1 - ratio), drawing anew on every run unless
 * the seed attribute fixes the stream (kernels/random/random.h).
 */
#ifndef INFERD_IDENTITY_H
#define INFERD_IDENTITY_H

#include "op.h"

typedef struct dropout_params {
    float ratio;
    bool legacy_mask; /* before opset 10 the mask has the input's dtype, not bool */
    bool seeded;
    float seed;
} dropout_params_t;

extern const op_kernel_t identity_kernel;
extern const op_kernel_t dropout_kernel;

/* CPU implementations (identity_cpu.c). */
status_t identity_run(op_call_t *call, error_t *err);
status_t dropout_run(op_call_t *call, error_t *err);
/* Dropout's ratio input (T1: float or double) as a float. */
float dropout_ratio(const tensor_t *ratio);

#endif
