#include "matmul.h"

#include <stdio.h>

#include "gemm/gemm.h"
#include "half.h"

/* MatMul's and Gemm's (from opset 9; one kernel serves the older versions too). */
#define MATMUL_DTYPES                                                                              \
    (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPES_INDEX | DTYPE_BIT(DTYPE_UINT32) |             \
     DTYPE_BIT(DTYPE_UINT64))

static const op_info_t matmul_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {MATMUL_DTYPES, MATMUL_DTYPES},
    .layout = "any",
};

/* C is optional from opset 11; the adapter enforces it for older models. */
static const op_info_t gemm_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {MATMUL_DTYPES, MATMUL_DTYPES, MATMUL_DTYPES},
    .layout = "any",
};

bool matmul_shape(const tensor_t *a, const tensor_t *b, matmul_shape_t *s, const char **why)
{
    /* numpy promotes a 1-D A to [1, k] and a 1-D B to [k, 1], then drops that dim. */
    int a_batch_rank = a->rank > 2 ? a->rank - 2 : 0;
    int b_batch_rank = b->rank > 2 ? b->rank - 2 : 0;
    int64_t kb;

    if (a->rank < 1 || b->rank < 1) {
        *why = "operands must have rank 1 or more";
        return false;
    }
    s->m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    s->k = a->dims[a->rank - 1];
    kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    s->n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    if (s->k != kb) {
        *why = "the inner dimensions differ";
        return false;
    }
    if (!shape_broadcast(a_batch_rank, a->dims, b_batch_rank, b->dims, &s->batch_rank,
                         s->batch_dims)) {
        *why = "the batch dimensions do not broadcast";
        return false;
    }
    shape_broadcast_strides(a_batch_rank, a->dims, s->batch_rank, s->batch_dims,
                            s->a_batch_strides);
    shape_broadcast_strides(b_batch_rank, b->dims, s->batch_rank, s->batch_dims,
                            s->b_batch_strides);
    s->batch_count = 1;
    for (int i = 0; i < s->batch_rank; i++) {
        s->batch_count *= s->batch_dims[i];
        s->out_dims[i] = s->batch_dims[i];
    }
    s->a_batch_count = 1;
    for (int i = 0; i < a_batch_rank; i++)
        s->a_batch_count *= a->dims[i];
    s->b_batch_count = 1;
    for (int i = 0; i < b_batch_rank; i++)
        s->b_batch_count *= b->dims[i];
    s->out_rank = s->batch_rank;
    if (a->rank > 1)
        s->out_dims[s->out_rank++] = s->m;
    if (b->rank > 1)
        s->out_dims[s->out_rank++] = s->n;
    return true;
}

static status_t check_sides(op_call_t *call, int64_t m, int64_t k, int64_t n, error_t *err)
{
    if (m > MATMUL_MAX_DIM || k > MATMUL_MAX_DIM || n > MATMUL_MAX_DIM)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "matrix sides M=%lld K=%lld N=%lld exceed %d", (long long)m, (long long)k,
                       (long long)n, MATMUL_MAX_DIM);
    return STATUS_OK;
}

static status_t set_output(op_call_t *call, dtype_t dtype, int rank, const int64_t *dims,
                           error_t *err)
{
    char buf[SHAPE_TEXT_MAX];
    tensor_t *y = &call->outputs[0];

    if (!shape_valid(rank, dims, NULL))
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "output shape %s exceeds %lld elements",
                       shape_format(rank, dims, buf, sizeof buf), (long long)TENSOR_MAX_ELEMENTS);
    y->dtype = dtype;
    y->rank = rank;
    for (int i = 0; i < rank; i++)
        y->dims[i] = dims[i];
    y->data = NULL;
    return STATUS_OK;
}

static status_t matmul_infer(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    matmul_shape_t s;
    const char *why;
    char sa[SHAPE_TEXT_MAX], sb[SHAPE_TEXT_MAX];
    status_t st;

    if (a->dtype != b->dtype && !(a->dtype == DTYPE_FLOAT && dtype_is_half(b->dtype)))
        return op_call_fail(call, err, "A is %s but B is %s; both must have the same type",
                            dtype_name(a->dtype), dtype_name(b->dtype));
    if (!matmul_shape(a, b, &s, &why))
        return op_call_fail(call, err, "cannot multiply A %s by B %s: %s",
                            shape_format(a->rank, a->dims, sa, sizeof sa),
                            shape_format(b->rank, b->dims, sb, sizeof sb), why);
    st = check_sides(call, s.m, s.k, s.n, err);
    if (st != STATUS_OK)
        return st;
    matmul_set_workspace(call, s.batch_count * s.m);
    return set_output(call, a->dtype, s.out_rank, s.out_dims, err);
}

