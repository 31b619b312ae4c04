#include "reshape.h"

#include <assert.h>
#include <string.h>

static const op_info_t reshape_info = {
    .min_inputs = 1, /* 2 from opset 5: the adapter checks the form */
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static const op_info_t flatten_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

static const op_info_t squeeze_info = {
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

/*
 * Reads the values of the 1-D integer input `index` (named `name` in
 * messages) into out. More than max values cannot describe a shape inferd
 * holds, so that is unsupported rather than invalid.
 */
static status_t read_int_list(const op_call_t *call, int index, const char *name, int max,
                              int64_t *out, int *count, error_t *err)
{
    const tensor_t *t = index < call->n_inputs ? call->inputs[index] : NULL;
    char text[SHAPE_TEXT_MAX];
    int64_t n;

    if (!t)
        return op_call_fail(call, err, "input '%s' is missing", name);
    assert(t->data);
    if (t->rank > 1)
        return op_call_fail(call, err, "input '%s' must be 1-D, got shape %s", name,
                            shape_format(t->rank, t->dims, text, sizeof text));
    n = tensor_numel(t);
    if (n > max)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "input '%s' has %lld values, at most %d supported", name, (long long)n, max);
    for (int64_t i = 0; i < n; i++)
        out[i] = tensor_get_index(t, i);
    *count = (int)n;
    return STATUS_OK;
}

static status_t reshape_infer(op_call_t *call, error_t *err)
{
    const reshape_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    int64_t req[TENSOR_MAX_RANK];
    int n = p->shape_count;
    int infer_at = -1;
    bool has_zero = false;
    int64_t known, numel = tensor_numel(x);
    char in_text[SHAPE_TEXT_MAX], req_text[SHAPE_TEXT_MAX];
    status_t st;

    if (p->shape_from_input) {
        st = read_int_list(call, 1, "shape", TENSOR_MAX_RANK, req, &n, err);
        if (st != STATUS_OK)
            return st;
    } else {
        memcpy(req, p->shape, (size_t)n * sizeof *req);
    }
    shape_format(n, req, req_text, sizeof req_text);
    shape_format(x->rank, x->dims, in_text, sizeof in_text);
    y->dtype = x->dtype;
    y->rank = n;
    for (int i = 0; i < n; i++) {
        int64_t v = req[i];
        if (v == -1) {
            if (infer_at >= 0)
                return op_call_fail(call, err, "shape %s has more than one -1", req_text);
            infer_at = i;
            v = 1; /* placeholder so the product below counts only the known dims */
        } else if (v < -1) {
            return op_call_fail(call, err, "shape %s has invalid dim %lld", req_text, (long long)v);
        } else if (v == 0 && !p->allowzero) {
            if (i >= x->rank)
                return op_call_fail(call, err,
                                    "shape %s copies dim %d (0), but the input shape %s has "
                                    "rank %d",
                                    req_text, i, in_text, x->rank);
            v = x->dims[i];
        }
        has_zero |= v == 0;
        y->dims[i] = v;
    }
    if (p->allowzero && has_zero && infer_at >= 0)
        return op_call_fail(call, err, "shape %s has both 0 and -1, which allowzero=1 forbids",
                            req_text);
    if (!shape_valid(n, y->dims, &known))
        return op_call_fail(call, err, "shape %s exceeds %lld elements", req_text,
                            (long long)TENSOR_MAX_ELEMENTS);
    if (infer_at >= 0) {
        if (known == 0 || numel % known != 0)
            return op_call_fail(call, err, "cannot infer the -1 in shape %s from input shape %s",
                                req_text, in_text);
        y->dims[infer_at] = numel / known;
    } else if (known != numel) {
        return op_call_fail(call, err, "cannot reshape input of shape %s to shape %s", in_text,
                            req_text);
    }
    return STATUS_OK;
}

static status_t flatten_infer(op_call_t *call, error_t *err)
{
    const flatten_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    /* Negative axes count from the back; the accepted range is [-rank, rank]. */
    int64_t axis = p->axis < 0 ? p->axis + x->rank : p->axis;
    char text[SHAPE_TEXT_MAX];

    if (axis < 0 || axis > x->rank)
        return op_call_fail(call, err, "axis %lld is out of range for input shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, text, sizeof text));
    y->dtype = x->dtype;
    y->rank = 2;
    y->dims[0] = 1;
    y->dims[1] = 1;
    for (int i = 0; i < x->rank; i++)
        y->dims[i < axis ? 0 : 1] *= x->dims[i];
    return STATUS_OK;
}

/* The axes of Squeeze/Unsqueeze from the attribute or input 1; *count is -1 if absent. */
static status_t squeeze_axes(const op_call_t *call, int64_t *axes, int *count, error_t *err)
{
    const squeeze_params_t *p = call->params;

    if (!p->axes_from_input) {
        *count = p->axes_count;
        if (p->axes_count > 0)
            memcpy(axes, p->axes, (size_t)p->axes_count * sizeof *axes);
        return STATUS_OK;
    }
    *count = -1;
    if (call->n_inputs < 2 || !call->inputs[1])
        return STATUS_OK;
    return read_int_list(call, 1, "axes", TENSOR_MAX_RANK, axes, count, err);
}

/*
 * Marks the axes in flags (rank entries), failing on out-of-range and
 * repeated axes. Negative axes are accepted in every opset: before opset 11
 * they made the model invalid, and their meaning is unambiguous.
 */
static status_t mark_axes(const op_call_t *call, const int64_t *axes, int count, int rank,
                          bool *flags, error_t *err)
{
    for (int i = 0; i < count; i++) {
        int a;
        if (!axis_normalize(axes[i], rank, false, &a))
            return op_call_fail(call, err, "axis %lld is out of range for rank %d",
                                (long long)axes[i], rank);
        if (flags[a])
            return op_call_fail(call, err, "axis %lld is repeated", (long long)axes[i]);
        flags[a] = true;
    }
    return STATUS_OK;
}

static status_t squeeze_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    bool drop[TENSOR_MAX_RANK] = {false};
    int64_t axes[TENSOR_MAX_RANK];
    int count;
    char text[SHAPE_TEXT_MAX];
    status_t st = squeeze_axes(call, axes, &count, err);

    if (st != STATUS_OK)
        return st;
    /* Like onnxruntime, an empty axes list means "no axes given". */
    if (count <= 0) {
        for (int i = 0; i < x->rank; i++)
            drop[i] = x->dims[i] == 1;
    } else {
        st = mark_axes(call, axes, count, x->rank, drop, err);
        if (st != STATUS_OK)
            return st;
    }
    y->dtype = x->dtype;
    y->rank = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!drop[i])
            y->dims[y->rank++] = x->dims[i];
        else if (x->dims[i] != 1)
            return op_call_fail(call, err,
                                "cannot squeeze axis %d of input shape %s: its size is "
                                "not 1",
                                i, shape_format(x->rank, x->dims, text, sizeof text));
    }
    return STATUS_OK;
}

