/*
 * gemm_bf16.h - C = epilogue(A x B) in the bf16 precision mode: B packed
 * once to bfloat16 in oneDNN's blocked format, A (float) narrowed to bf16
 * per run, the products accumulated in float32 by oneDNN's matmul primitive
 * (vdpbf16ps on AVX512_BF16). Kept apart from gemm.c, whose float32 GEMM
 * it does not touch.
 *
 * Life cycle: gemm_bf16_pack (once per model; the model owns the result)
 * -> gemm_bf16_prepare (once per plan, for its row count and threads; the
 * plan owns the result) -> gemm_bf16_run (per inference).
 */
#ifndef INFERD_GEMM_BF16_H
#define INFERD_GEMM_BF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemm.h"
#include "status.h"

typedef struct gemm_bf16_b gemm_bf16_b_t;
typedef struct gemm_bf16_plan gemm_bf16_plan_t;

/*
 * Packs B [k, n] (element (p, j) at b[p * ldb + j], or b[j * ldb + p] when
 * transposed) to bf16. Fails with STATUS_UNSUPPORTED when oneDNN has
 * nothing but reference code for a bf16 product of this size (the caller
 * then stays float32). B is only read; the caller owns *out.
 */
status_t gemm_bf16_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                        gemm_bf16_b_t **out, error_t *err);
void gemm_bf16_free(gemm_bf16_b_t *b);
int64_t gemm_bf16_k(const gemm_bf16_b_t *b);
int64_t gemm_bf16_n(const gemm_bf16_b_t *b);

/*
 * The epilogue a plan's primitive applies, fixed per plan: a float bias
 * [n], accumulation onto C's previous values (sum: C holds the residual
 * when gemm_bf16_run starts) and then the activation.
 */
typedef struct gemm_bf16_epilogue {
    bool bias;
    bool sum;
    gemm_activation_t act;
    float clip_min, clip_max;
} gemm_bf16_epilogue_t;

/*
 * The primitive for m rows of A on threads threads. Fails with
 * STATUS_UNSUPPORTED when only oneDNN's reference code would run it (never
 * run silently). *workspace (raised, never lowered) is the scratch
 * gemm_bf16_run needs. The caller owns *out and frees it with
 * gemm_bf16_plan_free before b.
 */
status_t gemm_bf16_prepare(const gemm_bf16_b_t *b, int64_t m, const gemm_bf16_epilogue_t *ep,
                           int threads, gemm_bf16_plan_t **out, size_t *workspace, error_t *err);
void gemm_bf16_plan_free(gemm_bf16_plan_t *plan);

/* The rows of A the plan was made for. */
int64_t gemm_bf16_plan_rows(const gemm_bf16_plan_t *plan);

/* oneDNN's name for the plan's implementation. */
const char *gemm_bf16_plan_impl(const gemm_bf16_plan_t *plan);

/*
 * C [m, n] (dense, row stride n) = epilogue(A [m, k] (dense, row stride k)
 * x B), bias NULL unless the plan has one. workspace holds the bytes
 * gemm_bf16_prepare asked for, 64-byte aligned.
 */
status_t gemm_bf16_run(const gemm_bf16_plan_t *plan, const float *a, const float *bias, float *c,
                       void *workspace, int threads, error_t *err);

#endif
