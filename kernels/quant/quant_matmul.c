/*
 * quant_matmul.c - MatMulInteger and QLinearMatMul: both operands widened
 * to int32 (zero points subtracted), multiplied per batch with numpy's
 * broadcasting by matmul_i32, and for QLinearMatMul requantized with the
 * per-row scale of a and the per-column scale of b.
 */
#include "quant.h"

#include <assert.h>
#include <math.h>

#include "matmul/matmul.h"
#include "quant_fast.h"

/* A 1-D zero point of a is per row: [M] acts as [M, 1]. */
static int a_zp_dims(const tensor_t *zp, int64_t *dims)
{
    if (zp->rank == 1 && zp->dims[0] != 1) {
        dims[0] = zp->dims[0];
        dims[1] = 1;
        return 2;
    }
    for (int d = 0; d < zp->rank; d++)
        dims[d] = zp->dims[d];
    return zp->rank;
}

/*
 * acc = (a - a_zp) x (b - b_zp) for every batch; workspace holds the
 * widened a and b (ints after acc's own storage when acc is scratch).
 */
static void integer_product(const tensor_t *a, const tensor_t *a_zp, const tensor_t *b,
                            const tensor_t *b_zp, int32_t *acc, int32_t *scratch)
{
    matmul_shape_t s;
    const char *why;
    int32_t *wa = scratch, *wb = scratch + tensor_numel(a);
    int64_t zp_dims[TENSOR_MAX_RANK], idx[TENSOR_MAX_RANK] = {0}, a_off = 0, b_off = 0;
    bool ok = matmul_shape(a, b, &s, &why);

    assert(ok);
    (void)ok;
    quant_widen(a, a_zp, a_zp ? a_zp_dims(a_zp, zp_dims) : 0, zp_dims, wa);
    quant_widen(b, b_zp, b_zp ? b_zp->rank : 0, b_zp ? b_zp->dims : NULL, wb);
    for (int64_t batch = 0; batch < s.batch_count; batch++) {
        matmul_i32(wa + a_off * s.m * s.k, wb + b_off * s.k * s.n, acc + batch * s.m * s.n, s.m,
                   s.k, s.n);
        for (int d = s.batch_rank - 1; d >= 0; d--) {
            a_off += s.a_batch_strides[d];
            b_off += s.b_batch_strides[d];
            if (++idx[d] < s.batch_dims[d])
                break;
            a_off -= s.a_batch_strides[d] * s.batch_dims[d];
            b_off -= s.b_batch_strides[d] * s.batch_dims[d];
            idx[d] = 0;
        }
    }
}

status_t matmul_integer_run(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *b = call->inputs[1];
    const tensor_t *a_zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *b_zp = call->n_inputs > 3 ? call->inputs[3] : NULL;

    if (quant_fast_takes(call)) {
        quant_fast_run(call);
        return STATUS_OK;
    }

    (void)err;
    integer_product(a, a_zp, b, b_zp, call->outputs[0].data, call->workspace);
    return STATUS_OK;
}

status_t qlinear_matmul_run(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *a_scale = call->inputs[1], *a_zp = call->inputs[2];
    const tensor_t *b = call->inputs[3], *b_scale = call->inputs[4], *b_zp = call->inputs[5];
    const tensor_t *y_scale = call->inputs[6], *y_zp = call->inputs[7];
    tensor_t *y = &call->outputs[0];
    const int64_t n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    const int64_t m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    const int64_t total = tensor_numel(y);
    const float *sa = a_scale->data, *sb = b_scale->data;
    const float sy = *(const float *)y_scale->data;
    const float zy = (float)quant_load(y_zp->dtype, y_zp->data, 0);
    int32_t *acc = call->workspace;

    if (quant_fast_takes(call)) {
        quant_fast_run(call);
        return STATUS_OK;
    }

    (void)err;
    integer_product(a, a_zp, b, b_zp, acc, acc + total);
    for (int64_t i = 0; i < total; i++) {
        const int64_t row = (i / n) % m, col = i % n;
        const float scale = sa[tensor_numel(a_scale) == 1 ? 0 : row] *
                            sb[tensor_numel(b_scale) == 1 ? 0 : col] / sy;
        quant_store(y->dtype, y->data, i, rintf((float)acc[i] * scale) + zy);
    }
    return STATUS_OK;
}
