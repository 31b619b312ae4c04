/*
 * cumsum_cpu.c - CumSum. Each step along the axis adds a whole inner row
 * (contiguous, so the compiler vectorises it) to the previous output row.
 */
#include "cumsum.h"

#include <assert.h>
#include <string.h>

/*
 * Sums run in W (the unsigned type of T's width for integers) so an
 * overflow wraps instead of being undefined. Step k (in walking order)
 * writes y_k = y_prev + x_k (inclusive) or y_prev + x_prev (exclusive),
 * the first step x_k or 0.
 */
#define DEFINE_CUMSUM(name, T, W)                                                                  \
    static void name(const T *x, T *y, int64_t outer, int64_t n, int64_t inner, bool exclusive,    \
                     bool reverse)                                                                 \
    {                                                                                              \
        const int64_t step = reverse ? -inner : inner;                                             \
        for (int64_t o = 0; o < outer; o++) {                                                      \
            const int64_t first = o * n * inner + (reverse ? (n - 1) * inner : 0);                 \
            for (int64_t k = 0; k < n; k++) {                                                      \
                const int64_t at = first + k * step;                                               \
                T *yk = y + at;                                                                    \
                if (k == 0) {                                                                      \
                    for (int64_t j = 0; j < inner; j++)                                            \
                        yk[j] = exclusive ? 0 : x[at + j];                                         \
                    continue;                                                                      \
                }                                                                                  \
                const T *yp = yk - step;                                                           \
                const T *xk = x + (exclusive ? at - step : at);                                    \
                for (int64_t j = 0; j < inner; j++)                                                \
                    yk[j] = (T)((W)yp[j] + (W)xk[j]);                                              \
            }                                                                                      \
        }                                                                                          \
    }

DEFINE_CUMSUM(cumsum_f32, float, float)
DEFINE_CUMSUM(cumsum_f64, double, double)
DEFINE_CUMSUM(cumsum_i32, int32_t, uint32_t)
DEFINE_CUMSUM(cumsum_i64, int64_t, uint64_t)
DEFINE_CUMSUM(cumsum_u32, uint32_t, uint32_t)
DEFINE_CUMSUM(cumsum_u64, uint64_t, uint64_t)

void cumsum(dtype_t t, const void *x, void *y, int64_t outer, int64_t n, int64_t inner,
            bool exclusive, bool reverse)
{
    switch (t) {
    case DTYPE_FLOAT:
        cumsum_f32(x, y, outer, n, inner, exclusive, reverse);
        break;
    case DTYPE_DOUBLE:
        cumsum_f64(x, y, outer, n, inner, exclusive, reverse);
        break;
    case DTYPE_INT32:
        cumsum_i32(x, y, outer, n, inner, exclusive, reverse);
        break;
    case DTYPE_INT64:
        cumsum_i64(x, y, outer, n, inner, exclusive, reverse);
        break;
    case DTYPE_UINT32:
        cumsum_u32(x, y, outer, n, inner, exclusive, reverse);
        break;
    case DTYPE_UINT64:
        cumsum_u64(x, y, outer, n, inner, exclusive, reverse);
        break;
    default:
        assert(!"dtype outside cumsum_info");
    }
}

status_t cumsum_run(op_call_t *call, error_t *err)
{
    const cumsum_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *axis_t = call->inputs[1];
    const int64_t axis_value = tensor_get_index(axis_t, 0);
    int64_t outer = 1, inner = 1;
    char buf[SHAPE_TEXT_MAX];
    int axis;

    /* The axis may arrive with the request, so it is checked here and not in the prototype. */
    if (!axis_normalize(axis_value, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input %s",
                            (long long)axis_value, shape_format(x->rank, x->dims, buf, sizeof buf));
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else if (i > axis)
            inner *= x->dims[i];
    }
    cumsum(x->dtype, x->data, call->outputs[0].data, outer, x->dims[axis], inner, p->exclusive,
           p->reverse);
    return STATUS_OK;
}
