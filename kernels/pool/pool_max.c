/*
 * pool_max.c - MaxPool (float, uint8, int8) and GlobalMaxPool. The window
 * walk is written once as a macro and instantiated per element type.
 */
#include "pool.h"

#include <math.h>
#include <stdint.h>

/* Flat index of (d, h, w) inside one plane of the input. */
static int64_t plane_index(const pool_window_t *w, int64_t d, int64_t h, int64_t x,
                           bool column_major)
{
    if (column_major)
        return d + h * w->in[0] + x * w->in[0] * w->in[1];
    return (d * w->in[1] + h) * w->in[2] + x;
}

#define POOL_MAX_DEFINE(name, type, lowest)                                                        \
    void name(const pool_window_t *w, const pool_span_t *spans, int64_t planes, const type *x,     \
              type *y, int64_t *indices, bool column_major)                                        \
    {                                                                                              \
        const pool_span_t *sd0 = spans, *sh0 = sd0 + w->out[0], *sw0 = sh0 + w->out[1];            \
        const int64_t in_size = w->in[0] * w->in[1] * w->in[2];                                    \
        for (int64_t p = 0; p < planes; p++) {                                                     \
            const type *xp = x + p * in_size;                                                      \
            for (const pool_span_t *sd = sd0; sd < sh0; sd++) {                                    \
                for (const pool_span_t *sh = sh0; sh < sw0; sh++) {                                \
                    for (const pool_span_t *sw = sw0; sw < sw0 + w->out[2]; sw++) {                \
                        type best = (lowest);                                                      \
                        int64_t bd = -1, bh = -1, bw = -1;                                         \
                        for (int64_t kd = sd->first; kd < sd->end; kd++) {                         \
                            int64_t id = sd->start + kd * w->dilation[0];                          \
                            for (int64_t kh = sh->first; kh < sh->end; kh++) {                     \
                                int64_t ih = sh->start + kh * w->dilation[1];                      \
                                const type *row = xp + (id * w->in[1] + ih) * w->in[2];            \
                                int64_t iw = sw->start + sw->first * w->dilation[2];               \
                                for (int64_t kw = sw->first; kw < sw->end;                         \
                                     kw++, iw += w->dilation[2]) {                                 \
                                    if (row[iw] > best || bd < 0) {                                \
                                        best = row[iw];                                            \
                                        bd = id;                                                   \
                                        bh = ih;                                                   \
                                        bw = iw;                                                   \
                                    }                                                              \
                                }                                                                  \
                            }                                                                      \
                        }                                                                          \
                        *y++ = best;                                                               \
                        if (indices)                                                               \
                            *indices++ =                                                           \
                                bd < 0 ? -1                                                        \
                                       : p * in_size + plane_index(w, bd, bh, bw, column_major);   \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

POOL_MAX_DEFINE(pool_max_f32, float, -INFINITY)
POOL_MAX_DEFINE(pool_max_u8, uint8_t, 0)
POOL_MAX_DEFINE(pool_max_i8, int8_t, INT8_MIN)

void pool_global_max_f32(int64_t planes, int64_t size, const float *x, float *y)
{
    for (int64_t p = 0; p < planes; p++, x += size) {
        float best = -INFINITY;
        for (int64_t i = 0; i < size; i++)
            best = x[i] > best ? x[i] : best;
        y[p] = best;
    }
}
