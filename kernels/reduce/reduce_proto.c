#include "reduce.h"

/* The dtypes of the Reduce* ops' spec (float16 and bfloat16 aside). */
#define REDUCE_DTYPES                                                                              \
    (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPES_INDEX | DTYPE_BIT(DTYPE_UINT32) |             \
     DTYPE_BIT(DTYPE_UINT64))
/*
 * ReduceMax and ReduceMin also take int8 and uint8 (opset 12) and bool
 * (opset 20); one kernel serves every version, so the older ones accept
 * them too, which is harmless.
 */
#define REDUCE_MINMAX_DTYPES                                                                       \
    (REDUCE_DTYPES | DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_UINT8) | DTYPE_BIT(DTYPE_BOOL))
/* ArgMax and ArgMin take every numeric type. */
#define ARG_DTYPES (DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE))

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

static const op_info_t reduce_minmax_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {REDUCE_MINMAX_DTYPES},
    .layout = "any",
};

static const op_info_t reduce_minmax_axes_input_info = {
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {REDUCE_MINMAX_DTYPES, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static const op_info_t arg_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {ARG_DTYPES},
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

/* ReduceLogSumExp: reduce_infer, and a double per output element for the sums of exp. */
static status_t log_sum_exp_infer(op_call_t *call, error_t *err)
{
    status_t st = reduce_infer(call, err);

    if (st == STATUS_OK)
        call->workspace_size = (size_t)tensor_numel(&call->outputs[0]) * sizeof(double);
    return st;
}

static status_t arg_infer(op_call_t *call, error_t *err)
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
        return op_call_fail(call, err, "axis %lld of input %s is empty: no element to select",
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

#define REDUCE_KERNEL_INFO(var, op_name, info_table, infer_fn, run_fn)                             \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &info_table,                                                                       \
        .params_size = sizeof(reduce_params_t),                                                    \
        .infer = infer_fn,                                                                         \
        .run = run_fn,                                                                             \
    }
#define REDUCE_KERNEL(var, op_name, infer_fn, run_fn)                                              \
    REDUCE_KERNEL_INFO(var, op_name, reduce_info, infer_fn, run_fn)

/* The axes decide the output shape. */
#define REDUCE_AXES_INPUT_KERNEL_INFO(var, op_name, info_table, infer_fn, run_fn)                  \
    const op_kernel_t var = {                                                                      \
        .name = op_name,                                                                           \
        .info = &info_table,                                                                       \
        .params_size = sizeof(reduce_params_t),                                                    \
        .value_inputs = 1u << 1,                                                                   \
        .infer = infer_fn,                                                                         \
        .run = run_fn,                                                                             \
    }
#define REDUCE_AXES_INPUT_KERNEL(var, op_name, infer_fn, run_fn)                                   \
    REDUCE_AXES_INPUT_KERNEL_INFO(var, op_name, reduce_axes_input_info, infer_fn, run_fn)

REDUCE_KERNEL(reduce_sum_kernel, "ReduceSum", reduce_infer, reduce_sum_run);
REDUCE_KERNEL(reduce_mean_kernel, "ReduceMean", reduce_infer, reduce_mean_run);
REDUCE_KERNEL_INFO(reduce_max_kernel, "ReduceMax", reduce_minmax_info, reduce_infer,
                   reduce_max_run);
REDUCE_KERNEL_INFO(reduce_min_kernel, "ReduceMin", reduce_minmax_info, reduce_infer,
                   reduce_min_run);
REDUCE_KERNEL(reduce_sum_square_kernel, "ReduceSumSquare", reduce_infer, reduce_sum_square_run);
REDUCE_KERNEL(reduce_l1_kernel, "ReduceL1", reduce_infer, reduce_l1_run);
REDUCE_KERNEL(reduce_l2_kernel, "ReduceL2", reduce_infer, reduce_l2_run);
REDUCE_KERNEL(reduce_log_sum_kernel, "ReduceLogSum", reduce_infer, reduce_log_sum_run);
REDUCE_KERNEL(reduce_log_sum_exp_kernel, "ReduceLogSumExp", log_sum_exp_infer,
              reduce_log_sum_exp_run);
REDUCE_KERNEL(reduce_prod_kernel, "ReduceProd", reduce_infer, reduce_prod_run);
REDUCE_AXES_INPUT_KERNEL(reduce_sum_square_axes_input_kernel, "ReduceSumSquare", reduce_infer,
                         reduce_sum_square_run);
REDUCE_AXES_INPUT_KERNEL(reduce_l1_axes_input_kernel, "ReduceL1", reduce_infer, reduce_l1_run);
REDUCE_AXES_INPUT_KERNEL(reduce_l2_axes_input_kernel, "ReduceL2", reduce_infer, reduce_l2_run);
REDUCE_AXES_INPUT_KERNEL(reduce_log_sum_axes_input_kernel, "ReduceLogSum", reduce_infer,
                         reduce_log_sum_run);
REDUCE_AXES_INPUT_KERNEL(reduce_log_sum_exp_axes_input_kernel, "ReduceLogSumExp", log_sum_exp_infer,
                         reduce_log_sum_exp_run);
REDUCE_AXES_INPUT_KERNEL(reduce_prod_axes_input_kernel, "ReduceProd", reduce_infer,
                         reduce_prod_run);

REDUCE_AXES_INPUT_KERNEL(reduce_sum_axes_input_kernel, "ReduceSum", reduce_infer, reduce_sum_run);
REDUCE_AXES_INPUT_KERNEL(reduce_mean_axes_input_kernel, "ReduceMean", reduce_infer,
                         reduce_mean_run);
REDUCE_AXES_INPUT_KERNEL_INFO(reduce_max_axes_input_kernel, "ReduceMax",
                              reduce_minmax_axes_input_info, reduce_infer, reduce_max_run);
REDUCE_AXES_INPUT_KERNEL_INFO(reduce_min_axes_input_kernel, "ReduceMin",
                              reduce_minmax_axes_input_info, reduce_infer, reduce_min_run);

const op_kernel_t argmax_kernel = {
    .name = "ArgMax",
    .info = &arg_info,
    .params_size = sizeof(argmax_params_t),
    .infer = arg_infer,
    .run = argmax_run,
};

const op_kernel_t argmin_kernel = {
    .name = "ArgMin",
    .info = &arg_info,
    .params_size = sizeof(argmax_params_t),
    .infer = arg_infer,
    .run = argmin_run,
};
