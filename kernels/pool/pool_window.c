/*
 * pool_window.c - per-axis window spans. Computing, once per output index,
 * which taps fall inside the input keeps bounds tests and divisions out of
 * the pooling loops.
 */
#include "pool.h"

int64_t pool_spans_count(const pool_window_t *w)
{
    return w->out[0] + w->out[1] + w->out[2];
}

/* Taps k in [0, kernel) with start + k * dilation < limit. */
static int64_t taps_below(int64_t start, int64_t dilation, int64_t kernel, int64_t limit)
{
    int64_t n = limit - start <= 0 ? 0 : (limit - start - 1) / dilation + 1;
    return n < kernel ? n : kernel;
}

void pool_spans(const pool_window_t *w, pool_span_t *spans)
{
    for (int a = 0; a < POOL_MAX_SPATIAL; a++) {
        const int64_t d = w->dilation[a], k = w->kernel[a];
        for (int64_t o = 0; o < w->out[a]; o++, spans++) {
            int64_t start = o * w->stride[a] - w->pad_begin[a];
            int64_t first = start >= 0 ? 0 : (-start + d - 1) / d;
            int64_t end = taps_below(start, d, k, w->in[a]);

            spans->start = start;
            spans->first = first < k ? first : k;
            spans->end = end > spans->first ? end : spans->first;
            spans->padded = taps_below(start, d, k, w->in[a] + w->pad_end[a]);
        }
    }
}

void pool_tap_columns(const pool_window_t *w, int64_t kw, int64_t *lo, int64_t *hi,
                      int64_t *first_index)
{
    const int64_t s = w->stride[2], n = w->out[2];
    const int64_t offset = kw * w->dilation[2] - w->pad_begin[2]; /* input index at column 0 */
    int64_t first = offset >= 0 ? 0 : (-offset + s - 1) / s;
    int64_t end = w->in[2] - offset <= 0 ? 0 : (w->in[2] - offset - 1) / s + 1;

    first = first < n ? first : n;
    end = end < n ? end : n;
    *lo = first;
    *hi = end > first ? end : first;
    *first_index = first * s + offset;
}
