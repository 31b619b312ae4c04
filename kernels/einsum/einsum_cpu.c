/*
 * einsum_cpu.c - Einsum on the strided walk or, for a batched matrix
 * product of two float32 operands, packed operands and matmul_f32.
 */
#include "einsum.h"

#include <assert.h>
#include <string.h>

#include "matmul/matmul.h"

/*
 * Walks the output labels, then the summed ones, keeping each operand's
 * offset by odometer; products and sums run in ACC (double for reals,
 * uint64 for integers so that overflow wraps).
 */
#define EINSUM_DEFINE_WALK(name, T, ACC)                                                           \
    static void name(const einsum_plan_t *pl, const void *const *xs, void *yv)                     \
    {                                                                                              \
        T *y = yv;                                                                                 \
        int64_t total_out = 1, oc[TENSOR_MAX_RANK] = {0}, base[EINSUM_MAX_INPUTS] = {0};           \
        for (int j = 0; j < pl->n_out; j++)                                                        \
            total_out *= pl->size[pl->out[j]];                                                     \
        for (int64_t o = 0; o < total_out; o++) {                                                  \
            int64_t sc[EINSUM_MAX_LABELS] = {0}, off[EINSUM_MAX_INPUTS];                           \
            ACC acc = 0;                                                                           \
            bool more = true;                                                                      \
            memcpy(off, base, sizeof off);                                                         \
            for (int j = 0; j < pl->n_sum; j++)                                                    \
                more &= pl->size[pl->sum[j]] > 0;                                                  \
            while (more) {                                                                         \
                ACC prod = 1;                                                                      \
                for (int i = 0; i < pl->n_inputs; i++)                                             \
                    prod *= (ACC)((const T *)xs[i])[off[i]];                                       \
                acc += prod;                                                                       \
                more = false;                                                                      \
                for (int d = pl->n_sum - 1; d >= 0; d--) {                                         \
                    const int l = pl->sum[d];                                                      \
                    if (++sc[d] < pl->size[l]) {                                                   \
                        for (int i = 0; i < pl->n_inputs; i++)                                     \
                            off[i] += pl->strides[i][l];                                           \
                        more = true;                                                               \
                        break;                                                                     \
                    }                                                                              \
                    for (int i = 0; i < pl->n_inputs; i++)                                         \
                        off[i] -= (sc[d] - 1) * pl->strides[i][l];                                 \
                    sc[d] = 0;                                                                     \
                }                                                                                  \
            }                                                                                      \
            y[o] = (T)acc;                                                                         \
            for (int d = pl->n_out - 1; d >= 0; d--) {                                             \
                const int l = pl->out[d];                                                          \
                if (++oc[d] < pl->size[l]) {                                                       \
                    for (int i = 0; i < pl->n_inputs; i++)                                         \
                        base[i] += pl->strides[i][l];                                              \
                    break;                                                                         \
                }                                                                                  \
                for (int i = 0; i < pl->n_inputs; i++)                                             \
                    base[i] -= (oc[d] - 1) * pl->strides[i][l];                                    \
                oc[d] = 0;                                                                         \
            }                                                                                      \
        }                                                                                          \
    }

EINSUM_DEFINE_WALK(walk_f32, float, double)
EINSUM_DEFINE_WALK(walk_f64, double, double)
EINSUM_DEFINE_WALK(walk_i8, int8_t, uint64_t)
EINSUM_DEFINE_WALK(walk_u8, uint8_t, uint64_t)
EINSUM_DEFINE_WALK(walk_i16, int16_t, uint64_t)
EINSUM_DEFINE_WALK(walk_u16, uint16_t, uint64_t)
EINSUM_DEFINE_WALK(walk_i32, int32_t, uint64_t)
EINSUM_DEFINE_WALK(walk_u32, uint32_t, uint64_t)
EINSUM_DEFINE_WALK(walk_i64, int64_t, uint64_t)
EINSUM_DEFINE_WALK(walk_u64, uint64_t, uint64_t)

void einsum_walk(const einsum_plan_t *plan, dtype_t t, const void *const *x, void *y)
{
    switch (t) {
    case DTYPE_FLOAT:
        walk_f32(plan, x, y);
        break;
    case DTYPE_DOUBLE:
        walk_f64(plan, x, y);
        break;
    case DTYPE_INT8:
        walk_i8(plan, x, y);
        break;
    case DTYPE_UINT8:
        walk_u8(plan, x, y);
        break;
    case DTYPE_INT16:
        walk_i16(plan, x, y);
        break;
    case DTYPE_UINT16:
        walk_u16(plan, x, y);
        break;
    case DTYPE_INT32:
        walk_i32(plan, x, y);
        break;
    case DTYPE_UINT32:
        walk_u32(plan, x, y);
        break;
    case DTYPE_INT64:
        walk_i64(plan, x, y);
        break;
    case DTYPE_UINT64:
        walk_u64(plan, x, y);
        break;
    default:
        assert(!"dtype outside einsum_info");
    }
}

