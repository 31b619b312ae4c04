/*
 * resize_proto.c - Resize and Upsample prototypes: output sizes from scales
 * (attribute or input) or sizes, on every axis or (Resize-18) the listed
 * ones, with Resize-18's aspect ratio policies; the roi for
 * tf_crop_and_resize, and the dtypes each mode supports.
 */
#include "resize.h"

#include <math.h>

/*
 * nearest moves elements of any size; linear, cubic and tf_crop_and_resize
 * (whose extrapolation value is a float attribute) are refused by name on
 * anything but float and double (resize_resolve).
 */
#define RESIZE_INPUT_DTYPES (DTYPES_NUMERIC | DTYPES_BOOL | DTYPE_BIT(DTYPE_DOUBLE))

/* Upsample-7: scales is an attribute. */
static const op_info_t upsample_attr_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RESIZE_INPUT_DTYPES},
    .layout = "any",
};

/* Upsample-9 and Resize-10: X, scales. */
static const op_info_t scales_input_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RESIZE_INPUT_DTYPES, DTYPES_FLOAT},
    .layout = "any",
};

/* roi (T2): float or double; scales are float in every version. */
#define RESIZE_ROI_DTYPES (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

/* Resize-11: X, roi, scales, optional sizes. */
static const op_info_t resize11_info = {
    .min_inputs = 3,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RESIZE_INPUT_DTYPES, RESIZE_ROI_DTYPES, DTYPES_FLOAT, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

/* Resize-13: roi, scales and sizes all optional. */
static const op_info_t resize13_info = {
    .min_inputs = 1,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RESIZE_INPUT_DTYPES, RESIZE_ROI_DTYPES, DTYPES_FLOAT, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

/* Input i if the form has it and the model gave a non-empty tensor. */
static const tensor_t *given(const op_call_t *call, int i)
{
    const tensor_t *t = i >= 0 && i < call->n_inputs ? call->inputs[i] : NULL;
    return t && tensor_numel(t) > 0 ? t : NULL;
}

static status_t check_count(const op_call_t *call, const char *name, int64_t count,
                            int64_t expected, error_t *err)
{
    if (count != expected)
        return op_call_fail(call, err, "'%s' has %lld values, expected %lld for input X of rank %d",
                            name, (long long)count, (long long)expected, call->inputs[0]->rank);
    return STATUS_OK;
}

/*
 * The axes scales, sizes and roi list (Resize-18's `axes`, else every axis
 * in order) into axes[] and their count into *n_axes.
 */
static status_t resolve_axes(const op_call_t *call, int *axes, int *n_axes, error_t *err)
{
    const resize_params_t *p = call->params;
    int rank = call->inputs[0]->rank;
    uint32_t seen = 0;

    *n_axes = p->n_axes <= 0 ? rank : p->n_axes;
    if (p->n_axes <= 0) {
        for (int a = 0; a < rank; a++)
            axes[a] = a;
        return STATUS_OK;
    }
    for (int k = 0; k < p->n_axes; k++) {
        if (!axis_normalize(p->axes[k], rank, false, &axes[k]))
            return op_call_fail(call, err, "axes[%d] = %lld is out of range for rank %d", k,
                                (long long)p->axes[k], rank);
        if (seen & (1u << axes[k]))
            return op_call_fail(call, err, "axis %lld is listed twice in 'axes'",
                                (long long)p->axes[k]);
        seen |= 1u << axes[k];
    }
    return STATUS_OK;
}

static status_t from_scales(const op_call_t *call, const float *scales, int count, const int *axes,
                            int n_axes, resize_geom_t *g, error_t *err)
{
    status_t st = check_count(call, "scales", count, n_axes, err);

    for (int k = 0; k < n_axes && !st; k++) {
        int a = axes[k];
        resize_axis_t *ax = &g->axis[a];
        double s = scales[k], width = s * (double)ax->in;

        if (!(s > 0.0) || !isfinite(s))
            return op_call_fail(call, err, "scales[%d] = %g must be a positive number", k,
                                scales[k]);
        if (width >= (double)TENSOR_MAX_ELEMENTS)
            return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                           "scales[%d] = %g makes axis %d too large", k, scales[k], a);
        ax->scale = s;
        ax->out_width = width;
        ax->out = (int64_t)floor(width);
    }
    return st;
}

/*
 * keep_aspect_ratio_policy not_larger / not_smaller: one scale for every
 * listed axis, the smallest or largest of sizes / input dims, and each such
 * axis rounded to scale * input dim.
 */
static status_t keep_aspect(const op_call_t *call, const tensor_t *sizes, const int *axes,
                            int n_axes, resize_geom_t *g, error_t *err)
{
    const resize_params_t *p = call->params;
    double scale = 0.0;

    for (int k = 0; k < n_axes; k++) {
        const resize_axis_t *ax = &g->axis[axes[k]];
        double s = (double)tensor_get_index(sizes, k) / (double)ax->in;
        if (ax->in == 0)
            return op_call_fail(call, err, "keep_aspect_ratio_policy cannot scale empty axis %d",
                                axes[k]);
        if (k == 0 || (p->aspect == RESIZE_ASPECT_NOT_LARGER ? s < scale : s > scale))
            scale = s;
    }
    for (int k = 0; k < n_axes; k++) {
        resize_axis_t *ax = &g->axis[axes[k]];
        double width = scale * (double)ax->in;
        if (width >= (double)TENSOR_MAX_ELEMENTS)
            return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                           "sizes make axis %d too large", axes[k]);
        ax->scale = scale;
        ax->out_width = width;
        ax->out = (int64_t)round(width);
    }
    return STATUS_OK;
}

