/*
 * ONNX adapters: RoiAlign 10 (regions in output_half_pixel coordinates)
 * and 16 (coordinate_transformation_mode, default half_pixel).
 */
#include "roi_align.h"

#include <string.h>

static status_t read_side(const op_adapt_t *a, const char *name, int64_t def, int64_t lo,
                          int64_t *out, error_t *err)
{
    status_t st = adapt_int(a, name, def, out, err);

    if (st != STATUS_OK)
        return st;
    if (*out < lo || *out > ROI_ALIGN_MAX_SIDE)
        return op_adapt_fail(a, err, "%s %lld is outside [%lld, %lld]", name, (long long)*out,
                             (long long)lo, (long long)ROI_ALIGN_MAX_SIDE);
    return STATUS_OK;
}

static status_t adapt_roi_align(const op_adapt_t *a, roi_align_params_t *p, error_t *err)
{
    const char *mode;
    status_t st = adapt_string(a, "mode", "avg", &mode, err);

    if (st == STATUS_OK)
        st = read_side(a, "output_height", 1, 1, &p->output_height, err);
    if (st == STATUS_OK)
        st = read_side(a, "output_width", 1, 1, &p->output_width, err);
    if (st == STATUS_OK)
        st = read_side(a, "sampling_ratio", 0, 0, &p->sampling_ratio, err);
    if (st == STATUS_OK)
        st = adapt_float(a, "spatial_scale", 1.0f, &p->spatial_scale, err);
    if (st != STATUS_OK)
        return st;
    if (strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
        return op_adapt_fail(a, err, "mode '%s' is neither avg nor max", mode);
    p->max_mode = strcmp(mode, "max") == 0;
    return STATUS_OK;
}

static status_t adapt_roi_align_10(const op_adapt_t *a, void *params, error_t *err)
{
    roi_align_params_t *p = params;

    p->half_pixel = false;
    return adapt_roi_align(a, p, err);
}

static status_t adapt_roi_align_16(const op_adapt_t *a, void *params, error_t *err)
{
    roi_align_params_t *p = params;
    const char *ctm;
    status_t st = adapt_roi_align(a, p, err);

    if (st == STATUS_OK)
        st = adapt_string(a, "coordinate_transformation_mode", "half_pixel", &ctm, err);
    if (st != STATUS_OK)
        return st;
    if (strcmp(ctm, "half_pixel") != 0 && strcmp(ctm, "output_half_pixel") != 0)
        return op_adapt_fail(a, err,
                             "coordinate_transformation_mode '%s' is neither half_pixel nor "
                             "output_half_pixel",
                             ctm);
    p->half_pixel = strcmp(ctm, "half_pixel") == 0;
    return STATUS_OK;
}

const op_schema_t op_schemas_roi_align[] = {
    {"RoiAlign", 10, 15, adapt_roi_align_10, &roi_align_kernel},
    {"RoiAlign", 16, OPSET_MAX, adapt_roi_align_16, &roi_align_kernel},
    {0},
};