static status_t unsqueeze_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    bool inserted[TENSOR_MAX_RANK] = {false};
    int64_t axes[TENSOR_MAX_RANK];
    int count, j = 0;
    status_t st = squeeze_axes(call, axes, &count, err);

    if (st != STATUS_OK)
        return st;
    if (count < 0)
        return op_call_fail(call, err, "axes are missing");
    if (x->rank + count > TENSOR_MAX_RANK)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "output rank %d exceeds %d", x->rank + count, TENSOR_MAX_RANK);
    y->dtype = x->dtype;
    y->rank = x->rank + count;
    /* Unsqueeze axes index the output, so they range over its rank. */
    st = mark_axes(call, axes, count, y->rank, inserted, err);
    if (st != STATUS_OK)
        return st;
    for (int i = 0; i < y->rank; i++)
        y->dims[i] = inserted[i] ? 1 : x->dims[j++];
    return STATUS_OK;
}

const op_kernel_t reshape_kernel = {
    .name = "Reshape",
    .info = &reshape_info,
    .params_size = sizeof(reshape_params_t),
    .value_inputs = 1u << 1,
    .infer = reshape_infer,
    .run = reshape_run,
    .inplace_inputs = 1u << 0,
    /* Row-major: with dim 0 kept, each row stays one contiguous block. */
    .batch_inputs = 1u << 0,
};

const op_kernel_t flatten_kernel = {
    .name = "Flatten",
    .info = &flatten_info,
    .params_size = sizeof(flatten_params_t),
    .infer = flatten_infer,
    .run = reshape_run,
    .inplace_inputs = 1u << 0,
    /* Row-major: with dim 0 kept, each row stays one contiguous block. */
    .batch_inputs = 1u << 0,
};

const op_kernel_t squeeze_kernel = {
    .name = "Squeeze",
    .info = &squeeze_info,
    .params_size = sizeof(squeeze_params_t),
    .value_inputs = 1u << 1,
    .infer = squeeze_infer,
    .run = reshape_run,
    .inplace_inputs = 1u << 0,
    /* Row-major: with dim 0 kept, each row stays one contiguous block. */
    .batch_inputs = 1u << 0,
};

const op_kernel_t unsqueeze_kernel = {
    .name = "Unsqueeze",
    .info = &squeeze_info,
    .params_size = sizeof(squeeze_params_t),
    .value_inputs = 1u << 1,
    .infer = unsqueeze_infer,
    .run = reshape_run,
    .inplace_inputs = 1u << 0,
    /* Row-major: with dim 0 kept, each row stays one contiguous block. */
    .batch_inputs = 1u << 0,
};
