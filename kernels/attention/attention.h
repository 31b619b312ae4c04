/*
 * attention.h - inferd.Attention, an internal op (no ONNX adapter; created
 * by engine/fuse_attention.c from MatMul, scale, mask Add, Softmax, MatMul):
 *
 *   Y = softmax(scale * Q x Kt + mask) x V, the softmax over the last axis
 *
 * with Q [..., S, D], Kt [..., D, T], V [..., T, Dv] and an optional mask
 * broadcasting to the scores [..., S, T]; the batch dims follow MatMul's
 * broadcasting. Each thread computes one S x T score block of one batch
 * entry (one head) at a time in its workspace slice, so the scores are
 * written once and read while still in cache; they never reach the arena.
 */
#ifndef INFERD_ATTENTION_H
#define INFERD_ATTENTION_H

#include "op.h"
#include "matmul/matmul.h"

typedef struct attention_params {
    float scale;
} attention_params_t;

/* Where the operands of one problem live: shapes from the prototype, shared with run. */
typedef struct attention_shape {
    matmul_shape_t scores;                 /* Q x Kt */
    matmul_shape_t values;                 /* scores x V */
    int64_t mask_strides[TENSOR_MAX_RANK]; /* over the scores' dims; 0 where it broadcasts */
} attention_shape_t;

extern const op_kernel_t attention_kernel;
extern const op_schema_t attention_schema;

/* Fills *s for the call's inputs; false with *why set when they do not fit together. */
bool attention_shape(const op_call_t *call, attention_shape_t *s, const char **why);

status_t attention_run(op_call_t *call, error_t *err);

#endif
