/*
 * einsum.h - Einsum: sums of products of its operands over the labels of
 * an equation such as "bij,bjk->bik". Labels are letters; "..." stands for
 * the dims the letters leave, broadcast numpy-style across operands. A
 * label repeated within an operand walks its diagonal; labels missing from
 * the output are summed over. Without "->" the output is the ellipsis dims
 * followed by the letters that occur once, in ASCII order.
 *
 * Every case runs on a strided walk (a label's stride in an operand is the
 * sum of its dims' strides, which is what makes diagonals work); two float32
 * operands that form a batched matrix product (each label in one of batch,
 * rows, columns or contraction, no diagonal, no broadcast) are instead
 * packed to [batch, m, k] x [batch, k, n] and run on matmul_f32.
 */
#ifndef INFERD_EINSUM_H
#define INFERD_EINSUM_H

#include "op.h"

/* Operands an equation may have (the info table describes this many). */
#define EINSUM_MAX_INPUTS OP_MAX_FORMAL_INPUTS
/* Letters 'A'-'Z' are labels 0-25 and 'a'-'z' 26-51 (ASCII order); ellipsis dims follow. */
#define EINSUM_LETTERS    52
#define EINSUM_MAX_LABELS (EINSUM_LETTERS + TENSOR_MAX_RANK)
/*
 * Most multiply-adds the strided walk may take (about a minute of one core):
 * an equation over many large labels is refused rather than left to run.
 */
#define EINSUM_MAX_WALK 1e11
/* Marks "..." in a parsed term. */
#define EINSUM_ELLIPSIS (-1)

/* One term of the equation, as written: letters and at most one ellipsis. */
typedef struct einsum_term {
    int8_t labels[TENSOR_MAX_RANK + 1];
    int count;
} einsum_term_t;

typedef struct einsum_params {
    einsum_term_t inputs[EINSUM_MAX_INPUTS];
    int n_inputs;
    einsum_term_t output;
    bool explicit_output;
} einsum_params_t;

/* The equation resolved against the operands' shapes. */
typedef struct einsum_plan {
    int n_inputs;
    int64_t size[EINSUM_MAX_LABELS];
    int8_t out[TENSOR_MAX_RANK];
    int n_out;
    int8_t sum[EINSUM_MAX_LABELS];
    int n_sum;
    /* Element strides of each label in each operand (0 where absent or broadcast). */
    int64_t strides[EINSUM_MAX_INPUTS][EINSUM_MAX_LABELS];
    /* The matmul lowering, when gemm is set: labels in each role, in order. */
    bool gemm;
    int8_t batch[EINSUM_MAX_LABELS], m[EINSUM_MAX_LABELS], n[EINSUM_MAX_LABELS],
        k[EINSUM_MAX_LABELS];
    int n_batch, n_m, n_n, n_k;
    int64_t batch_size, m_size, n_size, k_size;
} einsum_plan_t;

extern const op_kernel_t einsum_kernel;

/* Parses equation into p; false with *why set when it is malformed (einsum_onnx.c). */
bool einsum_parse(const char *equation, einsum_params_t *p, const char **why);

/*
 * Resolves p against the operands (einsum_proto.c); fails naming the call
 * when a rank or label size does not fit.
 */
status_t einsum_resolve(op_call_t *call, einsum_plan_t *plan, tensor_t *out, error_t *err);

/* Floats of scratch the matmul lowering needs. */
int64_t einsum_gemm_scratch(const einsum_plan_t *plan);

/* y = the einsum of the operands x[0..n) of dtype t, on the strided walk. */
void einsum_walk(const einsum_plan_t *plan, dtype_t t, const void *const *x, void *y);

/* The same for two float32 operands through matmul_f32 (plan->gemm set). */
void einsum_gemm(const einsum_plan_t *plan, const float *a, const float *b, float *y,
                 float *scratch, int threads);

/* CPU implementation (einsum_cpu.c). */
status_t einsum_run(op_call_t *call, error_t *err);

#endif
