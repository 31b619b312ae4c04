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
