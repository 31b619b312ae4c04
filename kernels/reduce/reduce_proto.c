#include "reduce.h"

#define REDUCE_DTYPES (DTYPES_FLOAT | DTYPES_INDEX)

static const op_info_t reduce_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {REDUCE_DTYPES},
    .layout = "any",
};

static const op_info_t reduce_axes_input_info = {
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {REDUCE_DTYPES, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static const op_info_t argmax_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {REDUCE_DTYPES},
    .layout = "any",
};

status_t reduce_resolve(const op_call_t *call, uint32_t *mask, bool *noop, error_t *err)
{
    const reduce_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *axes = p->axes_input && call->n_inputs > 1 ? call->inputs[1] : NULL;
    int64_t n_axes = p->axes_input ? 0 : p->n_axes;
    char buf[SHAPE_TEXT_MAX];

    if (axes) {
        if (axes->rank > 1)
            return op_call_fail(call, err, "axes must be 1-D, got shape %s",
                                shape_format(axes->rank, axes->dims, buf, sizeof buf));
        n_axes = tensor_numel(axes);
    }
    *mask = 0;
    *noop = false;
    if (n_axes <= 0) {
        /* No axes: reduce everything, unless the op was asked to pass the input through. */
        *noop = p->noop_with_empty_axes;
        if (!*noop)
            *mask = (1u << x->rank) - 1;
        return STATUS_OK;
    }
    for (int64_t i = 0; i < n_axes; i++) {
        int64_t value = axes ? tensor_get_index(axes, i) : p->axes[i];
        int axis;
        if (!axis_normalize(value, x->rank, false, &axis))
            return op_call_fail(call, err, "axis %lld is out of range for input %s",
                                (long long)value, shape_format(x->rank, x->dims, buf, sizeof buf));
        if (*mask & (1u << axis))
            return op_call_fail(call, err, "axis %lld is listed twice", (long long)value);
        *mask |= 1u << axis;
    }
    return STATUS_OK;
}

static status_t reduce_infer(op_call_t *call, error_t *err)
{
    const reduce_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    uint32_t mask;
    bool noop;
    status_t st = reduce_resolve(call, &mask, &noop, err);

    if (st != STATUS_OK)
        return st;
    y->dtype = x->dtype;
    y->rank = 0;
    y->data = NULL;
    for (int i = 0; i < x->rank; i++) {
        if (!(mask & (1u << i)))
            y->dims[y->rank++] = x->dims[i];
        else if (p->keepdims)
            y->dims[y->rank++] = 1;
    }
    call->workspace_size = 0;
    return STATUS_OK;
}

static status_t argmax_infer(op_call_t *call, error_t *err)
{
    const argmax_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    int64_t inner = 1;
    char buf[SHAPE_TEXT_MAX];
    int axis;

    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input %s", (long long)p->axis,
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    if (x->dims[axis] == 0)
        return op_call_fail(call, err, "axis %lld of input %s is empty: no maximum to select",
                            (long long)p->axis, shape_format(x->rank, x->dims, buf, sizeof buf));
    y->dtype = DTYPE_INT64;
    y->rank = 0;
    y->data = NULL;
    for (int i = 0; i < x->rank; i++) {
        if (i > axis)
            inner *= x->dims[i];
        if (i != axis)
            y->dims[y->rank++] = x->dims[i];
        else if (p->keepdims)
            y->dims[y->rank++] = 1;
    }
    call->workspace_size = inner > 1 ? (size_t)inner * dtype_size(x->dtype) : 0;
    return STATUS_OK;
}

#define REDUCE_KERNEL(var, op_name, run_fn)                                                        \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &reduce_info,                                                                      \
        .params_size = sizeof(reduce_params_t),                                                    \
        .infer = reduce_infer,                                                                     \
        .run = run_fn,                                                                             \
    }

REDUCE_KERNEL(reduce_sum_kernel, "ReduceSum", reduce_sum_run);
REDUCE_KERNEL(reduce_mean_kernel, "ReduceMean", reduce_mean_run);
REDUCE_KERNEL(reduce_max_kernel, "ReduceMax", reduce_max_run);
REDUCE_KERNEL(reduce_min_kernel, "ReduceMin", reduce_min_run);
REDUCE_KERNEL(reduce_sum_square_kernel, "ReduceSumSquare", reduce_sum_square_run);

/* From ReduceSum-13 and the others' opset 18: the axes decide the output shape. */
#define REDUCE_AXES_INPUT_KERNEL(var, op_name, run_fn)                                             \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &reduce_axes_input_info,                                                           \
        .params_size = sizeof(reduce_params_t),                                                    \
        .value_inputs = 1u << 1,                                                                   \
        .infer = reduce_infer,                                                                     \
        .run = run_fn,                                                                             \
    }

REDUCE_AXES_INPUT_KERNEL(reduce_sum_axes_input_kernel, "ReduceSum", reduce_sum_run);
REDUCE_AXES_INPUT_KERNEL(reduce_mean_axes_input_kernel, "ReduceMean", reduce_mean_run);
REDUCE_AXES_INPUT_KERNEL(reduce_max_axes_input_kernel, "ReduceMax", reduce_max_run);
REDUCE_AXES_INPUT_KERNEL(reduce_min_axes_input_kernel, "ReduceMin", reduce_min_run);
REDUCE_AXES_INPUT_KERNEL(reduce_sum_square_axes_input_kernel, "ReduceSumSquare",
                         reduce_sum_square_run);

const op_kernel_t argmax_kernel = {
    .name = "ArgMax",
    .info = &argmax_info,
    .params_size = sizeof(argmax_params_t),
    .infer = argmax_infer,
    .run = argmax_run,
};
