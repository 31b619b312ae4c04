/*
 * roi_align_cpu.c - RoiAlign. A sample more than one pixel outside the
 * image contributes 0; others clamp to the image and interpolate the four
 * pixels around them. In max mode a sample's value is the largest of its
 * four weighted pixels and the bin keeps the largest sample, as ONNX
 * Runtime computes it.
 */
#include "roi_align.h"

#include <math.h>

static double load(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static void store(dtype_t t, void *p, int64_t i, double v)
{
    if (t == DTYPE_FLOAT)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

/* The four pixels around (y, x) and their weights; false when the sample is outside. */
static bool bilinear_taps(double y, double x, int64_t h, int64_t w, int64_t at[4], double wt[4])
{
    int64_t y0, x0, y1, x1;
    double ly, lx;

    /* Written so that NaN (from hostile boxes) counts as outside too. */
    if (!(y >= -1.0 && y <= (double)h && x >= -1.0 && x <= (double)w))
        return false;
    y = y <= 0 ? 0 : y;
    x = x <= 0 ? 0 : x;
    y0 = (int64_t)y;
    x0 = (int64_t)x;
    if (y0 >= h - 1) {
        y0 = y1 = h - 1;
        y = (double)y0;
    } else {
        y1 = y0 + 1;
    }
    if (x0 >= w - 1) {
        x0 = x1 = w - 1;
        x = (double)x0;
    } else {
        x1 = x0 + 1;
    }
    ly = y - (double)y0;
    lx = x - (double)x0;
    at[0] = y0 * w + x0;
    at[1] = y0 * w + x1;
    at[2] = y1 * w + x0;
    at[3] = y1 * w + x1;
    wt[0] = (1 - ly) * (1 - lx);
    wt[1] = (1 - ly) * lx;
    wt[2] = ly * (1 - lx);
    wt[3] = ly * lx;
    return true;
}

/*
 * Samples per bin side for a bin of the given size: its ceiling, bounded by
 * ROI_ALIGN_MAX_ADAPTIVE (in double, before converting); NaN and negative
 * sizes take none.
 */
static int64_t sample_count(double bin)
{
    const double c = ceil(bin);

    return c > 0 ? (c < (double)ROI_ALIGN_MAX_ADAPTIVE ? (int64_t)c : ROI_ALIGN_MAX_ADAPTIVE) : 0;
}

void roi_align_region(const roi_align_params_t *p, dtype_t t, const void *x, int64_t c, int64_t h,
                      int64_t w, const double *box, void *y)
{
    const double offset = p->half_pixel ? 0.5 : 0.0;
    const double x1 = box[0] * p->spatial_scale - offset, y1 = box[1] * p->spatial_scale - offset;
    const double x2 = box[2] * p->spatial_scale - offset, y2 = box[3] * p->spatial_scale - offset;
    double rw = x2 - x1, rh = y2 - y1;
    const int64_t oh = p->output_height, ow = p->output_width;
    double bin_h, bin_w;
    int64_t grid_h, grid_w, count;

    if (!p->half_pixel) {
        rw = rw > 1.0 ? rw : 1.0;
        rh = rh > 1.0 ? rh : 1.0;
    }
    bin_h = rh / (double)oh;
    bin_w = rw / (double)ow;
    grid_h = p->sampling_ratio > 0 ? p->sampling_ratio : sample_count(rh / (double)oh);
    grid_w = p->sampling_ratio > 0 ? p->sampling_ratio : sample_count(rw / (double)ow);
    count = grid_h * grid_w > 1 ? grid_h * grid_w : 1;
    for (int64_t ch = 0; ch < c; ch++) {
        const int64_t plane = ch * h * w;
        for (int64_t ph = 0; ph < oh; ph++) {
            for (int64_t pw = 0; pw < ow; pw++) {
                double acc = 0;
                bool first = true;
                for (int64_t iy = 0; iy < grid_h; iy++) {
                    const double sy =
                        y1 + (double)ph * bin_h + ((double)iy + 0.5) * bin_h / (double)grid_h;
                    for (int64_t ix = 0; ix < grid_w; ix++) {
                        const double sx =
                            x1 + (double)pw * bin_w + ((double)ix + 0.5) * bin_w / (double)grid_w;
                        int64_t at[4];
                        double wt[4], v = 0;
                        bool inside = bilinear_taps(sy, sx, h, w, at, wt);
                        if (!p->max_mode) {
                            for (int k = 0; inside && k < 4; k++)
                                v += wt[k] * load(t, x, plane + at[k]);
                            acc += v;
                            continue;
                        }
                        if (inside) {
                            v = wt[0] * load(t, x, plane + at[0]);
                            for (int k = 1; k < 4; k++) {
                                const double u = wt[k] * load(t, x, plane + at[k]);
                                v = u > v ? u : v;
                            }
                        }
                        acc = first || v > acc ? v : acc;
                        first = false;
                    }
                }
                store(t, y, (ch * oh + ph) * ow + pw, p->max_mode ? acc : acc / (double)count);
            }
        }
    }
}

status_t roi_align_run(op_call_t *call, error_t *err)
{
    const roi_align_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *rois = call->inputs[1], *batch = call->inputs[2];
    const int64_t n_rois = rois->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    const size_t esize = dtype_size(x->dtype);

    for (int64_t r = 0; r < n_rois; r++) {
        const int64_t b = tensor_get_index(batch, r);
        double box[4];
        if (b < 0 || b >= x->dims[0])
            return op_call_fail(call, err, "batch_indices[%lld] = %lld is outside [0, %lld)",
                                (long long)r, (long long)b, (long long)x->dims[0]);
        for (int k = 0; k < 4; k++)
            box[k] = x->dtype == DTYPE_FLOAT ? ((const float *)rois->data)[r * 4 + k]
                                             : ((const double *)rois->data)[r * 4 + k];
        roi_align_region(p, x->dtype, (const char *)x->data + (size_t)(b * c * h * w) * esize, c, h,
                         w, box,
                         (char *)call->outputs[0].data +
                             (size_t)(r * c * p->output_height * p->output_width) * esize);
    }
    return STATUS_OK;
}
