#include "attention.h"

#include <stdio.h>

#include "gemm/gemm.h"

static const op_info_t attention_info = {
    .min_inputs = 3,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_FLOAT), DTYPE_BIT(DTYPE_FLOAT), DTYPE_BIT(DTYPE_FLOAT),
                     DTYPE_BIT(DTYPE_FLOAT)},
    .layout = "any",
};

/* Element strides of a MatMul operand's whole matrices over the broadcast batch dims. */
static void matrix_strides(const matmul_shape_t *ms, const int64_t *batch_strides, int64_t size,
                           attention_operand_t *op, int64_t ld)
{
    for (int i = 0; i < ms->batch_rank; i++)
        op->strides[i] = batch_strides[i] * size;
    op->ld = ld;
}

/* Q [..., S, D] x Kt [..., D, T], then x V [..., T, Dv], as two broadcast MatMuls. */
static bool stacked_shape(const tensor_t *q, const tensor_t *kt, const tensor_t *v,
                          attention_shape_t *s, const char **why)
{
    matmul_shape_t sc, sv;
    tensor_t scores = {.dtype = DTYPE_FLOAT};

    if (q->rank < 2 || kt->rank < 2 || v->rank < 2) {
        *why = "Q, Kt and V must have rank 2 or more";
        return false;
    }
    if (!matmul_shape(q, kt, &sc, why))
        return false;
    scores.rank = sc.out_rank;
    for (int i = 0; i < scores.rank; i++)
        scores.dims[i] = sc.out_dims[i];
    if (!matmul_shape(&scores, v, &sv, why))
        return false;
    /* One score block per output batch entry: V may not add batch dims of its own. */
    if (!shape_equal(sv.batch_rank, sv.batch_dims, sc.batch_rank, sc.batch_dims)) {
        *why = "V broadcasts the scores to more batch entries";
        return false;
    }
    s->batch_rank = sc.batch_rank;
    for (int i = 0; i < sc.batch_rank; i++)
        s->batch_dims[i] = sc.batch_dims[i];
    s->s = sc.m;
    s->t = sc.n;
    s->d = sc.k;
    s->dv = sv.n;
    s->k_trans = false;
    matrix_strides(&sc, sc.a_batch_strides, sc.m * sc.k, &s->q, sc.k);
    matrix_strides(&sc, sc.b_batch_strides, sc.k * sc.n, &s->k, sc.n);
    matrix_strides(&sv, sv.b_batch_strides, sv.k * sv.n, &s->v, sv.n);
    shape_strides(sv.batch_rank, sv.batch_dims, s->y.strides);
    for (int i = 0; i < sv.batch_rank; i++)
        s->y.strides[i] *= sv.m * sv.n;
    s->y.ld = sv.n;
    s->out_rank = sv.out_rank;
    for (int i = 0; i < sv.out_rank; i++)
        s->out_dims[i] = sv.out_dims[i];
    return true;
}

/* Q [B, S, H, D], K [B, T, H, D], V [B, T, H, Dv]: heads interleaved along the rows. */
static bool interleaved_shape(const tensor_t *q, const tensor_t *k, const tensor_t *v,
                              attention_shape_t *s, const char **why)
{
    const tensor_t *ops[3] = {q, k, v};
    attention_operand_t *dst[3] = {&s->q, &s->k, &s->v};

    if (q->rank != 4 || k->rank != 4 || v->rank != 4) {
        *why = "Q, K and V must be 4-D [batch, sequence, heads, size]";
        return false;
    }
    if (q->dims[3] != k->dims[3] || k->dims[1] != v->dims[1]) {
        *why = "the head sizes or sequence lengths differ";
        return false;
    }
    s->batch_rank = 2;
    for (int axis = 0; axis < 2; axis++) {
        /* Batch is dim 0, heads dim 2; each broadcasts from 1. */
        int dim = axis == 0 ? 0 : 2;
        int64_t n = 1;
        for (int i = 0; i < 3; i++) {
            int64_t e = ops[i]->dims[dim];
            if (e != 1 && n != 1 && e != n) {
                *why = "the batch or head counts do not broadcast";
                return false;
            }
            n = e != 1 ? e : n;
        }
        s->batch_dims[axis] = n;
    }
    for (int i = 0; i < 3; i++) {
        const int64_t *dims = ops[i]->dims;
        dst[i]->ld = dims[2] * dims[3];
        dst[i]->strides[0] = dims[0] == 1 ? 0 : dims[1] * dims[2] * dims[3];
        dst[i]->strides[1] = dims[2] == 1 ? 0 : dims[3];
    }
    s->s = q->dims[1];
    s->t = k->dims[1];
    s->d = q->dims[3];
    s->dv = v->dims[3];
    s->k_trans = true;
    s->out_rank = 4;
    s->out_dims[0] = s->batch_dims[0];
    s->out_dims[1] = s->s;
    s->out_dims[2] = s->batch_dims[1];
    s->out_dims[3] = s->dv;
    s->y.ld = s->batch_dims[1] * s->dv;
    s->y.strides[0] = s->s * s->y.ld;
    s->y.strides[1] = s->dv;
    return true;
}