/*
 * Copies the labels in order[0..n) (an odometer, last fastest) from src,
 * read at src_strides[label], to dst at dst_strides[label].
 */
static void strided_copy(const einsum_plan_t *pl, const int8_t *order, int n, const float *src,
                         const int64_t *src_strides, float *dst, const int64_t *dst_strides)
{
    int64_t total = 1, c[EINSUM_MAX_LABELS] = {0}, s = 0, d = 0;

    for (int j = 0; j < n; j++)
        total *= pl->size[order[j]];
    for (int64_t i = 0; i < total; i++) {
        dst[d] = src[s];
        for (int j = n - 1; j >= 0; j--) {
            const int l = order[j];
            if (++c[j] < pl->size[l]) {
                s += src_strides[l];
                d += dst_strides[l];
                break;
            }
            s -= (c[j] - 1) * src_strides[l];
            d -= (c[j] - 1) * dst_strides[l];
            c[j] = 0;
        }
    }
}

/* Contiguous strides for the labels of order, in that order. */
static int concat_order(const int8_t *a, int na, const int8_t *b, int nb, const int8_t *c, int nc,
                        int8_t *out)
{
    memcpy(out, a, (size_t)na);
    memcpy(out + na, b, (size_t)nb);
    memcpy(out + na + nb, c, (size_t)nc);
    return na + nb + nc;
}

static void contiguous_strides(const einsum_plan_t *pl, const int8_t *order, int n,
                               int64_t *strides)
{
    int64_t s = 1;

    for (int j = n - 1; j >= 0; j--) {
        strides[order[j]] = s;
        s *= pl->size[order[j]];
    }
}

void einsum_gemm(const einsum_plan_t *pl, const float *a, const float *b, float *y, float *scratch,
                 int threads)
{
    const int64_t m = pl->m_size, n = pl->n_size, k = pl->k_size;
    float *pa = scratch, *pb = pa + pl->batch_size * m * k, *py = pb + pl->batch_size * k * n;
    int64_t strides[EINSUM_MAX_LABELS] = {0}, out_strides[EINSUM_MAX_LABELS] = {0};
    int8_t order[EINSUM_MAX_LABELS];
    int len;

    len = concat_order(pl->batch, pl->n_batch, pl->m, pl->n_m, pl->k, pl->n_k, order);
    contiguous_strides(pl, order, len, strides);
    strided_copy(pl, order, len, a, pl->strides[0], pa, strides);
    len = concat_order(pl->batch, pl->n_batch, pl->k, pl->n_k, pl->n, pl->n_n, order);
    contiguous_strides(pl, order, len, strides);
    strided_copy(pl, order, len, b, pl->strides[1], pb, strides);
    for (int64_t bt = 0; bt < pl->batch_size; bt++)
        matmul_f32(pa + bt * m * k, pb + bt * k * n, py + bt * m * n, m, k, n, threads);
    /* [batch, m, n] to the output's own label order. */
    len = concat_order(pl->batch, pl->n_batch, pl->m, pl->n_m, pl->n, pl->n_n, order);
    contiguous_strides(pl, order, len, strides);
    contiguous_strides(pl, pl->out, pl->n_out, out_strides);
    strided_copy(pl, order, len, py, strides, y, out_strides);
}

status_t einsum_run(op_call_t *call, error_t *err)
{
    einsum_plan_t plan;
    const void *xs[EINSUM_MAX_INPUTS];
    tensor_t shape; /* the output's, which the prototype already set */
    status_t st = einsum_resolve(call, &plan, &shape, err);

    if (st != STATUS_OK)
        return st;
    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    if (plan.gemm) {
        einsum_gemm(&plan, call->inputs[0]->data, call->inputs[1]->data, call->outputs[0].data,
                    call->workspace, call->threads);
        return STATUS_OK;
    }
    for (int i = 0; i < call->n_inputs; i++)
        xs[i] = call->inputs[i]->data;
    einsum_walk(&plan, call->outputs[0].dtype, xs, call->outputs[0].data);
    return STATUS_OK;
}
