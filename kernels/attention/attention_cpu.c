#include "attention.h"

#include <assert.h>
#include <omp.h>

#include "vmath.h"

/* Element offset of batch entry b in an operand with the given batch strides (in matrices). */
static int64_t batch_offset(const matmul_shape_t *s, const int64_t *strides, int64_t b)
{
    int64_t off = 0;

    for (int d = s->batch_rank - 1; d >= 0; d--) {
        off += (b % s->batch_dims[d]) * strides[d];
        b /= s->batch_dims[d];
    }
    return off;
}

/* Mask element offset of row 0 of batch entry b, in the scores' dims. */
static int64_t mask_offset(const attention_shape_t *s, int64_t b)
{
    const matmul_shape_t *sc = &s->scores;
    int64_t off = 0;

    for (int d = sc->batch_rank - 1; d >= 0; d--) {
        off += (b % sc->batch_dims[d]) * s->mask_strides[d];
        b /= sc->batch_dims[d];
    }
    return off;
}

/* scale * Q x Kt + mask, softmax by rows, x V for batch entry b. */
static void attend(const op_call_t *call, const attention_shape_t *s, int64_t b, float *scores)
{
    const attention_params_t *p = call->params;
    const matmul_shape_t *sc = &s->scores, *sv = &s->values;
    const tensor_t *mask = call->n_inputs > 3 ? call->inputs[3] : NULL;
    const float *q = (const float *)call->inputs[0]->data +
                     batch_offset(sc, sc->a_batch_strides, b) * sc->m * sc->k;
    const float *kt = (const float *)call->inputs[1]->data +
                      batch_offset(sc, sc->b_batch_strides, b) * sc->k * sc->n;
    const float *v = (const float *)call->inputs[2]->data +
                     batch_offset(sv, sv->b_batch_strides, b) * sv->k * sv->n;
    float *y = (float *)call->outputs[0].data + b * sv->m * sv->n;
    int64_t rows = sc->m, cols = sc->n, r = sc->out_rank;

    /* sgemm wants lda >= 1 even when D is 0 (the scores are then all 0). */
    matmul_sgemm(false, false, rows, cols, sc->k, p->scale, q, sc->k ? sc->k : 1, kt, cols, 0.0f,
                 scores, cols, 1);
    for (int64_t i = 0; i < rows; i++) {
        float *row = scores + i * cols;
        if (mask) {
            const float *m =
                (const float *)mask->data + mask_offset(s, b) + i * s->mask_strides[r - 2];
            int64_t step = s->mask_strides[r - 1];
            for (int64_t j = 0; j < cols; j++)
                row[j] += m[j * step];
        }
        float sum = vmath_exp_shift_sum_f32(row, row, cols, vmath_max_f32(row, cols));
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < cols; j++)
            row[j] *= inv;
    }
    matmul_sgemm(false, false, rows, sv->n, cols, 1.0f, scores, cols, v, sv->n, 0.0f, y, sv->n, 1);
}

status_t attention_run(op_call_t *call, error_t *err)
{
    attention_shape_t s;
    const char *why;
    bool ok = attention_shape(call, &s, &why);
    int64_t block = s.scores.m * s.scores.n;

    assert(ok);
    (void)ok;
    if (block == 0 || s.values.n == 0)
        return STATUS_OK;
        /* Heads are independent: one per iteration, each thread reusing its own score block. */
#pragma omp parallel for num_threads(call->threads) schedule(static)
    for (int64_t b = 0; b < s.scores.batch_count; b++)
        attend(call, &s, b, (float *)call->workspace + (int64_t)omp_get_thread_num() * block);
    return STATUS_OK;
}
