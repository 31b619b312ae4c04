#include "slice.h"

#include <assert.h>
#include <string.h>

/* Inputs of the opset 10+ form. */
enum { SLICE_DATA, SLICE_STARTS, SLICE_ENDS, SLICE_AXES, SLICE_STEPS };

static const op_info_t slice_info = {
    .min_inputs = 1, /* 3 from opset 10: the adapter checks the form */
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPES_INDEX, DTYPES_INDEX, DTYPES_INDEX, DTYPES_INDEX},
    .layout = "any",
};

/* The starts/ends/axes/steps lists, wherever they came from. */
typedef struct slice_lists {
    int count;
    int64_t starts[TENSOR_MAX_RANK], ends[TENSOR_MAX_RANK];
    int64_t axes[TENSOR_MAX_RANK], steps[TENSOR_MAX_RANK];
    bool has_axes, has_steps;
} slice_lists_t;

static status_t read_list(const op_call_t *call, int index, const char *name, int count,
                          int64_t *out, error_t *err)
{
    const tensor_t *t = call->inputs[index];
    char text[SHAPE_TEXT_MAX];

    assert(t->data);
    if (t->rank != 1 || t->dims[0] != count)
        return op_call_fail(call, err, "input '%s' has shape %s, expected [%d]", name,
                            shape_format(t->rank, t->dims, text, sizeof text), count);
    for (int i = 0; i < count; i++)
        out[i] = tensor_get_index(t, i);
    return STATUS_OK;
}

static status_t slice_lists(const op_call_t *call, slice_lists_t *l, error_t *err)
{
    const slice_params_t *p = call->params;
    const tensor_t *starts = call->n_inputs > SLICE_STARTS ? call->inputs[SLICE_STARTS] : NULL;
    const tensor_t *ends = call->n_inputs > SLICE_ENDS ? call->inputs[SLICE_ENDS] : NULL;
    const tensor_t *axes = call->n_inputs > SLICE_AXES ? call->inputs[SLICE_AXES] : NULL;
    const tensor_t *steps = call->n_inputs > SLICE_STEPS ? call->inputs[SLICE_STEPS] : NULL;
    int rank = call->inputs[SLICE_DATA]->rank;
    char text[SHAPE_TEXT_MAX];
    status_t st;

    l->has_steps = false;
    if (!p->from_inputs) {
        l->count = p->count;
        memcpy(l->starts, p->starts, sizeof l->starts);
        memcpy(l->ends, p->ends, sizeof l->ends);
        memcpy(l->axes, p->axes, sizeof l->axes);
        l->has_axes = p->axes_count >= 0;
        return STATUS_OK;
    }
    if (!starts || !ends)
        return op_call_fail(call, err, "inputs 'starts' and 'ends' are required");
    /* Each axis may appear once, so more values than the rank are always wrong. */
    if (starts->rank != 1 || starts->dims[0] > rank)
        return op_call_fail(call, err, "input 'starts' has shape %s for data of rank %d",
                            shape_format(starts->rank, starts->dims, text, sizeof text), rank);
    l->count = (int)starts->dims[0];
    st = read_list(call, SLICE_STARTS, "starts", l->count, l->starts, err);
    if (st == STATUS_OK)
        st = read_list(call, SLICE_ENDS, "ends", l->count, l->ends, err);
    if (st == STATUS_OK && axes)
        st = read_list(call, SLICE_AXES, "axes", l->count, l->axes, err);
    if (st == STATUS_OK && steps)
        st = read_list(call, SLICE_STEPS, "steps", l->count, l->steps, err);
    l->has_axes = axes != NULL;
    l->has_steps = steps != NULL;
    return st;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

status_t slice_resolve(const op_call_t *call, slice_window_t *w, error_t *err)
{
    const tensor_t *x = call->inputs[SLICE_DATA];
    bool seen[TENSOR_MAX_RANK] = {false};
    slice_lists_t l;
    status_t st = slice_lists(call, &l, err);

    if (st != STATUS_OK)
        return st;
    for (int i = 0; i < x->rank; i++) {
        w->start[i] = 0;
        w->step[i] = 1;
        w->count[i] = x->dims[i];
    }
    for (int i = 0; i < l.count; i++) {
        int64_t axis_value = l.has_axes ? l.axes[i] : i;
        int64_t step = l.has_steps ? l.steps[i] : 1;
        int64_t start = l.starts[i], end = l.ends[i], dim, count;
        int axis;

        /* Negative axes (opset 11) are accepted in every opset: their meaning is unambiguous. */
        if (!axis_normalize(axis_value, x->rank, false, &axis))
            return op_call_fail(call, err, "axis %lld is out of range for data of rank %d",
                                (long long)axis_value, x->rank);
        if (seen[axis])
            return op_call_fail(call, err, "axis %lld is repeated", (long long)axis_value);
        seen[axis] = true;
        if (step == 0)
            return op_call_fail(call, err, "step for axis %d is 0", axis);
        dim = x->dims[axis];
        /* Adding dim to a negative value cannot overflow, whatever INT64_MIN the model uses. */
        if (start < 0)
            start += dim;
        if (end < 0)
            end += dim;
        if (step > 0) {
            start = clamp(start, 0, dim);
            end = clamp(end, 0, dim);
            count = end > start ? (end - start - 1) / step + 1 : 0;
        } else {
            start = clamp(start, 0, dim - 1);
            end = clamp(end, -1, dim - 1);
            /* Any step beyond -INT64_MAX takes one element; this avoids negating INT64_MIN. */
            int64_t magnitude = step == INT64_MIN ? INT64_MAX : -step;
            count = start > end ? (start - end - 1) / magnitude + 1 : 0;
        }
        if (dim == 0)
            count = 0;
        w->start[axis] = count > 0 ? start : 0;
        /* A step that is never taken is set to 1 so step * stride cannot overflow. */
        w->step[axis] = count > 1 ? step : 1;
        w->count[axis] = count;
    }
    return STATUS_OK;
}

static status_t slice_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[SLICE_DATA];
    tensor_t *y = &call->outputs[0];
    slice_window_t w;
    status_t st = slice_resolve(call, &w, err);

    if (st != STATUS_OK)
        return st;
    y->dtype = x->dtype;
    y->rank = x->rank;
    memcpy(y->dims, w.count, (size_t)x->rank * sizeof *y->dims);
    return STATUS_OK;
}

const op_kernel_t slice_kernel = {
    .name = "Slice",
    .info = &slice_info,
    .params_size = sizeof(slice_params_t),
    .value_inputs =
        (1u << SLICE_STARTS) | (1u << SLICE_ENDS) | (1u << SLICE_AXES) | (1u << SLICE_STEPS),
    .infer = slice_infer,
    .run = slice_run,
};
