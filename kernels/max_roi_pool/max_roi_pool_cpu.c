/*
 * max_roi_pool_cpu.c - MaxRoiPool. Each bin is the maximum over the pixels
 * it covers, in X's dtype (a comparison rounds nothing), starting from
 * -infinity so that all-negative bins come out right.
 */
#include "max_roi_pool.h"

#include <math.h>

/*
 * Corners past this many pixels are clamped before converting to an
 * integer: any such corner lies outside every image, and a hostile box
 * must not make the conversion overflow.
 */
#define MAX_ROI_POOL_MAX_COORD 1e15

/* v rounded to float when the op computes in float (the dtype of X). */
static double narrow(bool single, double v)
{
    return single ? (double)(float)v : v;
}

/* A corner: the scaled coordinate rounded half away from zero, as C's round() does. */
static int64_t corner(bool single, double coord, double scale)
{
    double v = round(narrow(single, coord * scale));

    if (!(v > -MAX_ROI_POOL_MAX_COORD))
        v = -MAX_ROI_POOL_MAX_COORD; /* NaN too: a region outside the image, all bins empty */
    if (v > MAX_ROI_POOL_MAX_COORD)
        v = MAX_ROI_POOL_MAX_COORD;
    return (int64_t)v;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void max_roi_pool_region(const max_roi_pool_params_t *p, dtype_t t, const void *x, int64_t c,
                         int64_t h, int64_t w, const double *roi, void *y)
{
    const bool single = t == DTYPE_FLOAT;
    const double scale = p->spatial_scale;
    const int64_t x1 = corner(single, roi[0], scale), y1 = corner(single, roi[1], scale);
    const int64_t x2 = corner(single, roi[2], scale), y2 = corner(single, roi[3], scale);
    /* A malformed region (end before start) is forced to 1 x 1. */
    const int64_t rh = y2 - y1 + 1 > 1 ? y2 - y1 + 1 : 1, rw = x2 - x1 + 1 > 1 ? x2 - x1 + 1 : 1;
    const double bin_h = narrow(single, (double)rh / (double)p->pooled_h);
    const double bin_w = narrow(single, (double)rw / (double)p->pooled_w);
    const int64_t ph_n = p->pooled_h, pw_n = p->pooled_w;

    for (int64_t ph = 0; ph < ph_n; ph++) {
        const int64_t hs = clamp((int64_t)floor(narrow(single, (double)ph * bin_h)) + y1, 0, h);
        const int64_t he =
            clamp((int64_t)ceil(narrow(single, (double)(ph + 1) * bin_h)) + y1, 0, h);
        for (int64_t pw = 0; pw < pw_n; pw++) {
            const int64_t ws = clamp((int64_t)floor(narrow(single, (double)pw * bin_w)) + x1, 0, w);
            const int64_t we =
                clamp((int64_t)ceil(narrow(single, (double)(pw + 1) * bin_w)) + x1, 0, w);
            const bool empty = he <= hs || we <= ws;
            for (int64_t ch = 0; ch < c; ch++) {
                const int64_t plane = ch * h * w, at = (ch * ph_n + ph) * pw_n + pw;
                if (single) {
                    const float *xf = (const float *)x + plane;
                    float m = -INFINITY;
                    for (int64_t i = hs; i < he; i++)
                        for (int64_t j = ws; j < we; j++)
                            m = xf[i * w + j] > m ? xf[i * w + j] : m;
                    ((float *)y)[at] = empty ? 0.0f : m;
                } else {
                    const double *xd = (const double *)x + plane;
                    double m = -INFINITY;
                    for (int64_t i = hs; i < he; i++)
                        for (int64_t j = ws; j < we; j++)
                            m = xd[i * w + j] > m ? xd[i * w + j] : m;
                    ((double *)y)[at] = empty ? 0.0 : m;
                }
            }
        }
    }
}

status_t max_roi_pool_run(op_call_t *call, error_t *err)
{
    const max_roi_pool_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *rois = call->inputs[1];
    const int64_t n_rois = rois->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    const size_t esize = dtype_size(x->dtype);

    for (int64_t r = 0; r < n_rois; r++) {
        double v[5];
        int64_t b;
        for (int k = 0; k < 5; k++)
            v[k] = x->dtype == DTYPE_FLOAT ? ((const float *)rois->data)[r * 5 + k]
                                           : ((const double *)rois->data)[r * 5 + k];
        /* The batch index is a real number in rois; it truncates, as a C cast does. */
        if (!(v[0] > -1.0 && v[0] < (double)x->dims[0]))
            return op_call_fail(call, err, "rois[%lld] names batch %g, outside [0, %lld)",
                                (long long)r, v[0], (long long)x->dims[0]);
        b = (int64_t)v[0];
        max_roi_pool_region(
            p, x->dtype, (const char *)x->data + (size_t)(b * c * h * w) * esize, c, h, w, v + 1,
            (char *)call->outputs[0].data + (size_t)(r * c * p->pooled_h * p->pooled_w) * esize);
    }
    return STATUS_OK;
}
