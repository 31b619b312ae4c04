#include "reduce.h"

#include <assert.h>

/*
 * One definition per element type. A contiguous axis (inner == 1) is a
 * plain scan; otherwise the n rows of each outer block are compared
 * element-wise against a running best row, so every inner loop is contiguous.
 * ">=" instead of ">" moves ties to the last index.
 */
#define DEFINE_ARGMAX(T, SUF)                                                                      \
    void argmax_##SUF(const T *x, int64_t *y, int64_t outer, int64_t n, int64_t inner,             \
                      bool select_last, T *best)                                                   \
    {                                                                                              \
        for (int64_t o = 0; o < outer; o++, x += n * inner, y += inner) {                          \
            if (inner == 1) {                                                                      \
                int64_t at = 0;                                                                    \
                for (int64_t k = 1; k < n; k++)                                                    \
                    if (select_last ? x[k] >= x[at] : x[k] > x[at])                                \
                        at = k;                                                                    \
                *y = at;                                                                           \
                continue;                                                                          \
            }                                                                                      \
            for (int64_t j = 0; j < inner; j++) {                                                  \
                best[j] = x[j];                                                                    \
                y[j] = 0;                                                                          \
            }                                                                                      \
            for (int64_t k = 1; k < n; k++) {                                                      \
                const T *row = x + k * inner;                                                      \
                if (select_last) {                                                                 \
                    for (int64_t j = 0; j < inner; j++) {                                          \
                        bool take = row[j] >= best[j];                                             \
                        best[j] = take ? row[j] : best[j];                                         \
                        y[j] = take ? k : y[j];                                                    \
                    }                                                                              \
                } else {                                                                           \
                    for (int64_t j = 0; j < inner; j++) {                                          \
                        bool take = row[j] > best[j];                                              \
                        best[j] = take ? row[j] : best[j];                                         \
                        y[j] = take ? k : y[j];                                                    \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

DEFINE_ARGMAX(float, f32)
DEFINE_ARGMAX(int32_t, i32)
DEFINE_ARGMAX(int64_t, i64)

status_t argmax_run(op_call_t *call, error_t *err)
{
    const argmax_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t *y = call->outputs[0].data;
    int64_t outer = 1, n, inner = 1;
    int axis;
    bool ok = axis_normalize(p->axis, x->rank, false, &axis);

    assert(ok);
    (void)ok;
    n = x->dims[axis];
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else if (i > axis)
            inner *= x->dims[i];
    }
    switch (x->dtype) {
    case DTYPE_FLOAT:
        argmax_f32(x->data, y, outer, n, inner, p->select_last_index, call->workspace);
        break;
    case DTYPE_INT32:
        argmax_i32(x->data, y, outer, n, inner, p->select_last_index, call->workspace);
        break;
    case DTYPE_INT64:
        argmax_i64(x->data, y, outer, n, inner, p->select_last_index, call->workspace);
        break;
    default:
        assert(!"dtype outside argmax_info");
    }
    return STATUS_OK;
}
