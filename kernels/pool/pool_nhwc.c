/*
 * pool_nhwc.c - channels-last pooling: each output position reduces the
 * channel vectors of its window's taps, so the inner loop runs over
 * contiguous channels and vectorises (the float max pool on AVX2 and
 * AVX-512 in pool_max_nhwc_simd.c). Output rows are split over threads.
 */
#include "pool_nhwc.h"

#include <math.h>

#include "cpu_isa.h"
#include "parallel.h"

/* One output row of the max pool in plain C. */
static void max_row_c(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                      int64_t c, const float *xn, float *yr)
{
    for (int64_t ow = 0; ow < w->out[2]; ow++) {
        const pool_span_t *sw = &sw0[ow];
        float *yo = yr + ow * c;
        for (int64_t k = 0; k < c; k++)
            yo[k] = -INFINITY;
        for (int64_t kh = sh->first; kh < sh->end; kh++) {
            const int64_t ih = sh->start + kh * w->dilation[1];
            for (int64_t kw = sw->first; kw < sw->end; kw++) {
                const float *xi = xn + (ih * w->in[2] + sw->start + kw * w->dilation[2]) * c;
                for (int64_t k = 0; k < c; k++)
                    yo[k] = xi[k] > yo[k] ? xi[k] : yo[k];
            }
        }
    }
}

typedef void (*max_row_fn)(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                           int64_t c, const float *xn, float *yr);

void pool_max_nhwc_f32(const pool_window_t *w, const pool_span_t *spans, int64_t batch, int64_t c,
                       const float *x, float *y, int threads)
{
    const pool_span_t *sh0 = spans + w->out[0], *sw0 = sh0 + w->out[1];
    const int64_t oh_n = w->out[1], ow_n = w->out[2];
    const int team = parallel_team(batch * oh_n * ow_n * c * w->kernel[1] * w->kernel[2], threads);
    const max_row_fn row_fn = cpu_isa() >= CPU_ISA_AVX512 ? pool_max_nhwc_row_avx512
                              : cpu_isa() >= CPU_ISA_AVX2 ? pool_max_nhwc_row_avx2
                                                          : max_row_c;

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t row = 0; row < batch * oh_n; row++)
        row_fn(w, &sh0[row % oh_n], sw0, c, x + row / oh_n * w->in[1] * w->in[2] * c,
               y + row * ow_n * c);
}

/*
 * The 8-bit max pools: the same loop on bytes (QDQ models' MaxPool between
 * quantized convolutions, engine/fuse_qdq.c). Padding never wins a max, as
 * in the float loop: only the window's in-image taps are read. The plain C
 * row reads and writes its output at every tap; the AVX2 and AVX-512 rows
 * keep it in a register (int8 ResNet-50's pool: 0.09 -> 0.02 ms per image).
 */
static inline __attribute__((always_inline)) void
max_row_8(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0, int64_t c,
          const bool is_signed, const uint8_t *xn, uint8_t *yr)
{
    for (int64_t ow = 0; ow < w->out[2]; ow++) {
        const pool_span_t *sw = &sw0[ow];
        uint8_t *yo = yr + ow * c;
        for (int64_t k = 0; k < c; k++)
            yo[k] = is_signed ? 0x80 : 0;
        for (int64_t kh = sh->first; kh < sh->end; kh++) {
            const int64_t ih = sh->start + kh * w->dilation[1];
            for (int64_t kw = sw->first; kw < sw->end; kw++) {
                const uint8_t *xi = xn + (ih * w->in[2] + sw->start + kw * w->dilation[2]) * c;
                for (int64_t k = 0; k < c; k++) {
                    const bool more = is_signed ? (int8_t)xi[k] > (int8_t)yo[k] : xi[k] > yo[k];
                    yo[k] = more ? xi[k] : yo[k];
                }
            }
        }
    }
}

static void max_row_8_c(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                        int64_t c, bool is_signed, const uint8_t *xn, uint8_t *yr)
{
    if (is_signed)
        max_row_8(w, sh, sw0, c, true, xn, yr);
    else
        max_row_8(w, sh, sw0, c, false, xn, yr);
}

typedef void (*max_row_8_fn)(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0,
                             int64_t c, bool is_signed, const uint8_t *xn, uint8_t *yr);