static status_t from_sizes(const op_call_t *call, const tensor_t *sizes, const int *axes,
                           int n_axes, resize_geom_t *g, error_t *err)
{
    const resize_params_t *p = call->params;
    status_t st = check_count(call, "sizes", tensor_numel(sizes), n_axes, err);

    for (int k = 0; k < n_axes && !st; k++) {
        resize_axis_t *ax = &g->axis[axes[k]];
        int64_t n = tensor_get_index(sizes, k);

        if (n < 0 || n > TENSOR_MAX_ELEMENTS || (ax->in == 0 && n > 0))
            return op_call_fail(call, err, "sizes[%d] = %lld is invalid for input axis of %lld", k,
                                (long long)n, (long long)ax->in);
        ax->out = n;
        ax->out_width = (double)n;
        ax->scale = ax->in > 0 ? (double)n / (double)ax->in : 1.0;
    }
    if (st || p->aspect == RESIZE_ASPECT_STRETCH)
        return st;
    return keep_aspect(call, sizes, axes, n_axes, g, err);
}

/* Element i of roi, float or double (RESIZE_ROI_DTYPES). */
static double roi_value(const tensor_t *roi, int64_t i)
{
    if (roi->dtype == DTYPE_DOUBLE)
        return ((const double *)roi->data)[i];
    return ((const float *)roi->data)[i];
}

static status_t read_roi(const op_call_t *call, const int *axes, int n_axes, resize_geom_t *g,
                         error_t *err)
{
    const resize_params_t *p = call->params;
    const tensor_t *roi = given(call, p->roi_input);
    status_t st;

    if (p->config.coord != RESIZE_COORD_TF_CROP_AND_RESIZE)
        return STATUS_OK;
    if (!roi)
        return op_call_fail(call, err,
                            "coordinate_transformation_mode tf_crop_and_resize needs "
                            "input 'roi'");
    if ((st = check_count(call, "roi", tensor_numel(roi), 2 * (int64_t)n_axes, err)))
        return st;
    for (int k = 0; k < n_axes; k++) {
        double start = roi_value(roi, k), end = roi_value(roi, n_axes + k);
        if (!isfinite(start) || !isfinite(end))
            return op_call_fail(call, err, "roi for axis %d is not finite", axes[k]);
        g->axis[axes[k]].roi_start = start;
        g->axis[axes[k]].roi_end = end;
    }
    return STATUS_OK;
}

