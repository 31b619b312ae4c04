#include "attention.h"

#include <assert.h>
#include <omp.h>

#include "gemm/gemm.h"
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

static size_t line_up(size_t bytes)
{
    return (bytes + ATTENTION_ALIGN - 1) / ATTENTION_ALIGN * ATTENTION_ALIGN;
}

size_t attention_slot_bytes(const attention_shape_t *s)
{
    return line_up((size_t)(s->s * s->t) * sizeof(float)) + line_up(gemm_b_pack_size(s->d, s->t)) +
           line_up(gemm_b_pack_size(s->t, s->dv));
}

/*
 * softmax(scale * Q x Kt + mask) x V for batch entry b, in one thread. K and
 * V are packed into the thread's slot for the GEMM (a few KB per head), and
 * the scores stay there between the two products.
 */
static void attend(const op_call_t *call, const attention_shape_t *s, int64_t b, char *slot)
{
    const attention_params_t *p = call->params;
    const tensor_t *mask = call->n_inputs > 3 ? call->inputs[3] : NULL;
    const float *q = (const float *)call->inputs[0]->data + batch_offset(s, s->q.strides, b);
    const float *k = (const float *)call->inputs[1]->data + batch_offset(s, s->k.strides, b);
    const float *v = (const float *)call->inputs[2]->data + batch_offset(s, s->v.strides, b);
    float *y = (float *)call->outputs[0].data + batch_offset(s, s->y.strides, b);
    int64_t rows = s->s, cols = s->t, r = s->batch_rank;
    float *scores = (float *)slot;
    char *k_mem = slot + line_up((size_t)(rows * cols) * sizeof(float));
    char *v_mem = k_mem + line_up(gemm_b_pack_size(s->d, cols));
    /* K stored [T, D] is Kt given transposed. */
    const gemm_b_t *kt = gemm_b_pack_into(k_mem, k, s->k.ld, s->k_trans, s->d, cols);
    const gemm_b_t *vb = gemm_b_pack_into(v_mem, v, s->v.ld, false, cols, s->dv);
    const gemm_a_t qa = {.data = q, .lda = s->q.ld}, sa = {.data = scores, .lda = cols};

    gemm_run(&qa, rows, kt, scores, cols, NULL, NULL, 1);
    for (int64_t i = 0; i < rows; i++) {
        float *row = scores + i * cols;
        if (mask) {
            const float *m = (const float *)mask->data + batch_offset(s, s->mask_strides, b) +
                             i * s->mask_strides[r];
            int64_t step = s->mask_strides[r + 1];
            for (int64_t j = 0; j < cols; j++)
                row[j] = row[j] * p->scale + m[j * step];
        } else {
            for (int64_t j = 0; j < cols; j++)
                row[j] *= p->scale;
        }
        float sum = vmath_exp_shift_sum_f32(row, row, cols, vmath_max_f32(row, cols));
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < cols; j++)
            row[j] *= inv;
    }
    gemm_run(&sa, rows, vb, y, s->y.ld, NULL, NULL, 1);
}

status_t attention_run(op_call_t *call, error_t *err)
{
    attention_shape_t s;
    const char *why;
    bool ok = attention_shape(call, &s, &why);
    int64_t block = s.s * s.t;
    size_t slot = attention_slot_bytes(&s);

    assert(ok);
    (void)ok;
    if (block == 0 || s.dv == 0)
        return STATUS_OK;
        /* Heads are independent: one per iteration, each thread reusing its own slot. */
#pragma omp parallel for num_threads(call->threads) schedule(static)
    for (int64_t b = 0; b < s.batch_count; b++)
        attend(call, &s, b, (char *)call->workspace + (size_t)omp_get_thread_num() * slot);
    return STATUS_OK;
}
