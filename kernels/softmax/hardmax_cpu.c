/*
 * hardmax_cpu.c - Hardmax: 1 at the first largest element of each run
 * along the normalised extent (softmax_geometry), 0 elsewhere.
 */
#include "softmax.h"

#include <assert.h>
#include <string.h>

/*
 * x and y viewed as [outer, n, inner]. A contiguous run (inner == 1) is a
 * plain scan; otherwise each outer block compares its n rows element-wise
 * against a running best row (best, at: inner entries each), so the inner
 * loops are contiguous.
 */
#define DEFINE_HARDMAX(name, T)                                                                    \
    static void name(const T *x, T *y, int64_t outer, int64_t n, int64_t inner, T *best,           \
                     int64_t *at)                                                                  \
    {                                                                                              \
        memset(y, 0, (size_t)(outer * n * inner) * sizeof *y);                                     \
        for (int64_t o = 0; o < outer; o++, x += n * inner, y += n * inner) {                      \
            if (inner == 1) {                                                                      \
                int64_t k_best = 0;                                                                \
                for (int64_t k = 1; k < n; k++)                                                    \
                    k_best = x[k] > x[k_best] ? k : k_best;                                        \
                y[k_best] = 1;                                                                     \
                continue;                                                                          \
            }                                                                                      \
            for (int64_t j = 0; j < inner; j++) {                                                  \
                best[j] = x[j];                                                                    \
                at[j] = 0;                                                                         \
            }                                                                                      \
            for (int64_t k = 1; k < n; k++) {                                                      \
                const T *row = x + k * inner;                                                      \
                for (int64_t j = 0; j < inner; j++) {                                              \
                    bool take = row[j] > best[j];                                                  \
                    best[j] = take ? row[j] : best[j];                                             \
                    at[j] = take ? k : at[j];                                                      \
                }                                                                                  \
            }                                                                                      \
            for (int64_t j = 0; j < inner; j++)                                                    \
                y[at[j] * inner + j] = 1;                                                          \
        }                                                                                          \
    }

DEFINE_HARDMAX(hardmax_f32, float)
DEFINE_HARDMAX(hardmax_f64, double)

status_t hardmax_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    int64_t outer, n, inner;
    bool ok = softmax_geometry(call->params, x, &outer, &n, &inner);
    /* The workspace (hardmax_workspace) holds the indices first, then the best values. */
    int64_t *at = call->workspace;
    void *best = at + inner;

    assert(ok);
    (void)ok;
    if (n == 0)
        return STATUS_OK;
    if (x->dtype == DTYPE_FLOAT) {
        hardmax_f32(x->data, call->outputs[0].data, outer, n, inner, best, at);
    } else {
        assert(x->dtype == DTYPE_DOUBLE); /* hardmax_info admits float and double */
        hardmax_f64(x->data, call->outputs[0].data, outer, n, inner, best, at);
    }
    return STATUS_OK;
}
