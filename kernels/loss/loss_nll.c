/*
 * loss_nll.c - the negative log-likelihood both losses end with. Targets
 * are checked before anything is written, so a hostile target fails
 * cleanly; sums run in double.
 */
#include "loss.h"

#include <math.h>

static double read_real(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static void write_real(dtype_t t, void *p, int64_t i, double v)
{
    if (t == DTYPE_FLOAT)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

int64_t loss_nll(dtype_t t, const loss_params_t *p, const loss_shape_t *s, const void *logp,
                 const tensor_t *target, const void *weight, void *y)
{
    const int64_t count = s->n * s->d;
    double sum = 0, weights = 0;

    for (int64_t i = 0; i < count; i++) {
        const int64_t v = tensor_get_index(target, i);
        if ((!p->has_ignore_index || v != p->ignore_index) && (v < 0 || v >= s->c))
            return i;
    }
    for (int64_t i = 0; i < count; i++) {
        const int64_t n = i / s->d, d = i % s->d, v = tensor_get_index(target, i);
        double w = 0, loss = 0;
        if (!p->has_ignore_index || v != p->ignore_index) {
            w = weight ? read_real(t, weight, v) : 1.0;
            loss = -w * read_real(t, logp, (n * s->c + v) * s->d + d);
        }
        if (p->reduction == LOSS_NONE)
            write_real(t, y, i, loss);
        sum += loss;
        weights += w;
    }
    if (p->reduction == LOSS_SUM)
        write_real(t, y, 0, sum);
    else if (p->reduction == LOSS_MEAN)
        write_real(t, y, 0, sum / weights); /* 0 / 0 is NaN, as the reference gives */
    return -1;
}

#define LOSS_DEFINE_LOG_SOFTMAX(name, T)                                                           \
    static void name(const loss_shape_t *s, const T *x, T *logp)                                   \
    {                                                                                              \
        for (int64_t n = 0; n < s->n; n++) {                                                       \
            const T *xn = x + n * s->c * s->d;                                                     \
            T *ln = logp + n * s->c * s->d;                                                        \
            for (int64_t d = 0; d < s->d; d++) {                                                   \
                double max = -INFINITY, sum = 0;                                                   \
                for (int64_t c = 0; c < s->c; c++)                                                 \
                    max = xn[c * s->d + d] > max ? xn[c * s->d + d] : max;                         \
                for (int64_t c = 0; c < s->c; c++)                                                 \
                    sum += exp(xn[c * s->d + d] - max);                                            \
                for (int64_t c = 0; c < s->c; c++)                                                 \
                    ln[c * s->d + d] = (T)(xn[c * s->d + d] - max - log(sum));                     \
            }                                                                                      \
        }                                                                                          \
    }

LOSS_DEFINE_LOG_SOFTMAX(log_softmax_f32, float)
LOSS_DEFINE_LOG_SOFTMAX(log_softmax_f64, double)

void loss_log_softmax(dtype_t t, const loss_shape_t *s, const void *x, void *logp)
{
    if (t == DTYPE_FLOAT)
        log_softmax_f32(s, x, logp);
    else
        log_softmax_f64(s, x, logp);
}
