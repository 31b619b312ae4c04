/*
 * pool_average.c - AveragePool and GlobalAveragePool on float and double
 * (one macro each, instantiated per type). Window sums
 * are gathered row by row like the maxima in pool_max.c, then each output
 * is divided by its tap count.
 */
#include "pool.h"

/* A window entirely in padding averages nothing: 0, not NaN. */
#define POOL_AVERAGE_DEFINE(name, type)                                                            \
    void name(const pool_window_t *w, const pool_span_t *spans, int64_t planes,                    \
              bool count_include_pad, const type *x, type *y)                                      \
    {                                                                                              \
        const pool_span_t *sd0 = spans, *sh0 = sd0 + w->out[0], *sw0 = sh0 + w->out[1];            \
        const int64_t in_size = w->in[0] * w->in[1] * w->in[2], ow_n = w->out[2];                  \
        const int64_t sw = w->stride[2];                                                           \
                                                                                                   \
        for (int64_t p = 0; p < planes; p++) {                                                     \
            const type *xp = x + p * in_size;                                                      \
            for (const pool_span_t *sd = sd0; sd < sh0; sd++) {                                    \
                for (const pool_span_t *sh = sh0; sh < sw0; sh++, y += ow_n) {                     \
                    int64_t rows = count_include_pad                                               \
                                       ? sd->padded * sh->padded                                   \
                                       : (sd->end - sd->first) * (sh->end - sh->first);            \
                    for (int64_t ow = 0; ow < ow_n; ow++)                                          \
                        y[ow] = 0;                                                                 \
                    for (int64_t kd = sd->first; kd < sd->end; kd++) {                             \
                        int64_t id = sd->start + kd * w->dilation[0];                              \
                        for (int64_t kh = sh->first; kh < sh->end; kh++) {                         \
                            int64_t ih = sh->start + kh * w->dilation[1];                          \
                            const type *row = xp + (id * w->in[1] + ih) * w->in[2];                \
                            for (int64_t kw = 0; kw < w->kernel[2]; kw++) {                        \
                                int64_t lo, hi, iw0;                                               \
                                pool_tap_columns(w, kw, &lo, &hi, &iw0);                           \
                                if (lo >= hi)                                                      \
                                    continue;                                                      \
                                const type *src = row + iw0;                                       \
                                for (int64_t ow = lo; ow < hi; ow++, src += sw)                    \
                                    y[ow] += *src;                                                 \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                    for (int64_t ow = 0; ow < ow_n; ow++) {                                        \
                        const pool_span_t *s = &sw0[ow];                                           \
                        int64_t count =                                                            \
                            rows * (count_include_pad ? s->padded : s->end - s->first);            \
                                                                                                   \
                        y[ow] = count > 0 ? y[ow] / (type)count : 0;                               \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
POOL_AVERAGE_DEFINE(pool_average_f32, float)
POOL_AVERAGE_DEFINE(pool_average_f64, double)

#define POOL_GLOBAL_AVERAGE_DEFINE(name, type)                                                     \
    void name(int64_t planes, int64_t size, const type *x, type *y)                                \
    {                                                                                              \
        for (int64_t p = 0; p < planes; p++, x += size) {                                          \
            type sum = 0;                                                                          \
            for (int64_t i = 0; i < size; i++)                                                     \
                sum += x[i];                                                                       \
            y[p] = size > 0 ? sum / (type)size : 0;                                                \
        }                                                                                          \
    }
POOL_GLOBAL_AVERAGE_DEFINE(pool_global_average_f32, float)
POOL_GLOBAL_AVERAGE_DEFINE(pool_global_average_f64, double)
