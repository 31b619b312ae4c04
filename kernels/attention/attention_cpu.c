#include "attention.h"

#include <assert.h>
#include <omp.h>

#include "vmath.h"

/* Element offset of operand op's matrix for batch entry b (row-major over the batch dims). */
static int64_t batch_offset(const attention_shape_t *s, const int64_t *strides, int64_t b)
{
    int64_t off = 0;

    for (int d = s->batch_rank - 1; d >= 0; d--) {
        off += (b % s->batch_dims[d]) * strides[d];
        b /= s->batch_dims[d];
    }
    return off;
}

/* scale * Q x Kt + mask, softmax by rows, x V for batch entry b. */
static void attend(const op_call_t *call, const attention_shape_t *s, int64_t b, float *scores)
{
    const attention_params_t *p = call->params;
    const tensor_t *mask = call->n_inputs > 3 ? call->inputs[3] : NULL;
    const float *q = (const float *)call->inputs[0]->data + batch_offset(s, s->q.strides, b);
    const float *k = (const float *)call->inputs[1]->data + batch_offset(s, s->k.strides, b);
    const float *v = (const float *)call->inputs[2]->data + batch_offset(s, s->v.strides, b);
    float *y = (float *)call->outputs[0].data + batch_offset(s, s->y.strides, b);
    int64_t rows = s->s, cols = s->t, r = s->batch_rank;

    /* sgemm wants leading dimensions >= 1 even when D is 0 (the scores are then all 0). */
    matmul_sgemm(false, s->k_trans, rows, cols, s->d, p->scale, q, s->q.ld ? s->q.ld : 1, k,
                 s->k.ld ? s->k.ld : 1, 0.0f, scores, cols, 1);
    for (int64_t i = 0; i < rows; i++) {
        float *row = scores + i * cols;
        if (mask) {
            const float *m = (const float *)mask->data + batch_offset(s, s->mask_strides, b) +
                             i * s->mask_strides[r];
            int64_t step = s->mask_strides[r + 1];
            for (int64_t j = 0; j < cols; j++)
                row[j] += m[j * step];
        }
        float sum = vmath_exp_shift_sum_f32(row, row, cols, vmath_max_f32(row, cols));
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < cols; j++)
            row[j] *= inv;
    }
    matmul_sgemm(false, false, rows, s->dv, cols, 1.0f, scores, cols, v, s->v.ld, 0.0f, y, s->y.ld,
                 1);
}

status_t attention_run(op_call_t *call, error_t *err)
{
    attention_shape_t s;
    const char *why;
    bool ok = attention_shape(call, &s, &why);
    int64_t block = s.s * s.t;

    assert(ok);
    (void)ok;
    if (block == 0 || s.dv == 0)
        return STATUS_OK;
        /* Heads are independent: one per iteration, each thread reusing its own score block. */
#pragma omp parallel for num_threads(call->threads) schedule(static)
    for (int64_t b = 0; b < s.batch_count; b++)
        attend(call, &s, b, (float *)call->workspace + (int64_t)omp_get_thread_num() * block);
    return STATUS_OK;
}
