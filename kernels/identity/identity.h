/* identity.h - Identity and inference-mode Dropout: the output is the input. */
#ifndef INFERD_IDENTITY_H
#define INFERD_IDENTITY_H

#include "op.h"

typedef struct dropout_params {
    float ratio;
    bool legacy_mask; /* before opset 10 the mask has the input's dtype, not bool */
} dropout_params_t;

extern const op_kernel_t identity_kernel;
extern const op_kernel_t dropout_kernel;

/* CPU implementations (identity_cpu.c). */
status_t identity_run(op_call_t *call, error_t *err);
status_t dropout_run(op_call_t *call, error_t *err);

#endif
