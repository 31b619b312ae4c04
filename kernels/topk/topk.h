/*
 * topk.h - TopK: the k largest (or smallest) elements along an axis and
 * their indices. Equal elements keep their index order, as the spec asks.
 * k is an attribute (opset 1) or an input whose value the prototype needs
 * (opset 10 on); one computed while running plans the rest of the graph
 * once it is known (engine/segment.h).
 */
#ifndef INFERD_TOPK_H
#define INFERD_TOPK_H

#include "op.h"

typedef struct topk_params {
    int64_t axis;
    int64_t k;    /* opset 1; -1 when k is input 1 */
    bool largest; /* opset 11 on; true before */
    bool sorted;  /* opset 11 on; true before. Results are always sorted. */
} topk_params_t;

extern const op_kernel_t topk_kernel;
extern const op_kernel_t topk_input_kernel;

/* CPU implementation (topk_cpu.c). */
status_t topk_run(op_call_t *call, error_t *err);

#endif
