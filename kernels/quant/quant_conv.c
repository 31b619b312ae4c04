/*
 * quant_conv.c - ConvInteger and QLinearConv: per batch and group, the
 * input's patches are gathered into an int32 column matrix (zero point
 * subtracted, padding 0) and multiplied by the widened weights with
 * matmul_i32; QLinearConv then adds the bias and requantizes per output
 * channel.
 */
#include "quant.h"

#include <assert.h>
#include <math.h>

#include "matmul/matmul.h"
#include "quant_fast.h"

/* col[channels * K][P] from x (channels planes of the image, starting at element x0). */
static void im2col_i32(const conv_window_t *w, int64_t channels, const tensor_t *x, int64_t x0,
                       int32_t zp, int32_t *col)
{
    const int64_t k = conv_window_kernel_size(w), p = conv_window_cols_size(w);
    const int64_t image = conv_window_image_size(w);

    for (int64_t c = 0; c < channels; c++) {
        for (int64_t tap = 0; tap < k; tap++) {
            const int64_t kd = tap / (w->kernel[1] * w->kernel[2]);
            const int64_t kh = tap / w->kernel[2] % w->kernel[1], kw = tap % w->kernel[2];
            int32_t *row = col + (c * k + tap) * p;
            for (int64_t at = 0; at < p; at++) {
                const int64_t od = at / (w->cols[1] * w->cols[2]);
                const int64_t oh = at / w->cols[2] % w->cols[1], ow = at % w->cols[2];
                const int64_t id = od * w->stride[0] - w->pad[0] + kd * w->dilation[0];
                const int64_t ih = oh * w->stride[1] - w->pad[1] + kh * w->dilation[1];
                const int64_t iw = ow * w->stride[2] - w->pad[2] + kw * w->dilation[2];
                const bool inside = id >= 0 && id < w->image[0] && ih >= 0 && ih < w->image[1] &&
                                    iw >= 0 && iw < w->image[2];
                row[at] =
                    inside
                        ? quant_load(x->dtype, x->data,
                                     x0 + c * image + (id * w->image[1] + ih) * w->image[2] + iw) -
                              zp
                        : 0;
            }
        }
    }
}

/*
 * acc[batch][m][P] = conv(x - x_zp, w - w_zp[m]); scratch holds the widened
 * weights and one column matrix.
 */
static void integer_conv(const conv_geom_t *g, const tensor_t *x, const tensor_t *x_zp,
                         const tensor_t *w, const tensor_t *w_zp, int32_t *acc, int32_t *scratch)
{
    const int64_t k = conv_window_kernel_size(&g->win), p = conv_window_cols_size(&g->win);
    const int64_t image = conv_window_image_size(&g->win);
    const int64_t cg = g->in_channels / g->group, mg = g->out_channels / g->group;
    const int32_t xz = x_zp ? quant_load(x_zp->dtype, x_zp->data, 0) : 0;
    int32_t *wide = scratch, *col = scratch + g->out_channels * cg * k;

    for (int64_t m = 0; m < g->out_channels; m++) {
        const int32_t wz =
            w_zp ? quant_load(w_zp->dtype, w_zp->data, tensor_numel(w_zp) == 1 ? 0 : m) : 0;
        for (int64_t i = 0; i < cg * k; i++)
            wide[m * cg * k + i] = quant_load(w->dtype, w->data, m * cg * k + i) - wz;
    }
    for (int64_t n = 0; n < g->batch; n++) {
        for (int64_t grp = 0; grp < g->group; grp++) {
            im2col_i32(&g->win, cg, x, (n * g->in_channels + grp * cg) * image, xz, col);
            matmul_i32(wide + grp * mg * cg * k, col, acc + (n * g->out_channels + grp * mg) * p,
                       mg, cg * k, p);
        }
    }
}

/* The geometry, re-resolved from the shapes (the prototype checked them). */
static conv_geom_t geometry(const op_call_t *call, const tensor_t *x, const tensor_t *w)
{
    const quant_params_t *p = call->params;
    const tensor_t *operands[2] = {x, w};
    tensor_t out;
    conv_geom_t g;
    op_call_t conv_call = *call;
    status_t st;

    conv_call.params = &p->conv;
    conv_call.n_inputs = 2;
    conv_call.inputs = operands;
    st = conv_resolve(&conv_call, false, &g, &out, NULL);
    assert(st == STATUS_OK);
    (void)st;
    return g;
}

status_t conv_integer_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *w = call->inputs[1];
    const tensor_t *x_zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *w_zp = call->n_inputs > 3 ? call->inputs[3] : NULL;
    const conv_geom_t g = geometry(call, x, w);

    if (quant_fast_takes(call)) {
        quant_fast_run(call);
        return STATUS_OK;
    }

    (void)err;
    integer_conv(&g, x, x_zp, w, w_zp, call->outputs[0].data, call->workspace);
    return STATUS_OK;
}

status_t qlinear_conv_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0], *x_scale = call->inputs[1], *x_zp = call->inputs[2];
    const tensor_t *w = call->inputs[3], *w_scale = call->inputs[4], *w_zp = call->inputs[5];
    const tensor_t *y_scale = call->inputs[6], *y_zp = call->inputs[7];
    const tensor_t *bias = call->n_inputs > 8 ? call->inputs[8] : NULL;
    tensor_t *y = &call->outputs[0];
    const conv_geom_t g = geometry(call, x, w);
    const int64_t p = conv_window_cols_size(&g.win), total = tensor_numel(y);
    const float sx = *(const float *)x_scale->data, sy = *(const float *)y_scale->data;
    const float *sw = w_scale->data;
    const float zy = (float)quant_load(y_zp->dtype, y_zp->data, 0);
    int32_t *acc = call->workspace;

    if (quant_fast_takes(call)) {
        quant_fast_run(call);
        return STATUS_OK;
    }

    (void)err;
    integer_conv(&g, x, x_zp, w, w_zp, acc, acc + total);
    for (int64_t i = 0; i < total; i++) {
        const int64_t m = i / p % g.out_channels;
        const int32_t b = bias ? ((const int32_t *)bias->data)[m] : 0;
        const float scale = sx * sw[tensor_numel(w_scale) == 1 ? 0 : m] / sy;
        /* The bias add wraps like the int32 accumulation does. */
        const int32_t sum = (int32_t)((uint32_t)acc[i] + (uint32_t)b);
        quant_store(y->dtype, y->data, i, rintf((float)sum * scale) + zy);
    }
    return STATUS_OK;
}
