/*
 * gemm.h - single-precision C = epilogue(A x B) with B packed once.
 *
 * The weights of MatMul, Gemm and convolution are constant, so B is laid
 * out once, at pack time, in the panel order the micro-kernel streams; a
 * run then only touches A, the packed B and C. A is either a dense
 * row-major matrix or rows produced on demand by a gather callback (a
 * convolution's patches, read straight from NHWC activations, so no im2col
 * buffer is ever materialised). The epilogue (bias, residual, activation)
 * is applied to each tile of C while it is still in cache.
 *
 * Life cycle: gemm_b_pack (once, model owns the result) -> gemm_workspace_bytes
 * (per plan) -> gemm_run (per inference, any number of threads).
 */
#ifndef INFERD_GEMM_H
#define INFERD_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"
#include "status.h"

/* Largest m, n or k; index products stay far inside int64. */
#define GEMM_MAX_DIM ((int64_t)1 << 31)

typedef struct gemm_b gemm_b_t;

/*
 * Rows [row0, row0 + rows) and columns [k0, k0 + kc) of a virtual A,
 * written row-major into dst with row stride kc. Called from inside
 * gemm_run, possibly from several threads at once on disjoint rows.
 */
typedef void (*gemm_gather_fn)(const void *ctx, int64_t row0, int64_t rows, int64_t k0, int64_t kc,
                               float *dst);

/* A [m, k]: dense (gather NULL: data with row stride lda) or gathered. */
typedef struct gemm_a {
    const float *data;
    int64_t lda;
    gemm_gather_fn gather;
    const void *gather_ctx;
} gemm_a_t;

typedef enum gemm_activation {
    GEMM_ACT_NONE = 0,
    GEMM_ACT_RELU,
    GEMM_ACT_CLIP, /* clamp to [clip_min, clip_max] */
    GEMM_ACT_GELU, /* x * (1 + erf(x / sqrt 2)) / 2 */
} gemm_activation_t;

/*
 * C = act(A x B + bias + residual). bias ([n]) and residual ([m, n], row
 * stride ld_residual) may be NULL; residual may alias C exactly (same
 * pointer and stride), never partially.
 */
typedef struct gemm_epilogue {
    const float *bias;
    const float *residual;
    int64_t ld_residual;
    gemm_activation_t act;
    float clip_min, clip_max;
} gemm_epilogue_t;

/*
 * Packs B [k, n] once: element (p, j) is b[p * ldb + j], or b[j * ldb + p]
 * when transposed (B given as [n, k], as ONNX Gemm's transB and a
 * convolution's OIHW weights). B is only read. The caller owns *out and
 * frees it with gemm_b_free.
 */
status_t gemm_b_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                     gemm_b_t **out, error_t *err);

/*
 * Told how many leading bytes of the source B a pack has finished reading:
 * called with non-decreasing counts as packing goes, so a caller that
 * frees the source afterwards can give its pages back early.
 */
typedef void (*gemm_progress_fn)(void *ctx, size_t bytes_read);

/* gemm_b_pack reporting its progress through progress (may be NULL). */
status_t gemm_b_pack_progress(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                              gemm_progress_fn progress, void *progress_ctx, gemm_b_t **out,
                              error_t *err);

/*
 * gemm_b_pack_progress for a float16 or bfloat16 B (dtype): the panels
 * keep its 16-bit elements, half the bytes of a float B, and gemm_run
 * widens them one K block at a time into its workspace (so a half B always
 * needs one: see gemm_workspace_bytes). Progress counts bytes of b.
 */
status_t gemm_b_pack_half(const uint16_t *b, dtype_t dtype, int64_t ldb, bool transposed, int64_t k,
                          int64_t n, gemm_progress_fn progress, void *progress_ctx, gemm_b_t **out,
                          error_t *err);

/* Bytes gemm_b_pack_into needs for a [k, n] B, its handle included. */
size_t gemm_b_pack_size(int64_t k, int64_t n);

/*
 * gemm_b_pack into caller memory, for operands known only at run time
 * (attention's K and V, packed into a workspace): mem holds
 * gemm_b_pack_size(k, n) bytes and is 64-byte aligned. The returned handle
 * lives in mem, is valid while mem is, and is never passed to gemm_b_free.
 * Allocates nothing.
 */
gemm_b_t *gemm_b_pack_into(void *mem, const float *b, int64_t ldb, bool transposed, int64_t k,
                           int64_t n);

/*
 * Columns per panel of a packed B: it is ceil(n / GEMM_B_PANEL) panels,
 * each k rows of GEMM_B_PANEL floats, the columns past n zero. Exposed so
 * an operand derived from another one row by row (a convolution's Winograd
 * transforms, from its packed taps) can be written in place, panel by
 * panel, without a dense copy in between.
 */
#define GEMM_B_PANEL 16

int64_t gemm_b_panels(const gemm_b_t *b);
/* Panel p of b, k rows of GEMM_B_PANEL floats; 0 <= p < gemm_b_panels(b); b is a float B. */
const float *gemm_b_panel(const gemm_b_t *b, int64_t p);

/* DTYPE_FLOAT, or the half type of a gemm_b_pack_half operand. */
dtype_t gemm_b_dtype(const gemm_b_t *b);
/* Panel p of a half b, k rows of GEMM_B_PANEL 16-bit elements. */
const uint16_t *gemm_b_half_panel(const gemm_b_t *b, int64_t p);

/*
 * An unfilled [k, n] packed B laid out in mem (gemm_b_pack_size(k, n)
 * bytes, 64-byte aligned): the caller writes every float of every panel
 * through gemm_b_panel_mut, zero past column n, before gemm_run reads it.
 * The handle lives in mem, as with gemm_b_pack_into.
 */
gemm_b_t *gemm_b_layout_into(void *mem, int64_t k, int64_t n);
float *gemm_b_panel_mut(gemm_b_t *b, int64_t p);

/* Frees a packed B; NULL is a no-op. */
void gemm_b_free(gemm_b_t *b);

int64_t gemm_b_k(const gemm_b_t *b);
int64_t gemm_b_n(const gemm_b_t *b);

/* Bytes the packed B holds (for the model's memory report). */
size_t gemm_b_bytes(const gemm_b_t *b);

/*
 * Scratch gemm_run needs for m rows on up to threads threads (a gathered
 * A's blocks, a half B's widened panels); 0 for a dense A and a float B.
 * The caller provides it, normally from the plan's arena.
 */
size_t gemm_workspace_bytes(const gemm_a_t *a, int64_t m, const gemm_b_t *b, int threads);

/*
 * C [m, n] (row stride ldc) = epilogue(A [m, k] x B), on up to threads
 * OpenMP threads. workspace holds gemm_workspace_bytes for the same
 * arguments (may be NULL when that is 0), 64-byte aligned for a half B (the
 * kernels load its widened panels aligned). Nothing is allocated.
 */
void gemm_run(const gemm_a_t *a, int64_t m, const gemm_b_t *b, float *c, int64_t ldc,
              const gemm_epilogue_t *epilogue, void *workspace, int threads);

/* The instruction set of the micro-kernel gemm_run runs on ("avx512", "avx2", "generic"). */
const char *gemm_isa_name(void);

#endif
