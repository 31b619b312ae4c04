/*
 * loss.h - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, the
 * default domain's inference-time losses, on input [N, C] or
 * [N, C, d1, ..., dk] with integer targets [N] or [N, d1, ..., dk]:
 *   loss[n][d] = -w[t] * logp[n][t][d]   with t = target[n][d]
 * where logp is the input (NLL) or its log-softmax over C (SCE), w the
 * optional class weights (else 1), and a target equal to ignore_index
 * contributes 0 with weight 0. Reduction none keeps the target's shape;
 * sum adds; mean divides the sum by the sum of the weights taken.
 */
#ifndef INFERD_LOSS_H
#define INFERD_LOSS_H

#include "op.h"

typedef enum loss_reduction {
    LOSS_NONE = 0,
    LOSS_SUM,
    LOSS_MEAN,
} loss_reduction_t;

typedef struct loss_params {
    loss_reduction_t reduction;
    bool has_ignore_index;
    int64_t ignore_index;
} loss_params_t;

extern const op_kernel_t nll_loss_kernel;
extern const op_kernel_t softmax_cross_entropy_kernel;

/* The geometry of one call: logp [n, c, d], target [n, d]. */
typedef struct loss_shape {
    int64_t n, c, d;
} loss_shape_t;

/*
 * NLL over logp (dtype t, float or double) and targets (int32 or int64
 * tensor data); weight (dtype t, [c]) may be NULL. With LOSS_NONE y holds
 * [n, d] losses, else one value. Returns -1, or the position of the first
 * target outside [0, c) that is not ignore_index (nothing is then written).
 */
int64_t loss_nll(dtype_t t, const loss_params_t *p, const loss_shape_t *s, const void *logp,
                 const tensor_t *target, const void *weight, void *y);

/* logp = log(softmax(x)) over c for x [n, c, d] of dtype t (float or double). */
void loss_log_softmax(dtype_t t, const loss_shape_t *s, const void *x, void *logp);

/* CPU implementations (loss_cpu.c). */
status_t nll_loss_run(op_call_t *call, error_t *err);
status_t softmax_cross_entropy_run(op_call_t *call, error_t *err);

#endif
