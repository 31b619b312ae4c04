/*
 * conv_f32.c - float Conv and ConvTranspose as one GEMM per image and group.
 *
 * Conv:          Y_g[M/g][P] = W_g[M/g][C/g * K] x im2col(X_g)[C/g * K][P]
 * ConvTranspose: col[M/g * K][P] = W_g[C/g][M/g * K]^T x X_g[C/g][P],
 *                then col2im adds the columns into Y_g.
 * A pointwise window (1x1 taps, stride 1, no padding) skips im2col/col2im:
 * the image already is the column matrix. A depthwise Conv (one channel in
 * and out per group) would be a GEMM with one row, so it runs directly.
 */
#include "conv.h"

#include <assert.h>
#include <cblas.h>
#include <pthread.h>

static pthread_once_t blas_threads_once = PTHREAD_ONCE_INIT;

/*
 * OpenBLAS would start its own thread pool beside the OpenMP threads the
 * plan runs kernels on; the callers here are the only OpenBLAS users, so
 * they keep it on the calling thread.
 */
static void blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

int64_t conv_f32_workspace(const conv_geom_t *g)
{
    if (conv_window_is_pointwise(&g->win) || conv_is_depthwise(g))
        return 0;
    return g->in_channels / g->group * conv_window_kernel_size(&g->win) *
           conv_window_cols_size(&g->win);
}

int64_t conv_transpose_f32_workspace(const conv_geom_t *g)
{
    if (conv_window_is_pointwise(&g->win))
        return 0;
    return g->out_channels / g->group * conv_window_kernel_size(&g->win) *
           conv_window_cols_size(&g->win);
}

/* Starts each output channel at its bias (or 0), so the GEMM accumulates onto it. */
static void fill_bias(float *y, const float *b, int64_t channels, int64_t size)
{
    for (int64_t c = 0; c < channels; c++) {
        float v = b ? b[c] : 0.0f;
        float *row = y + c * size;
        for (int64_t i = 0; i < size; i++)
            row[i] = v;
    }
}

void conv_f32(const conv_geom_t *g, const float *x, const float *w, const float *b, float *y,
              float *col)
{
    const int64_t cg = g->in_channels / g->group, mg = g->out_channels / g->group;
    const int64_t ck = cg * conv_window_kernel_size(&g->win);
    const int64_t image = conv_window_image_size(&g->win), p = conv_window_cols_size(&g->win);
    const bool pointwise = conv_window_is_pointwise(&g->win);

    pthread_once(&blas_threads_once, blas_single_thread);
    if (!pointwise && conv_is_depthwise(g)) {
        conv_depthwise_f32(g, x, w, b, y);
        return;
    }
    assert(pointwise || col);
    for (int64_t n = 0; n < g->batch; n++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            const float *xg = x + (n * g->in_channels + grp * cg) * image;
            const float *wg = w + grp * mg * ck;
            float *yg = y + (n * g->out_channels + grp * mg) * p;
            const float *cols = xg;

            if (!pointwise) {
                conv_im2col(&g->win, cg, xg, col);
                cols = col;
            }
            fill_bias(yg, b ? b + grp * mg : NULL, mg, p);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)mg, (int)p, (int)ck, 1.0f,
                        wg, (int)ck, cols, (int)p, 1.0f, yg, (int)p);
        }
    }
}

void conv_transpose_f32(const conv_geom_t *g, const float *x, const float *w, const float *b,
                        float *y, float *col)
{
    const int64_t cg = g->in_channels / g->group, mg = g->out_channels / g->group;
    const int64_t mk = mg * conv_window_kernel_size(&g->win);
    const int64_t image = conv_window_image_size(&g->win), p = conv_window_cols_size(&g->win);
    const bool pointwise = conv_window_is_pointwise(&g->win);

    assert(pointwise || col);
    pthread_once(&blas_threads_once, blas_single_thread);
    for (int64_t n = 0; n < g->batch; n++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            const float *xg = x + (n * g->in_channels + grp * cg) * p;
            const float *wg = w + grp * cg * mk;
            float *yg = y + (n * g->out_channels + grp * mg) * image;

            fill_bias(yg, b ? b + grp * mg : NULL, mg, image);
            if (pointwise) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)mg, (int)p, (int)cg, 1.0f,
                            wg, (int)mk, xg, (int)p, 1.0f, yg, (int)p);
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)mk, (int)p, (int)cg, 1.0f,
                            wg, (int)mk, xg, (int)p, 0.0f, col, (int)p);
                conv_col2im(&g->win, mg, col, yg);
            }
        }
    }
}
