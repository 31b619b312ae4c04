/*
 * attention.h - inferd.Attention, an internal op (no ONNX adapter; created
 * by engine/fuse_attention.c from MatMul, scale, mask Add, Softmax, MatMul):
 *
 *   Y = softmax(scale * Q x Kt + mask) x V, the softmax over the last axis
 *
 * with Q [..., S, D], Kt [..., D, T], V [..., T, Dv] and an optional mask
 * broadcasting to the scores [..., S, T]; the batch dims follow MatMul's
 * broadcasting (or the interleaved-heads layout below). Each thread
 * computes one S x T score block of one batch entry (one head) at a time in
 * its workspace slot, so the scores are written once and read while still
 * in cache; they never reach the arena. Both products run on the packed-B
 * GEMM, with K and V packed into the slot per head.
 */
#ifndef INFERD_ATTENTION_H
#define INFERD_ATTENTION_H

#include "op.h"
#include "matmul/matmul.h"

typedef struct attention_params {
    float scale;
    /*
     * Heads interleaved, as the projections produce them: Q [B, S, H, D],
     * K [B, T, H, D] (not transposed), V [B, T, H, Dv] and Y [B, S, H, Dv],
     * each B and H broadcasting; the transposes around attention vanish.
     */
    bool interleaved;
} attention_params_t;

/* Where one operand's matrix for a batch entry starts and how its rows are spaced. */
typedef struct attention_operand {
    int64_t strides[TENSOR_MAX_RANK]; /* elements per step of each batch dim; 0: broadcast */
    int64_t ld;                       /* elements between rows */
} attention_operand_t;

/* The problem, from the prototype's shapes, shared with run. */
typedef struct attention_shape {
    int batch_rank; /* the scores' batch dims: [..., S, T] */
    int64_t batch_dims[TENSOR_MAX_RANK];
    int64_t batch_count;
    int64_t s, t, d, dv;
    attention_operand_t q, k, v, y;
    bool k_trans; /* K is stored [T, D] (interleaved), else Kt [D, T] */
    /* The mask over the scores' dims [batch..., S, T]; 0 where it broadcasts. */
    int64_t mask_strides[TENSOR_MAX_RANK];
    int out_rank;
    int64_t out_dims[TENSOR_MAX_RANK];
} attention_shape_t;

extern const op_kernel_t attention_kernel;
extern const op_schema_t attention_schema;

/* Fills *s for the call's inputs; false with *why set when they do not fit together. */
bool attention_shape(const op_call_t *call, attention_shape_t *s, const char **why);

/* Alignment of each thread's workspace slot and of the parts inside it. */
#define ATTENTION_ALIGN 64

/*
 * Workspace one thread needs: its score block, packed K and V, and the S
 * rows' softmax scales (attention_cpu.c).
 */
size_t attention_slot_bytes(const attention_shape_t *s);

status_t attention_run(op_call_t *call, error_t *err);

#endif