void pool_max_nhwc_8(const pool_window_t *w, const pool_span_t *spans, int64_t batch, int64_t c,
                     bool is_signed, const uint8_t *x, uint8_t *y, int threads)
{
    const pool_span_t *sh0 = spans + w->out[0], *sw0 = sh0 + w->out[1];
    const int64_t oh_n = w->out[1], ow_n = w->out[2];
    const int team =
        parallel_team(batch * oh_n * ow_n * c * w->kernel[1] * w->kernel[2] / 4, threads);
    const max_row_8_fn row_fn = cpu_isa() >= CPU_ISA_AVX512 ? pool_max_nhwc_row_8_avx512
                                : cpu_isa() >= CPU_ISA_AVX2 ? pool_max_nhwc_row_8_avx2
                                                            : max_row_8_c;

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t row = 0; row < batch * oh_n; row++)
        row_fn(w, &sh0[row % oh_n], sw0, c, is_signed, x + row / oh_n * w->in[1] * w->in[2] * c,
               y + row * ow_n * c);
}

void pool_average_nhwc_f32(const pool_window_t *w, const pool_span_t *spans, int64_t batch,
                           int64_t c, bool count_include_pad, const float *x, float *y, int threads)
{
    const pool_span_t *sh0 = spans + w->out[0], *sw0 = sh0 + w->out[1];
    const int64_t oh_n = w->out[1], ow_n = w->out[2];
    const int team = parallel_team(batch * oh_n * ow_n * c * w->kernel[1] * w->kernel[2], threads);

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t row = 0; row < batch * oh_n; row++) {
        const pool_span_t *sh = &sh0[row % oh_n];
        const float *xn = x + row / oh_n * w->in[1] * w->in[2] * c;
        float *yr = y + row * ow_n * c;
        for (int64_t ow = 0; ow < ow_n; ow++) {
            const pool_span_t *sw = &sw0[ow];
            const int64_t count = count_include_pad ? sh->padded * sw->padded
                                                    : (sh->end - sh->first) * (sw->end - sw->first);
            /* A window entirely in padding averages nothing: 0, not NaN. */
            const float scale = count > 0 ? 1.0f / (float)count : 0.0f;
            float *yo = yr + ow * c;
            for (int64_t k = 0; k < c; k++)
                yo[k] = 0.0f;
            for (int64_t kh = sh->first; kh < sh->end; kh++) {
                const int64_t ih = sh->start + kh * w->dilation[1];
                for (int64_t kw = sw->first; kw < sw->end; kw++) {
                    const float *xi = xn + (ih * w->in[2] + sw->start + kw * w->dilation[2]) * c;
                    for (int64_t k = 0; k < c; k++)
                        yo[k] += xi[k];
                }
            }
            for (int64_t k = 0; k < c; k++)
                yo[k] *= scale;
        }
    }
}

void pool_global_average_nhwc_f32(int64_t batch, int64_t size, int64_t c, const float *x, float *y)
{
    const float scale = size > 0 ? 1.0f / (float)size : 0.0f;

    for (int64_t n = 0; n < batch; n++, y += c) {
        for (int64_t k = 0; k < c; k++)
            y[k] = 0.0f;
        for (int64_t i = 0; i < size; i++, x += c)
            for (int64_t k = 0; k < c; k++)
                y[k] += x[k];
        for (int64_t k = 0; k < c; k++)
            y[k] *= scale;
    }
}

/* The window and its span tables (in the workspace infer sized). */
static const pool_span_t *resolve_spans(op_call_t *call, pool_window_t *w, error_t *err)
{
    tensor_t shape;

    if (pool_nhwc_resolve(call, w, &shape, err))
        return NULL;
    pool_spans(w, call->workspace);
    return call->workspace;
}

status_t max_pool_nhwc_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    pool_window_t w;
    const pool_span_t *spans = resolve_spans(call, &w, err);

    if (!spans)
        return err->code;
    if (x->dtype == DTYPE_UINT8 || x->dtype == DTYPE_INT8)
        pool_max_nhwc_8(&w, spans, x->dims[0], x->dims[3], x->dtype == DTYPE_INT8, x->data,
                        call->outputs[0].data, call->threads);
    else
        pool_max_nhwc_f32(&w, spans, x->dims[0], x->dims[3], x->data, call->outputs[0].data,
                          call->threads);
    return STATUS_OK;
}

status_t average_pool_nhwc_run(op_call_t *call, error_t *err)
{
    const pool_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    pool_window_t w;
    const pool_span_t *spans = resolve_spans(call, &w, err);

    if (!spans)
        return err->code;
    pool_average_nhwc_f32(&w, spans, x->dims[0], x->dims[3], p->count_include_pad, x->data,
                          call->outputs[0].data, call->threads);
    return STATUS_OK;
}

status_t global_average_pool_nhwc_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    pool_global_average_nhwc_f32(x->dims[0], x->dims[1] * x->dims[2], x->dims[3], x->data,
                                 call->outputs[0].data);
    return STATUS_OK;
}