status_t resize_resolve(const op_call_t *call, resize_geom_t *g, tensor_t *out, error_t *err)
{
    const resize_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *scales = given(call, p->scales_input), *sizes = given(call, p->sizes_input);
    const bool real = x->dtype == DTYPE_FLOAT || x->dtype == DTYPE_DOUBLE;
    char shape[SHAPE_TEXT_MAX];
    int64_t numel;
    int axes[TENSOR_MAX_RANK], n_axes;
    status_t st;

    if (p->config.mode != RESIZE_MODE_NEAREST && !real)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "mode %s is implemented for float and double only, not %s",
                       p->config.mode == RESIZE_MODE_LINEAR ? "linear" : "cubic",
                       dtype_name(x->dtype));
    if (p->config.coord == RESIZE_COORD_TF_CROP_AND_RESIZE && !real)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "coordinate_transformation_mode tf_crop_and_resize is implemented for "
                       "float and double only, not %s",
                       dtype_name(x->dtype));
    g->rank = x->rank;
    g->elem_size = dtype_size(x->dtype);
    for (int a = 0; a < x->rank; a++)
        g->axis[a] = (resize_axis_t){.in = x->dims[a],
                                     .out = x->dims[a],
                                     .scale = 1.0,
                                     .out_width = (double)x->dims[a],
                                     .roi_start = 0.0,
                                     .roi_end = 1.0};
    if ((st = resolve_axes(call, axes, &n_axes, err)))
        return st;
    if (scales && sizes)
        return op_call_fail(call, err, "only one of 'scales' and 'sizes' may be given");
    if (p->n_scales > 0)
        st = from_scales(call, p->scales, p->n_scales, axes, n_axes, g, err);
    else if (scales)
        st = from_scales(call, scales->data, (int)tensor_numel(scales), axes, n_axes, g, err);
    else if (sizes)
        st = from_sizes(call, sizes, axes, n_axes, g, err);
    else
        st = op_call_fail(call, err, "one of 'scales' and 'sizes' must be given");
    if (st || (st = read_roi(call, axes, n_axes, g, err)))
        return st;
    if (p->config.antialias && p->config.mode != RESIZE_MODE_NEAREST) {
        for (int a = 0; a < x->rank; a++) {
            resize_axis_t *ax = &g->axis[a];
            ax->window = resize_antialias_window(&p->config, ax);
            /* A tiny scale stretches the filter over the whole axis: bound the weight table. */
            if (ax->window > TENSOR_MAX_ELEMENTS / (ax->out > 0 ? ax->out : 1))
                return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                               "antialias over axis %d (scale %g) needs too many taps", a,
                               ax->scale);
        }
    }

    *out = *x;
    out->data = NULL;
    for (int a = 0; a < x->rank; a++)
        out->dims[a] = g->axis[a].out;
    if (!shape_valid(out->rank, out->dims, &numel))
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "output shape %s is too large",
                       shape_format(out->rank, out->dims, shape, sizeof shape));
    return STATUS_OK;
}

static status_t resize_infer(op_call_t *call, error_t *err)
{
    resize_geom_t g;
    status_t st = resize_resolve(call, &g, &call->outputs[0], err);

    if (st)
        return st;
    call->workspace_size = resize_workspace(&g);
    return STATUS_OK;
}

const op_kernel_t upsample_attr_kernel = {
    .name = "Upsample",
    .info = &upsample_attr_info,
    .params_size = sizeof(resize_params_t),
    .infer = resize_infer,
    .run = resize_run,
};

const op_kernel_t upsample_kernel = {
    .name = "Upsample",
    .info = &scales_input_info,
    .params_size = sizeof(resize_params_t),
    .value_inputs = 1u << 1,
    .infer = resize_infer,
    .run = resize_run,
};

const op_kernel_t resize10_kernel = {
    .name = "Resize",
    .info = &scales_input_info,
    .params_size = sizeof(resize_params_t),
    .value_inputs = 1u << 1,
    .infer = resize_infer,
    .run = resize_run,
};

const op_kernel_t resize11_kernel = {
    .name = "Resize",
    .info = &resize11_info,
    .params_size = sizeof(resize_params_t),
    .value_inputs = (1u << 1) | (1u << 2) | (1u << 3),
    .infer = resize_infer,
    .run = resize_run,
};

const op_kernel_t resize13_kernel = {
    .name = "Resize",
    .info = &resize13_info,
    .params_size = sizeof(resize_params_t),
    .value_inputs = (1u << 1) | (1u << 2) | (1u << 3),
    .infer = resize_infer,
    .run = resize_run,
};
