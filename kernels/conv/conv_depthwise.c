/*
 * conv_depthwise.c - Conv with one input and one output channel per group.
 *
 * Per output row and per tap, the output columns whose tap lands inside the
 * input form one range; the inner loop is then an axpy along the input row
 * (contiguous for stride 1), with no column matrix.
 */
#include "conv.h"

bool conv_is_depthwise(const conv_geom_t *g)
{
    return g->group == g->in_channels && g->group == g->out_channels;
}

/* y_row[lo, hi) += weight * x[first + (col - lo) * stride]. */
static void axpy_row(float weight, const float *restrict x, int64_t stride, int64_t lo, int64_t hi,
                     float *restrict y_row)
{
    if (stride == 1) {
        x -= lo;
        for (int64_t i = lo; i < hi; i++)
            y_row[i] += weight * x[i];
        return;
    }
    for (int64_t i = lo; i < hi; i++, x += stride)
        y_row[i] += weight * *x;
}

static void depthwise_channel(const conv_window_t *win, const float *x, const float *w, float bias,
                              float *y)
{
    const int64_t ih_n = win->image[1], iw_n = win->image[2];
    const int64_t oh_n = win->cols[1], ow_n = win->cols[2];

    for (int64_t od = 0; od < win->cols[0]; od++) {
        for (int64_t oh = 0; oh < oh_n; oh++, y += ow_n) {
            for (int64_t i = 0; i < ow_n; i++)
                y[i] = bias;
            for (int64_t kd = 0; kd < win->kernel[0]; kd++) {
                int64_t id = od * win->stride[0] + kd * win->dilation[0] - win->pad[0];
                if (id < 0 || id >= win->image[0])
                    continue;
                for (int64_t kh = 0; kh < win->kernel[1]; kh++) {
                    int64_t ih = oh * win->stride[1] + kh * win->dilation[1] - win->pad[1];
                    const float *row = x + (id * ih_n + ih) * iw_n;
                    const float *taps = w + (kd * win->kernel[1] + kh) * win->kernel[2];
                    if (ih < 0 || ih >= ih_n)
                        continue;
                    for (int64_t kw = 0; kw < win->kernel[2]; kw++) {
                        int64_t offset = kw * win->dilation[2] - win->pad[2], lo, hi;
                        conv_valid_cols(offset, win->stride[2], iw_n, ow_n, &lo, &hi);
                        if (lo < hi)
                            axpy_row(taps[kw], row + lo * win->stride[2] + offset, win->stride[2],
                                     lo, hi, y);
                    }
                }
            }
        }
    }
}

void conv_depthwise_f32(const conv_geom_t *g, const float *x, const float *w, const float *b,
                        float *y)
{
    const int64_t image = conv_window_image_size(&g->win), p = conv_window_cols_size(&g->win);
    const int64_t k = conv_window_kernel_size(&g->win);

    for (int64_t n = 0; n < g->batch; n++)
        for (int64_t c = 0; c < g->in_channels; c++)
            depthwise_channel(&g->win, x + (n * g->in_channels + c) * image, w + c * k,
                              b ? b[c] : 0.0f, y + (n * g->out_channels + c) * p);
}
