/*
 * arg_cpu.c - ArgMax and ArgMin: the index of the largest or smallest
 * element along one axis.
 */
#include "reduce.h"

#include <assert.h>

/*
 * One definition per element type and direction. A contiguous axis (inner
 * == 1) is a plain scan; otherwise the n rows of each outer block are
 * compared element-wise against a running best row, so every inner loop
 * is contiguous. BETTER is the strict comparison (> for ArgMax, < for
 * ArgMin); BETTER_OR_TIE (>=, <=) moves ties to the last index.
 */
#define DEFINE_ARG(name, T, BETTER, BETTER_OR_TIE)                                                 \
    static void name(const T *x, int64_t *y, int64_t outer, int64_t n, int64_t inner,              \
                     bool select_last, T *best)                                                    \
    {                                                                                              \
        for (int64_t o = 0; o < outer; o++, x += n * inner, y += inner) {                          \
            if (inner == 1) {                                                                      \
                int64_t at = 0;                                                                    \
                for (int64_t k = 1; k < n; k++)                                                    \
                    if (select_last ? x[k] BETTER_OR_TIE x[at] : x[k] BETTER x[at])                \
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
                        bool take = row[j] BETTER_OR_TIE best[j];                                  \
                        best[j] = take ? row[j] : best[j];                                         \
                        y[j] = take ? k : y[j];                                                    \
                    }                                                                              \
                } else {                                                                           \
                    for (int64_t j = 0; j < inner; j++) {                                          \
                        bool take = row[j] BETTER best[j];                                         \
                        best[j] = take ? row[j] : best[j];                                         \
                        y[j] = take ? k : y[j];                                                    \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* X(suffix, C type, dtype) */
#define FOR_TYPES(X)                                                                               \
    X(f32, float, DTYPE_FLOAT)                                                                     \
    X(f64, double, DTYPE_DOUBLE)                                                                   \
    X(i8, int8_t, DTYPE_INT8)                                                                      \
    X(i16, int16_t, DTYPE_INT16)                                                                   \
    X(i32, int32_t, DTYPE_INT32)                                                                   \
    X(i64, int64_t, DTYPE_INT64)                                                                   \
    X(u8, uint8_t, DTYPE_UINT8)                                                                    \
    X(u16, uint16_t, DTYPE_UINT16)                                                                 \
    X(u32, uint32_t, DTYPE_UINT32)                                                                 \
    X(u64, uint64_t, DTYPE_UINT64)

#define DEFINE_BOTH(sfx, T, DT)                                                                    \
    DEFINE_ARG(argmax_##sfx, T, >, >=)                                                             \
    DEFINE_ARG(argmin_##sfx, T, <, <=)
FOR_TYPES(DEFINE_BOTH)

void arg_reduce(bool largest, dtype_t t, const void *x, int64_t *y, int64_t outer, int64_t n,
                int64_t inner, bool select_last, void *best)
{
#define CASE(sfx, T, DT)                                                                           \
    case DT:                                                                                       \
        if (largest)                                                                               \
            argmax_##sfx(x, y, outer, n, inner, select_last, best);                                \
        else                                                                                       \
            argmin_##sfx(x, y, outer, n, inner, select_last, best);                                \
        return;
    switch (t) {
        FOR_TYPES(CASE)
    default:
        assert(!"dtype outside the ArgMax/ArgMin info tables");
    }
#undef CASE
}

static status_t arg_run(op_call_t *call, bool largest)
{
    const argmax_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
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
    arg_reduce(largest, x->dtype, x->data, call->outputs[0].data, outer, n, inner,
               p->select_last_index, call->workspace);
    return STATUS_OK;
}

status_t argmax_run(op_call_t *call, error_t *err)
{
    return arg_run(call, true);
}

status_t argmin_run(op_call_t *call, error_t *err)
{
    return arg_run(call, false);
}