static status_t gemm_infer(op_call_t *call, error_t *err)
{
    const gemm_params_t *p = call->params;
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    const tensor_t *c = call->n_inputs > 2 ? call->inputs[2] : NULL;
    char sa[SHAPE_TEXT_MAX], sb[SHAPE_TEXT_MAX];
    int64_t m, k, kb, n;
    status_t st;

    /* A half B (a weight the half pass kept: half_inputs) multiplies a float A. */
    if ((a->dtype != b->dtype && !(a->dtype == DTYPE_FLOAT && dtype_is_half(b->dtype))) ||
        (c && c->dtype != a->dtype))
        return op_call_fail(call, err, "A is %s, B %s and C %s; all must have the same type",
                            dtype_name(a->dtype), dtype_name(b->dtype),
                            c ? dtype_name(c->dtype) : "absent");
    if (a->rank != 2 || b->rank != 2)
        return op_call_fail(call, err, "A %s and B %s must both be 2-D",
                            shape_format(a->rank, a->dims, sa, sizeof sa),
                            shape_format(b->rank, b->dims, sb, sizeof sb));
    m = p->trans_a ? a->dims[1] : a->dims[0];
    k = p->trans_a ? a->dims[0] : a->dims[1];
    kb = p->trans_b ? b->dims[1] : b->dims[0];
    n = p->trans_b ? b->dims[0] : b->dims[1];
    if (k != kb)
        return op_call_fail(call, err,
                            "inner dimensions differ: A %s (transA=%d) has K=%lld, B %s "
                            "(transB=%d) has K=%lld",
                            shape_format(a->rank, a->dims, sa, sizeof sa), p->trans_a, (long long)k,
                            shape_format(b->rank, b->dims, sb, sizeof sb), p->trans_b,
                            (long long)kb);
    st = check_sides(call, m, k, n, err);
    if (st != STATUS_OK)
        return st;
    if (c) {
        const int64_t out[2] = {m, n};
        bool ok = c->rank <= 2;
        for (int i = 0; ok && i < c->rank; i++) {
            int64_t want = out[2 - c->rank + i];
            ok = c->dims[i] == want || (!p->c_exact_shape && c->dims[i] == 1);
        }
        if (ok && p->c_exact_shape)
            ok = c->rank == 2;
        if (!ok)
            return op_call_fail(call, err, "C %s does not %s the output [%lld,%lld]",
                                shape_format(c->rank, c->dims, sa, sizeof sa),
                                p->c_exact_shape ? "match (broadcast=0)" : "broadcast to",
                                (long long)m, (long long)n);
    }
    matmul_set_workspace(call, m);
    return set_output(call, a->dtype, 2, (const int64_t[]){m, n}, err);
}

bool matmul_describe(const op_call_t *call, char *impl, size_t size)
{
    const matmul_state_t *ms = call->state;

    if (ms && ms->bf16)
        matmul_bf16_describe(call, impl, size);
    else if (ms && gemm_b_dtype(ms->f32) != DTYPE_FLOAT)
        snprintf(impl, size, "inferd gemm:%s %s weights", gemm_isa_name(),
                 gemm_b_dtype(ms->f32) == DTYPE_FLOAT16 ? "f16" : "bf16");
    else if (call->state)
        snprintf(impl, size, "inferd gemm:%s", gemm_isa_name());
    else if (call->inputs[0]->dtype == DTYPE_FLOAT)
        snprintf(impl, size, "onednn sgemm");
    else
        snprintf(impl, size, "inferd");
    return false;
}

const op_kernel_t matmul_kernel = {
    .name = "MatMul",
    .info = &matmul_info,
    .infer = matmul_infer,
    .run = matmul_run,
    .pack = matmul_pack,
    .release = matmul_release,
    .prepare = matmul_prepare,
    .unprepare = matmul_bf16_unprepare,
    .describe = matmul_describe,
    /* A constant float 2-D B lives on in the packed panels. */
    .packed_inputs = 1u << 1,
    /* A half B stays half in the panels (matmul_set_workspace). */
    .half_inputs = 1u << 1,
};

/* A [M, K] is rows of the batch unless transposed; C then broadcasts or has them too. */
static bool gemm_batch_rows(const op_call_t *call)
{
    const gemm_params_t *p = call->params;

    return !p->trans_a && op_batch_rows_broadcast(call);
}

const op_kernel_t gemm_kernel = {
    .name = "Gemm",
    .info = &gemm_info,
    .params_size = sizeof(gemm_params_t),
    .infer = gemm_infer,
    .run = matmul_gemm_run,
    .pack = matmul_gemm_pack,
    .release = matmul_release,
    .prepare = matmul_prepare,
    .unprepare = matmul_bf16_unprepare,
    .describe = matmul_describe,
    /* When pack takes B (see matmul_gemm_pack), it lives on in the packed panels. */
    .packed_inputs = 1u << 1,
    /* A half B stays half in the panels; when pack leaves it, the engine widens it. */
    .half_inputs = 1u << 1,
    .batch_inputs = 1u << 0 | 1u << 2,
    .batch_rows = gemm_batch_rows,
};
