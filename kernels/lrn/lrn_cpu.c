/*
 * lrn_cpu.c - LRN: each element sums the squares over its channel window
 * in double, for float32 too, so a wide window loses no precision.
 */
#include "lrn.h"

#include <math.h>

#define LRN_DEFINE(name, T, ACC, POW)                                                              \
    void name(const lrn_params_t *p, const T *x, T *y, int64_t n, int64_t c, int64_t spatial)      \
    {                                                                                              \
        const int64_t before = (p->size - 1) / 2, after = p->size - 1 - before;                    \
        const ACC scale = (ACC)p->alpha / (ACC)p->size;                                            \
        for (int64_t b = 0; b < n; b++) {                                                          \
            const T *xb = x + b * c * spatial;                                                     \
            T *yb = y + b * c * spatial;                                                           \
            for (int64_t ch = 0; ch < c; ch++) {                                                   \
                const int64_t lo = ch - before < 0 ? 0 : ch - before;                              \
                const int64_t hi = ch + after >= c ? c - 1 : ch + after;                           \
                for (int64_t s = 0; s < spatial; s++) {                                            \
                    ACC sum = 0;                                                                   \
                    for (int64_t k = lo; k <= hi; k++) {                                           \
                        const ACC v = xb[k * spatial + s];                                         \
                        sum += v * v;                                                              \
                    }                                                                              \
                    yb[ch * spatial + s] =                                                         \
                        (T)(xb[ch * spatial + s] / POW((ACC)p->bias + scale * sum, (ACC)p->beta)); \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

LRN_DEFINE(lrn_f32, float, double, pow)
LRN_DEFINE(lrn_f64, double, double, pow)

status_t lrn_run(op_call_t *call, error_t *err)
{
    const lrn_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t spatial = 1;

    (void)err;
    for (int d = 2; d < x->rank; d++)
        spatial *= x->dims[d];
    if (x->dtype == DTYPE_FLOAT)
        lrn_f32(p, x->data, call->outputs[0].data, x->dims[0], x->dims[1], spatial);
    else
        lrn_f64(p, x->data, call->outputs[0].data, x->dims[0], x->dims[1], spatial);
    return STATUS_OK;
}
