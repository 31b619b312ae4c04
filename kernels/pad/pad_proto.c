#include "pad.h"

#include <assert.h>
#include <string.h>

static const op_info_t pad_info = {
    .min_inputs = 1, /* 2 from opset 11: the adapter checks the form */
    .max_inputs = 4, /* 3 before opset 18: the adapter checks that too */
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64), DTYPES_ALL,
                     DTYPE_BIT(DTYPE_INT32) | DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static const char *const pad_mode_names[] = {
    [PAD_CONSTANT] = "constant",
    [PAD_REFLECT] = "reflect",
    [PAD_EDGE] = "edge",
    [PAD_WRAP] = "wrap",
};

/*
 * Pad-18's axes input: spreads the 2 * n_axes given pads (begin values,
 * then end values, in the order of axes) over every axis, 0 elsewhere.
 */
static status_t pad_spread_axes(const op_call_t *call, const tensor_t *t, const tensor_t *axes,
                                int64_t *pads, error_t *err)
{
    int rank = call->inputs[0]->rank;
    int64_t n_axes = tensor_numel(axes);
    uint32_t seen = 0;
    char text[SHAPE_TEXT_MAX];

    assert(axes->data);
    if (axes->rank != 1 || n_axes > rank)
        return op_call_fail(call, err, "input 'axes' has shape %s, expected [k] with k <= %d",
                            shape_format(axes->rank, axes->dims, text, sizeof text), rank);
    if (t->rank != 1 || t->dims[0] != 2 * n_axes)
        return op_call_fail(call, err, "input 'pads' has shape %s, expected [%lld] for %lld axes",
                            shape_format(t->rank, t->dims, text, sizeof text),
                            (long long)(2 * n_axes), (long long)n_axes);
    for (int i = 0; i < 2 * rank; i++)
        pads[i] = 0;
    for (int64_t k = 0; k < n_axes; k++) {
        int64_t value = tensor_get_index(axes, k);
        int axis;
        if (!axis_normalize(value, rank, false, &axis))
            return op_call_fail(call, err, "axis %lld is out of range for rank %d",
                                (long long)value, rank);
        if (seen & (1u << axis))
            return op_call_fail(call, err, "axis %lld is listed twice", (long long)value);
        seen |= 1u << axis;
        pads[axis] = tensor_get_index(t, k);
        pads[axis + rank] = tensor_get_index(t, k + n_axes);
    }
    return STATUS_OK;
}

status_t pad_resolve(const op_call_t *call, int64_t *pads, error_t *err)
{
    const pad_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int rank = x->rank;
    char text[SHAPE_TEXT_MAX];
    const tensor_t *axes = p->axes_input && call->n_inputs > 3 ? call->inputs[3] : NULL;
    status_t st;

    if (axes) {
        assert(call->inputs[1]->data);
        if ((st = pad_spread_axes(call, call->inputs[1], axes, pads, err)) != STATUS_OK)
            return st;
    } else if (p->from_inputs) {
        const tensor_t *t = call->inputs[1];
        assert(t->data);
        if (t->rank != 1 || t->dims[0] != 2 * rank)
            return op_call_fail(call, err, "input 'pads' has shape %s, expected [%d]",
                                shape_format(t->rank, t->dims, text, sizeof text), 2 * rank);
        for (int i = 0; i < 2 * rank; i++)
            pads[i] = tensor_get_index(t, i);
    } else {
        if (p->pads_count != 2 * rank)
            return op_call_fail(call, err, "attribute 'pads' has %d values, expected %d",
                                p->pads_count, 2 * rank);
        memcpy(pads, p->pads, (size_t)(2 * rank) * sizeof *pads);
    }
    for (int i = 0; i < rank; i++) {
        int64_t begin = pads[i], end = pads[i + rank], dim = x->dims[i];
        /* Bounded first, so the sums below cannot overflow. */
        if (begin < -dim || end < -dim || begin > TENSOR_MAX_ELEMENTS ||
            end > TENSOR_MAX_ELEMENTS || dim + (begin < 0 ? begin : 0) + (end < 0 ? end : 0) < 0)
            return op_call_fail(call, err, "pads %lld and %lld do not fit axis %d of size %lld",
                                (long long)begin, (long long)end, i, (long long)dim);
        if (p->mode != PAD_CONSTANT && (begin > 0 || end > 0) &&
            dim + (begin < 0 ? begin : 0) + (end < 0 ? end : 0) == 0)
            return op_call_fail(call, err, "mode '%s' cannot pad axis %d: nothing is left of it",
                                pad_mode_names[p->mode], i);
    }
    return STATUS_OK;
}

static status_t pad_infer(op_call_t *call, error_t *err)
{
    const pad_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *value = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *y = &call->outputs[0];
    int64_t pads[2 * TENSOR_MAX_RANK];
    char text[SHAPE_TEXT_MAX];
    status_t st = pad_resolve(call, pads, err);

    if (st != STATUS_OK)
        return st;
    if (value && (value->dtype != x->dtype || tensor_numel(value) != 1))
        return op_call_fail(call, err, "constant_value must be one %s, got %s of shape %s",
                            dtype_name(x->dtype), dtype_name(value->dtype),
                            shape_format(value->rank, value->dims, text, sizeof text));
    /* The `value` attribute is a float, which only the float types of these opsets can hold. */
    if (!p->from_inputs && x->dtype != DTYPE_FLOAT && x->dtype != DTYPE_DOUBLE)
        return op_call_fail(call, err, "before opset 11 the data must be float, not %s",
                            dtype_name(x->dtype));
    y->dtype = x->dtype;
    y->rank = x->rank;
    for (int i = 0; i < x->rank; i++)
        y->dims[i] = x->dims[i] + pads[i] + pads[i + x->rank];
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s exceeds %lld elements",
                            shape_format(y->rank, y->dims, text, sizeof text),
                            (long long)TENSOR_MAX_ELEMENTS);
    call->workspace_size = pad_workspace_size(y->rank, y->dims);
    return STATUS_OK;
}

const op_kernel_t pad_kernel = {
    .name = "Pad",
    .info = &pad_info,
    .params_size = sizeof(pad_params_t),
    .value_inputs = 1u << 1 | 1u << 3,
    .infer = pad_infer,
    .run = pad_run,
};
