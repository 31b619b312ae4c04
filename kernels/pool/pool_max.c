/*
 * pool_max.c - MaxPool (float, double, uint8, int8) and GlobalMaxPool (float, double).
 *
 * Windows are walked row by row: for each output row and each tap (kd, kh,
 * kw) landing inside the input, one loop over the output columns folds in
 * the input row, so the inner loop is a contiguous (or strided) running
 * maximum the compiler can vectorise. The walk is written once as a macro
 * and instantiated per element type.
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

/* Index of the first tap of a window with at least one tap inside the input, else -1. */
static int64_t first_tap_index(const pool_window_t *w, const pool_span_t *sd, const pool_span_t *sh,
                               const pool_span_t *sw, bool column_major)
{
    if (sd->first == sd->end || sh->first == sh->end || sw->first == sw->end)
        return -1;
    return plane_index(w, sd->start + sd->first * w->dilation[0],
                       sh->start + sh->first * w->dilation[1],
                       sw->start + sw->first * w->dilation[2], column_major);
}

/*
 * Indices: with strict comparisons the first maximum wins; a window whose
 * values all equal the type's lowest (or are NaN) keeps its first tap,
 * filled in after the row is done.
 */
#define POOL_MAX_DEFINE(name, type, lowest)                                                        \
    void name(const pool_window_t *w, const pool_span_t *spans, int64_t planes, const type *x,     \
              type *y, int64_t *indices, bool column_major)                                        \
    {                                                                                              \
        const pool_span_t *sd0 = spans, *sh0 = sd0 + w->out[0], *sw0 = sh0 + w->out[1];            \
        const int64_t in_size = w->in[0] * w->in[1] * w->in[2], ow_n = w->out[2];                  \
        const int64_t sw = w->stride[2];                                                           \
        for (int64_t p = 0; p < planes; p++) {                                                     \
            const type *xp = x + p * in_size;                                                      \
            for (const pool_span_t *sd = sd0; sd < sh0; sd++) {                                    \
                for (const pool_span_t *sh = sh0; sh < sw0; sh++) {                                \
                    for (int64_t ow = 0; ow < ow_n; ow++)                                          \
                        y[ow] = (lowest);                                                          \
                    for (int64_t ow = 0; ow < ow_n && indices; ow++)                               \
                        indices[ow] = -1;                                                          \
                    for (int64_t kd = sd->first; kd < sd->end; kd++) {                             \
                        int64_t id = sd->start + kd * w->dilation[0];                              \
                        for (int64_t kh = sh->first; kh < sh->end; kh++) {                         \
                            int64_t ih = sh->start + kh * w->dilation[1];                          \
                            const type *row = xp + (id * w->in[1] + ih) * w->in[2];                \
                            for (int64_t kw = 0; kw < w->kernel[2]; kw++) {                        \
                                int64_t lo, hi, iw;                                                \
                                pool_tap_columns(w, kw, &lo, &hi, &iw);                            \
                                if (lo < hi && !indices) {                                         \
                                    const type *src = row + iw;                                    \
                                    for (int64_t ow = lo; ow < hi; ow++, src += sw)                \
                                        y[ow] = *src > y[ow] ? *src : y[ow];                       \
                                }                                                                  \
                                for (int64_t ow = lo; ow < hi && indices; ow++, iw += sw) {        \
                                    if (row[iw] > y[ow]) {                                         \
                                        y[ow] = row[iw];                                           \
                                        indices[ow] = plane_index(w, id, ih, iw, column_major);    \
                                    }                                                              \
                                }                                                                  \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                    for (int64_t ow = 0; ow < ow_n && indices; ow++) {                             \
                        if (indices[ow] < 0)                                                       \
                            indices[ow] = first_tap_index(w, sd, sh, &sw0[ow], column_major);      \
                        if (indices[ow] >= 0)                                                      \
                            indices[ow] += p * in_size;                                            \
                    }                                                                              \
                    y += ow_n;                                                                     \
                    indices = indices ? indices + ow_n : NULL;                                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

POOL_MAX_DEFINE(pool_max_f32, float, -INFINITY)
POOL_MAX_DEFINE(pool_max_f64, double, -INFINITY)
POOL_MAX_DEFINE(pool_max_u8, uint8_t, 0)
POOL_MAX_DEFINE(pool_max_i8, int8_t, INT8_MIN)

#define POOL_GLOBAL_MAX_DEFINE(name, type)                                                         \
    void name(int64_t planes, int64_t size, const type *x, type *y)                                \
    {                                                                                              \
        for (int64_t p = 0; p < planes; p++, x += size) {                                          \
            type best = -INFINITY;                                                                 \
            for (int64_t i = 0; i < size; i++)                                                     \
                best = x[i] > best ? x[i] : best;                                                  \
            y[p] = best;                                                                           \
        }                                                                                          \
    }
POOL_GLOBAL_MAX_DEFINE(pool_global_max_f32, float)
POOL_GLOBAL_MAX_DEFINE(pool_global_max_f64, double)
