/*
 * ONNX adapters. Upsample-7 has a scales attribute, Upsample-9 and
 * Resize-10 a scales input; all three use asymmetric coordinates and the
 * legacy nearest rounding. Resize-11 adds roi and sizes inputs and the
 * coordinate, rounding and cubic attributes; Resize-13 only makes roi and
 * scales optional. Resize-18 adds `axes`, `keep_aspect_ratio_policy` and
 * `antialias` (linear and cubic), Resize-19 the coordinate mode
 * half_pixel_symmetric.
 */
#include "resize.h"

#include <string.h>

/* Maps a string attribute to its index in names (*out is 0 on failure). */
static status_t adapt_choice(const op_adapt_t *a, const char *name, const char *const *names,
                             int count, const char *def, int *out, error_t *err)
{
    const char *s;
    status_t st = adapt_string(a, name, def, &s, err);

    *out = 0;
    if (st)
        return st;
    for (int i = 0; i < count; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return STATUS_OK;
        }
    return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                   "attribute '%s' = '%s' is not supported", name, s);
}

/* Modes in resize_mode_t order; before opset 11 only the first two exist. */
static const char *const mode_names[] = {"nearest", "linear", "cubic"};

static status_t adapt_legacy(const op_adapt_t *a, resize_params_t *p, error_t *err)
{
    int mode;
    status_t st = adapt_choice(a, "mode", mode_names, 2, "nearest", &mode, err);

    if (st)
        return st;
    p->config.mode = (resize_mode_t)mode;
    p->config.coord = RESIZE_COORD_ASYMMETRIC;
    p->config.nearest = RESIZE_NEAREST_LEGACY;
    p->roi_input = -1;
    p->scales_input = 1;
    p->sizes_input = -1;
    p->n_axes = -1;
    p->aspect = RESIZE_ASPECT_STRETCH;
    return STATUS_OK;
}

static status_t adapt_upsample_attr(const op_adapt_t *a, void *params, error_t *err)
{
    resize_params_t *p = params;
    status_t st = adapt_legacy(a, p, err);

    p->scales_input = -1;
    if (st || (st = adapt_floats(a, "scales", TENSOR_MAX_RANK, p->scales, &p->n_scales, err)))
        return st;
    if (p->n_scales <= 0)
        return op_adapt_fail(a, err, "attribute 'scales' is required");
    return STATUS_OK;
}

static status_t adapt_scales_input(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_legacy(a, params, err);
}

static status_t adapt_resize11(const op_adapt_t *a, void *params, error_t *err)
{
    /* In resize_coord_t order; the last one from opset 19. */
    static const char *const coord_names[] = {
        "half_pixel",           "asymmetric",         "align_corners",        "pytorch_half_pixel",
        "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric",
    };
    const int coord_count = a->opset >= 19 ? 7 : 6;
    static const char *const nearest_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                                "ceil"};
    resize_params_t *p = params;
    resize_config_t *c = &p->config;
    int mode, coord, nearest;
    int64_t exclude;
    status_t st;

    if ((st = adapt_choice(a, "mode", mode_names, 3, "nearest", &mode, err)) ||
        (st = adapt_choice(a, "coordinate_transformation_mode", coord_names, coord_count,
                           "half_pixel", &coord, err)) ||
        (st = adapt_choice(a, "nearest_mode", nearest_names, 4, "round_prefer_floor", &nearest,
                           err)) ||
        (st = adapt_float(a, "cubic_coeff_a", -0.75f, &c->cubic_coeff_a, err)) ||
        (st = adapt_int(a, "exclude_outside", 0, &exclude, err)) ||
        (st = adapt_float(a, "extrapolation_value", 0.0f, &c->extrapolation_value, err)))
        return st;
    if (exclude != 0 && exclude != 1)
        return op_adapt_fail(a, err, "attribute 'exclude_outside' = %lld must be 0 or 1",
                             (long long)exclude);
    c->mode = (resize_mode_t)mode;
    c->coord = (resize_coord_t)coord;
    c->nearest = (resize_nearest_t)nearest;
    c->exclude_outside = exclude == 1;
    p->roi_input = 1;
    p->scales_input = 2;
    p->sizes_input = 3;
    p->n_axes = -1;
    p->aspect = RESIZE_ASPECT_STRETCH;
    return STATUS_OK;
}

static status_t adapt_resize18(const op_adapt_t *a, void *params, error_t *err)
{
    static const char *const aspect_names[] = {"stretch", "not_larger", "not_smaller"};
    resize_params_t *p = params;
    int64_t antialias;
    int aspect;
    status_t st;

    if ((st = adapt_resize11(a, params, err)) ||
        (st = adapt_int(a, "antialias", 0, &antialias, err)) ||
        (st = adapt_choice(a, "keep_aspect_ratio_policy", aspect_names, 3, "stretch", &aspect,
                           err)) ||
        (st = adapt_ints(a, "axes", TENSOR_MAX_RANK, p->axes, &p->n_axes, err)))
        return st;
    if (antialias != 0 && antialias != 1)
        return op_adapt_fail(a, err, "attribute 'antialias' = %lld must be 0 or 1",
                             (long long)antialias);
    /* Antialiasing changes only linear and cubic; nearest ignores it. */
    p->config.antialias = antialias == 1;
    p->aspect = (resize_aspect_t)aspect;
    return STATUS_OK;
}

const op_schema_t op_schemas_resize[] = {
    {"Upsample", 7, 8, adapt_upsample_attr, &upsample_attr_kernel},
    {"Upsample", 9, 9, adapt_scales_input, &upsample_kernel},
    {"Resize", 10, 10, adapt_scales_input, &resize10_kernel},
    {"Resize", 11, 12, adapt_resize11, &resize11_kernel},
    {"Resize", 13, 17, adapt_resize11, &resize13_kernel},
    {"Resize", 18, OPSET_MAX, adapt_resize18, &resize13_kernel},
    {0},
};
