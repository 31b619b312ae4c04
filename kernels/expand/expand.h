/* expand.h - Expand: broadcasts a tensor of any fixed-size dtype to a shape. */
#ifndef INFERD_EXPAND_H
#define INFERD_EXPAND_H

#include "op.h"

extern const op_kernel_t expand_kernel;

/* CPU implementation (expand_cpu.c). */
status_t expand_run(op_call_t *call, error_t *err);

#endif
