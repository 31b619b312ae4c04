/*
 * matmul.h - MatMul (numpy matmul: 1-D promotion, broadcast batch dims) and
 * Gemm (Y = alpha * op(A) * op(B) + beta * C on 2-D operands).
 */
#ifndef INFERD_MATMUL_H
#define INFERD_MATMUL_H

#include "op.h"

/*
 * Largest M, N or K the kernels accept; sides stay within int so that
 * every index product in the integer kernels fits comfortably in int64.
 */
#define MATMUL_MAX_DIM INT_MAX

typedef struct gemm_params {
    float alpha;
    float beta;
    bool trans_a;
    bool trans_b;
    /* Before opset 7 C broadcasts only when the `broadcast` attribute says so. */
    bool c_exact_shape;
} gemm_params_t;

/*
 * How a MatMul maps onto a batch of 2-D products: Y[b] = A[a_off(b)] x B[b_off(b)]
 * with A[b] of [m, k], B[b] of [k, n]. Batch strides count whole matrices and
 * are 0 along a batch dim that operand broadcasts.
 */
typedef struct matmul_shape {
    int64_t m, k, n;
    int batch_rank;
    int64_t batch_dims[TENSOR_MAX_RANK];
    int64_t a_batch_strides[TENSOR_MAX_RANK];
    int64_t b_batch_strides[TENSOR_MAX_RANK];
    int64_t batch_count;   /* product of batch_dims */
    int64_t a_batch_count; /* matrices stored in A */
    int64_t b_batch_count; /* matrices stored in B */
    int out_rank;
    int64_t out_dims[TENSOR_MAX_RANK];
} matmul_shape_t;

/* Epilogues inferd.FusedMatMul applies after adding the bias. */
typedef enum matmul_act {
    MATMUL_ACT_NONE,
    MATMUL_ACT_GELU,
} matmul_act_t;

/*
 * inferd.FusedMatMul, an internal op engine/fuse_matmul.c creates (its
 * schema is not in the registry): Y = act(A x B + bias) with A [..., K],
 * B [K, N] and bias [N] (a 1-D A gives [N], as in MatMul); the bias and
 * the activation are applied while Y is hot.
 */
typedef struct fused_matmul_params {
    matmul_act_t act;
} fused_matmul_params_t;

extern const op_kernel_t matmul_kernel;
extern const op_kernel_t gemm_kernel;
extern const op_kernel_t fused_matmul_kernel;
extern const op_schema_t fused_matmul_schema;

/*
 * Fills *s from the operand shapes; false (with *why set to a short reason)
 * when they do not multiply. Shared by the prototype and the CPU code.
 */
bool matmul_shape(const tensor_t *a, const tensor_t *b, matmul_shape_t *s, const char **why);

/*
 * The packed state of MatMul, Gemm and FusedMatMul: exactly one of a
 * float32 B for gemm_run, or (bf16 precision, op_call_t.bf16) a bf16 B for
 * oneDNN's bf16 matmul (matmul_bf16.c). Owned by the model.
 */
typedef struct matmul_state {
    struct gemm_b *f32;
    struct gemm_bf16_b *bf16;
} matmul_state_t;

/*
 * Pack hooks (matmul_pack.c): a constant float B becomes a matmul_state_t
 * (the state run finds in call->state) that gemm_run streams, so B is
 * laid out once per model instead of on every call. Each leaves *state NULL, and
 * run on its unpacked path, when B is not constant or (Gemm) when alpha or
 * transA rule the packed path out.
 */
status_t matmul_pack(const op_call_t *call, void **state, error_t *err);
/*
 * op_kernel_t.describe of MatMul, Gemm and FusedMatMul: inferd's GEMM on a
 * packed B (and its ISA), oneDNN's sgemm on a float B known only at run
 * time, a plain loop for integers.
 */
bool matmul_describe(const op_call_t *call, char *impl, size_t size);
status_t matmul_gemm_pack(const op_call_t *call, void **state, error_t *err);
status_t fused_matmul_pack(const op_call_t *call, void **state, error_t *err);
void matmul_release(void *state);

