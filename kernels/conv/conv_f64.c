/*
 * conv_f64.c - double Conv and ConvTranspose: the GEMMs of conv_f32.c on
 * cblas_dgemm, with a plain im2col/col2im. Double convolutions are rare
 * (reference models, scientific exports), so this path favours being
 * obviously right over speed: no depthwise, pointwise or Winograd shortcuts,
 * and the float32 code stays as it is.
 */
#include "conv.h"

#include <assert.h>
#include <cblas.h>
#include <pthread.h>

static pthread_once_t blas_threads_once = PTHREAD_ONCE_INIT;

/* As in conv_f32.c: OpenBLAS stays on the calling thread beside the plan's threads. */
static void blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

int64_t conv_f64_workspace(const conv_geom_t *g)
{
    return g->in_channels / g->group * conv_window_kernel_size(&g->win) *
           conv_window_cols_size(&g->win);
}

int64_t conv_transpose_f64_workspace(const conv_geom_t *g)
{
    return g->out_channels / g->group * conv_window_kernel_size(&g->win) *
           conv_window_cols_size(&g->win);
}

/*
 * Walks column row (c * K + tap), position (od, oh, ow) and its image index;
 * gather copies image into col (0 for padding), otherwise col is added into
 * image (padding taps dropped).
 */
static void walk_f64(const conv_window_t *w, int64_t channels, double *image, double *col,
                     bool gather)
{
    const int64_t image_size = conv_window_image_size(w);

    for (int64_t c = 0; c < channels; c++) {
        double *img = image + c * image_size;
        for (int64_t kd = 0; kd < w->kernel[0]; kd++)
            for (int64_t kh = 0; kh < w->kernel[1]; kh++)
                for (int64_t kw = 0; kw < w->kernel[2]; kw++)
                    for (int64_t od = 0; od < w->cols[0]; od++) {
                        int64_t id = od * w->stride[0] + kd * w->dilation[0] - w->pad[0];
                        for (int64_t oh = 0; oh < w->cols[1]; oh++) {
                            int64_t ih = oh * w->stride[1] + kh * w->dilation[1] - w->pad[1];
                            for (int64_t ow = 0; ow < w->cols[2]; ow++, col++) {
                                int64_t iw = ow * w->stride[2] + kw * w->dilation[2] - w->pad[2];
                                bool inside = id >= 0 && id < w->image[0] && ih >= 0 &&
                                              ih < w->image[1] && iw >= 0 && iw < w->image[2];
                                int64_t at = (id * w->image[1] + ih) * w->image[2] + iw;
                                if (gather)
                                    *col = inside ? img[at] : 0.0;
                                else if (inside)
                                    img[at] += *col;
                            }
                        }
                    }
    }
}

static void fill_bias_f64(double *y, const double *b, int64_t channels, int64_t size)
{
    for (int64_t c = 0; c < channels; c++)
        for (int64_t i = 0; i < size; i++)
            y[c * size + i] = b ? b[c] : 0.0;
}

void conv_f64(const conv_geom_t *g, const double *x, const double *w, const double *b, double *y,
              double *col)
{
    const int64_t cg = g->in_channels / g->group, mg = g->out_channels / g->group;
    const int64_t ck = cg * conv_window_kernel_size(&g->win);
    const int64_t image = conv_window_image_size(&g->win), p = conv_window_cols_size(&g->win);

    assert(col);
    pthread_once(&blas_threads_once, blas_single_thread);
    for (int64_t n = 0; n < g->batch; n++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            const double *xg = x + (n * g->in_channels + grp * cg) * image;
            double *yg = y + (n * g->out_channels + grp * mg) * p;

            walk_f64(&g->win, cg, (double *)xg, col, true); /* gather only reads xg */
            fill_bias_f64(yg, b ? b + grp * mg : NULL, mg, p);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)mg, (int)p, (int)ck, 1.0,
                        w + grp * mg * ck, (int)ck, col, (int)p, 1.0, yg, (int)p);
        }
    }
}

void conv_transpose_f64(const conv_geom_t *g, const double *x, const double *w, const double *b,
                        double *y, double *col)
{
    const int64_t cg = g->in_channels / g->group, mg = g->out_channels / g->group;
    const int64_t mk = mg * conv_window_kernel_size(&g->win);
    const int64_t image = conv_window_image_size(&g->win), p = conv_window_cols_size(&g->win);

    assert(col);
    pthread_once(&blas_threads_once, blas_single_thread);
    for (int64_t n = 0; n < g->batch; n++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            const double *xg = x + (n * g->in_channels + grp * cg) * p;
            double *yg = y + (n * g->out_channels + grp * mg) * image;

            fill_bias_f64(yg, b ? b + grp * mg : NULL, mg, image);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)mk, (int)p, (int)cg, 1.0,
                        w + grp * cg * mk, (int)mk, xg, (int)p, 0.0, col, (int)p);
            walk_f64(&g->win, mg, yg, col, false);
        }
    }
}