bool attention_shape(const op_call_t *call, attention_shape_t *s, const char **why)
{
    const attention_params_t *p = call->params;
    const tensor_t *mask = call->n_inputs > 3 ? call->inputs[3] : NULL;
    int rank;
    int64_t dims[TENSOR_MAX_RANK], scores[TENSOR_MAX_RANK];
    bool ok = p->interleaved
                  ? interleaved_shape(call->inputs[0], call->inputs[1], call->inputs[2], s, why)
                  : stacked_shape(call->inputs[0], call->inputs[1], call->inputs[2], s, why);

    if (!ok)
        return false;
    s->batch_count = 1;
    for (int i = 0; i < s->batch_rank; i++) {
        s->batch_count *= s->batch_dims[i];
        scores[i] = s->batch_dims[i];
    }
    scores[s->batch_rank] = s->s;
    scores[s->batch_rank + 1] = s->t;
    rank = s->batch_rank + 2;
    for (int i = 0; i < rank; i++)
        s->mask_strides[i] = 0;
    if (mask) {
        if (!shape_broadcast(rank, scores, mask->rank, mask->dims, &rank, dims) ||
            !shape_equal(rank, dims, s->batch_rank + 2, scores)) {
            *why = "the mask does not broadcast to the scores";
            return false;
        }
        shape_broadcast_strides(mask->rank, mask->dims, rank, scores, s->mask_strides);
    }
    return true;
}

static status_t attention_infer(op_call_t *call, error_t *err)
{
    attention_shape_t s;
    const char *why;
    tensor_t *y = &call->outputs[0];

    if (!attention_shape(call, &s, &why))
        return op_call_fail(call, err, "%s", why);
    if (s.s > MATMUL_MAX_DIM || s.t > MATMUL_MAX_DIM || s.d > MATMUL_MAX_DIM ||
        s.dv > MATMUL_MAX_DIM || s.y.ld > MATMUL_MAX_DIM || s.q.ld > MATMUL_MAX_DIM ||
        s.k.ld > MATMUL_MAX_DIM || s.v.ld > MATMUL_MAX_DIM)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node, "matrix sides exceed %d",
                       MATMUL_MAX_DIM);
    y->dtype = DTYPE_FLOAT;
    y->rank = s.out_rank;
    for (int i = 0; i < y->rank; i++)
        y->dims[i] = s.out_dims[i];
    y->data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}

/* One slot per thread: a score block and the packed K and V of one head. */
static status_t attention_prepare(op_call_t *call, void **prepared, error_t *err)
{
    attention_shape_t s;
    const char *why;
    bool ok = attention_shape(call, &s, &why);
    int threads = call->threads > 0 ? call->threads : 1;

    (void)ok;
    *prepared = NULL;
    call->workspace_size = (size_t)threads * attention_slot_bytes(&s);
    return STATUS_OK;
}

/* Both products of every head run on inferd's GEMM. */
static bool attention_describe(const op_call_t *call, char *impl, size_t size)
{
    snprintf(impl, size, "inferd gemm:%s", gemm_isa_name());
    return false;
}

const op_kernel_t attention_kernel = {
    .name = "inferd.Attention",
    .info = &attention_info,
    .params_size = sizeof(attention_params_t),
    .infer = attention_infer,
    .run = attention_run,
    .prepare = attention_prepare,
    .describe = attention_describe,
    /* Q, K, V and the mask: each batch entry attends within itself. */
    .batch_inputs = 0xfu,
    .batch_rows = op_batch_rows_broadcast,
};

const op_schema_t attention_schema = {"inferd.Attention", OPSET_MIN, OPSET_MAX, NULL,
                                      &attention_kernel};