/*
 * A half B (float16 or bfloat16, a weight the half pass kept: op.h's
 * half_inputs) multiplies a float A; the product is float. Packed, it stays
 * half and gemm_run widens it a K block at a time; unpacked (a product
 * folded at compile time), run widens it whole into the workspace. rows is
 * the product's row count. Sets call->workspace_size for either.
 */
void matmul_set_workspace(op_call_t *call, int64_t rows);
/*
 * The kernels' prepare hook, per plan: a bf16 B goes to matmul_bf16_prepare;
 * a packed half B's workspace is sized again for the plan's threads, which
 * shape inference does not know (it sizes for one, and every thread of the
 * product widens its panels into a slot of its own).
 */
status_t matmul_prepare(op_call_t *call, void **prepared, error_t *err);
/* B's elements as floats: b's own, or widened into call->workspace. */
const float *matmul_b_floats(const op_call_t *call, const tensor_t *b);

/*
 * The bf16 path (matmul_bf16.c), taken when call->state holds a bf16 B:
 * prepare makes oneDNN's primitive for the plan's rows and epilogue (and
 * does nothing for a float32 state); run executes it, or a one-off
 * primitive when the call is unprepared or its rows differ from the plan's.
 */
status_t matmul_bf16_prepare(op_call_t *call, void **prepared, error_t *err);
void matmul_bf16_unprepare(void *prepared);
status_t matmul_bf16_run(op_call_t *call, error_t *err);
/* The implementation name of a bf16 call ("onednn bf16 <impl>"). */
void matmul_bf16_describe(const op_call_t *call, char *impl, size_t size);

/* CPU implementations (matmul_cpu.c). */
status_t matmul_run(op_call_t *call, error_t *err);
status_t matmul_gemm_run(op_call_t *call, error_t *err);
status_t fused_matmul_run(op_call_t *call, error_t *err);

/*
 * Row-major Y = alpha * op(A) x op(B) + beta * Y on oneDNN's sgemm, run on
 * threads OpenMP threads (the one thread runtime inferd's kernels share).
 */
void matmul_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *y,
                  int64_t ldy, int threads);

/* Y[m, n] = beta * C, c read at c[i * c_row_stride + j * c_col_stride] (as gemm_f32). */
void matmul_fill_scaled_c(const float *c, float *y, int64_t m, int64_t n, float beta,
                          int64_t c_row_stride, int64_t c_col_stride);

/* Y[m, n] = A[m, k] x B[k, n], all row-major and dense; Y is overwritten. */
void matmul_f32(const float *a, const float *b, float *y, int64_t m, int64_t k, int64_t n,
                int threads);
void matmul_i32(const int32_t *a, const int32_t *b, int32_t *y, int64_t m, int64_t k, int64_t n);
void matmul_i64(const int64_t *a, const int64_t *b, int64_t *y, int64_t m, int64_t k, int64_t n);

/* MatMul on float64, int32, int64, uint32 and uint64 (matmul_generic.c). */
void matmul_generic(dtype_t dtype, const void *a, const void *b, void *y, int64_t m, int64_t k,
                    int64_t n);

/* Gemm on those types, with gemm_f32's arguments (matmul_generic.c). */
void gemm_generic(dtype_t dtype, const void *a, const void *b, const void *c, void *y, int64_t m,
                  int64_t k, int64_t n, bool trans_a, bool trans_b, float alpha, float beta,
                  int64_t c_row_stride, int64_t c_col_stride);

/*
 * Y[m, n] = alpha * op(A) x op(B) + beta * C, with op(A) of [m, k] and op(B)
 * of [k, n]; c (may be NULL) is read at c[i * c_row_stride + j * c_col_stride]
 * so a broadcast C passes stride 0.
 */
void gemm_f32(const float *a, const float *b, const float *c, float *y, int64_t m, int64_t k,
              int64_t n, bool trans_a, bool trans_b, float alpha, float beta, int64_t c_row_stride,
              int64_t c_col_stride, int threads);

#endif
