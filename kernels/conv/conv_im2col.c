/*
 * conv_im2col.c - moving between an image and its column matrix.
 *
 * Column row (c * K + tap) holds, for every output position, the image value
 * under that tap, so a convolution is one GEMM with the weights viewed as
 * [M][C * K]. Both directions walk the same rows: per (channel, tap, depth,
 * height) the width positions whose tap lands inside the image form one
 * contiguous range, found once per tap, so the inner loop has no bounds
 * tests and no division.
 */
#include "conv.h"

#include <assert.h>
#include <string.h>

int64_t conv_window_kernel_size(const conv_window_t *w)
{
    return w->kernel[0] * w->kernel[1] * w->kernel[2];
}

int64_t conv_window_image_size(const conv_window_t *w)
{
    return w->image[0] * w->image[1] * w->image[2];
}

int64_t conv_window_cols_size(const conv_window_t *w)
{
    return w->cols[0] * w->cols[1] * w->cols[2];
}

bool conv_window_is_pointwise(const conv_window_t *w)
{
    for (int i = 0; i < CONV_MAX_SPATIAL; i++)
        if (w->kernel[i] != 1 || w->stride[i] != 1 || w->pad[i] != 0 || w->image[i] != w->cols[i])
            return false;
    return true;
}

void conv_valid_cols(int64_t offset, int64_t stride, int64_t size, int64_t n, int64_t *lo,
                     int64_t *hi)
{
    int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t end = size - offset <= 0 ? 0 : (size - offset - 1) / stride + 1;

    first = first < n ? first : n;
    end = end < n ? end : n;
    *lo = first;
    *hi = end > first ? end : first;
}

static bool in_range(int64_t i, int64_t size)
{
    return i >= 0 && i < size;
}

static void gather_row(const float *img, int64_t start, int64_t stride, int64_t lo, int64_t hi,
                       int64_t n, float *row)
{
    memset(row, 0, (size_t)lo * sizeof *row);
    if (stride == 1) {
        memcpy(row + lo, img + start, (size_t)(hi - lo) * sizeof *row);
    } else {
        const float *src = img + start;
        for (int64_t i = lo; i < hi; i++, src += stride)
            row[i] = *src;
    }
    memset(row + hi, 0, (size_t)(n - hi) * sizeof *row);
}

static void scatter_row(const float *row, int64_t start, int64_t stride, int64_t lo, int64_t hi,
                        float *img)
{
    float *dst = img + start;
    for (int64_t i = lo; i < hi; i++, dst += stride)
        *dst += row[i];
}

/* gather: image -> col (im2col); otherwise col is added into image (col2im). */
static void walk_rows(const conv_window_t *w, int64_t channels, float *image, float *col,
                      bool gather)
{
    const int64_t id_n = w->image[0], ih_n = w->image[1], iw_n = w->image[2];
    const int64_t od_n = w->cols[0], oh_n = w->cols[1], ow_n = w->cols[2];
    const int64_t image_size = conv_window_image_size(w);

    for (int64_t c = 0; c < channels; c++) {
        float *img = image + c * image_size;
        for (int64_t kd = 0; kd < w->kernel[0]; kd++) {
            for (int64_t kh = 0; kh < w->kernel[1]; kh++) {
                for (int64_t kw = 0; kw < w->kernel[2]; kw++) {
                    int64_t off_w = kw * w->dilation[2] - w->pad[2];
                    int64_t lo, hi;
                    conv_valid_cols(off_w, w->stride[2], iw_n, ow_n, &lo, &hi);
                    for (int64_t od = 0; od < od_n; od++) {
                        int64_t id = od * w->stride[0] + kd * w->dilation[0] - w->pad[0];
                        for (int64_t oh = 0; oh < oh_n; oh++, col += ow_n) {
                            int64_t ih = oh * w->stride[1] + kh * w->dilation[1] - w->pad[1];
                            bool inside = in_range(id, id_n) && in_range(ih, ih_n) && lo < hi;
                            int64_t start = (id * ih_n + ih) * iw_n + lo * w->stride[2] + off_w;
                            if (gather && !inside)
                                memset(col, 0, (size_t)ow_n * sizeof *col);
                            else if (gather)
                                gather_row(img, start, w->stride[2], lo, hi, ow_n, col);
                            else if (inside)
                                scatter_row(col, start, w->stride[2], lo, hi, img);
                        }
                    }
                }
            }
        }
    }
}

void conv_im2col(const conv_window_t *w, int64_t channels, const float *image, float *col)
{
    assert(w && image && col);
    /* The gather direction only reads image; walk_rows is shared with col2im. */
    walk_rows(w, channels, (float *)image, col, true);
}

void conv_col2im(const conv_window_t *w, int64_t channels, const float *col, float *image)
{
    assert(w && image && col);
    walk_rows(w, channels, image, (float *)col, false);
}
