#include "attention.h"

static const op_info_t attention_info = {
    .min_inputs = 3,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_FLOAT), DTYPE_BIT(DTYPE_FLOAT), DTYPE_BIT(DTYPE_FLOAT),
                     DTYPE_BIT(DTYPE_FLOAT)},
    .layout = "any",
};

bool attention_shape(const op_call_t *call, attention_shape_t *s, const char **why)
{
    const tensor_t *q = call->inputs[0], *kt = call->inputs[1], *v = call->inputs[2];
    const tensor_t *mask = call->n_inputs > 3 ? call->inputs[3] : NULL;
    tensor_t scores = {.dtype = DTYPE_FLOAT};
    int rank;
    int64_t dims[TENSOR_MAX_RANK];

    if (q->rank < 2 || kt->rank < 2 || v->rank < 2) {
        *why = "Q, Kt and V must have rank 2 or more";
        return false;
    }
    if (!matmul_shape(q, kt, &s->scores, why))
        return false;
    scores.rank = s->scores.out_rank;
    for (int i = 0; i < scores.rank; i++)
        scores.dims[i] = s->scores.out_dims[i];
    if (!matmul_shape(&scores, v, &s->values, why))
        return false;
    /* One score block per output batch entry: V may not add batch dims of its own. */
    if (!shape_equal(s->values.batch_rank, s->values.batch_dims, s->scores.batch_rank,
                     s->scores.batch_dims)) {
        *why = "V broadcasts the scores to more batch entries";
        return false;
    }
    for (int i = 0; i < scores.rank; i++)
        s->mask_strides[i] = 0;
    if (mask) {
        if (!shape_broadcast(scores.rank, scores.dims, mask->rank, mask->dims, &rank, dims) ||
            !shape_equal(rank, dims, scores.rank, scores.dims)) {
            *why = "the mask does not broadcast to the scores";
            return false;
        }
        shape_broadcast_strides(mask->rank, mask->dims, scores.rank, scores.dims, s->mask_strides);
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
    if (s.scores.m > MATMUL_MAX_DIM || s.scores.n > MATMUL_MAX_DIM || s.scores.k > MATMUL_MAX_DIM ||
        s.values.n > MATMUL_MAX_DIM)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node, "matrix sides exceed %d",
                       MATMUL_MAX_DIM);
    y->dtype = DTYPE_FLOAT;
    y->rank = s.values.out_rank;
    for (int i = 0; i < y->rank; i++)
        y->dims[i] = s.values.out_dims[i];
    y->data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}

/* One S x T score block per thread. */
static status_t attention_prepare(op_call_t *call, void **prepared, error_t *err)
{
    attention_shape_t s;
    const char *why;
    bool ok = attention_shape(call, &s, &why);
    int threads = call->threads > 0 ? call->threads : 1;

    (void)ok;
    *prepared = NULL;
    call->workspace_size = (size_t)threads * (size_t)(s.scores.m * s.scores.n) * sizeof(float);
    return STATUS_OK;
}

const op_kernel_t attention_kernel = {
    .name = "inferd.Attention",
    .info = &attention_info,
    .params_size = sizeof(attention_params_t),
    .infer = attention_infer,
    .run = attention_run,
    .prepare = attention_prepare,
};

const op_schema_t attention_schema = {"inferd.Attention", OPSET_MIN, OPSET_MAX, NULL,
                                      &attention_kernel};
