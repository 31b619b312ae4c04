/*
 * ONNX adapters: Reduce* with the axes attribute (ReduceSum before 13, the
 * others through 17), with the axes input and noop_with_empty_axes
 * (ReduceSum from 13, the others from 18), and ArgMax and ArgMin
 * (select_last_index from 12). Versions 11 and 13 of the Reduce* ops only
 * added dtypes and negative-axis wording; they keep their own entries with
 * the same adapter. ReduceMax-20 and ReduceMin-20 only add bool inputs,
 * which the kernels refuse by dtype.
 */
#include "reduce.h"

static status_t read_flag(const op_adapt_t *a, const char *name, int64_t def, bool *out,
                          error_t *err)
{
    int64_t v;
    status_t st = adapt_int(a, name, def, &v, err);

    if (st != STATUS_OK)
        return st;
    if (v != 0 && v != 1)
        return op_adapt_fail(a, err, "attribute '%s' must be 0 or 1, got %lld", name, (long long)v);
    *out = v != 0;
    return STATUS_OK;
}

static status_t adapt_axes_attribute(const op_adapt_t *a, void *params, error_t *err)
{
    reduce_params_t *p = params;
    status_t st = read_flag(a, "keepdims", 1, &p->keepdims, err);

    if (st != STATUS_OK)
        return st;
    return adapt_ints(a, "axes", TENSOR_MAX_RANK, p->axes, &p->n_axes, err);
}

static status_t adapt_axes_input(const op_adapt_t *a, void *params, error_t *err)
{
    reduce_params_t *p = params;
    status_t st = read_flag(a, "keepdims", 1, &p->keepdims, err);

    if (st != STATUS_OK)
        return st;
    p->axes_input = true;
    p->n_axes = -1;
    return read_flag(a, "noop_with_empty_axes", 0, &p->noop_with_empty_axes, err);
}

static status_t adapt_argmax(const op_adapt_t *a, void *params, error_t *err)
{
    argmax_params_t *p = params;
    status_t st;

    if ((st = adapt_int(a, "axis", 0, &p->axis, err)) != STATUS_OK ||
        (st = read_flag(a, "keepdims", 1, &p->keepdims, err)) != STATUS_OK)
        return st;
    return read_flag(a, "select_last_index", 0, &p->select_last_index, err);
}

const op_schema_t op_schemas_reduce[] = {
    {"ReduceSum", 1, 12, adapt_axes_attribute, &reduce_sum_kernel},
    {"ReduceSum", 13, OPSET_MAX, adapt_axes_input, &reduce_sum_axes_input_kernel},
    {"ReduceMean", 1, 17, adapt_axes_attribute, &reduce_mean_kernel},
    {"ReduceMean", 18, OPSET_MAX, adapt_axes_input, &reduce_mean_axes_input_kernel},
    {"ReduceMax", 1, 17, adapt_axes_attribute, &reduce_max_kernel},
    {"ReduceMax", 18, 19, adapt_axes_input, &reduce_max_axes_input_kernel},
    {"ReduceMax", 20, OPSET_MAX, adapt_axes_input, &reduce_max_axes_input_kernel},
    {"ReduceMin", 1, 17, adapt_axes_attribute, &reduce_min_kernel},
    {"ReduceMin", 18, 19, adapt_axes_input, &reduce_min_axes_input_kernel},
    {"ReduceMin", 20, OPSET_MAX, adapt_axes_input, &reduce_min_axes_input_kernel},
    {"ReduceSumSquare", 1, 17, adapt_axes_attribute, &reduce_sum_square_kernel},
    {"ReduceSumSquare", 18, OPSET_MAX, adapt_axes_input, &reduce_sum_square_axes_input_kernel},
    {"ReduceL1", 1, 10, adapt_axes_attribute, &reduce_l1_kernel},
    {"ReduceL1", 11, 12, adapt_axes_attribute, &reduce_l1_kernel},
    {"ReduceL1", 13, 17, adapt_axes_attribute, &reduce_l1_kernel},
    {"ReduceL1", 18, OPSET_MAX, adapt_axes_input, &reduce_l1_axes_input_kernel},
    {"ReduceL2", 1, 10, adapt_axes_attribute, &reduce_l2_kernel},
    {"ReduceL2", 11, 12, adapt_axes_attribute, &reduce_l2_kernel},
    {"ReduceL2", 13, 17, adapt_axes_attribute, &reduce_l2_kernel},
    {"ReduceL2", 18, OPSET_MAX, adapt_axes_input, &reduce_l2_axes_input_kernel},
    {"ReduceLogSum", 1, 10, adapt_axes_attribute, &reduce_log_sum_kernel},
    {"ReduceLogSum", 11, 12, adapt_axes_attribute, &reduce_log_sum_kernel},
    {"ReduceLogSum", 13, 17, adapt_axes_attribute, &reduce_log_sum_kernel},
    {"ReduceLogSum", 18, OPSET_MAX, adapt_axes_input, &reduce_log_sum_axes_input_kernel},
    {"ReduceLogSumExp", 1, 10, adapt_axes_attribute, &reduce_log_sum_exp_kernel},
    {"ReduceLogSumExp", 11, 12, adapt_axes_attribute, &reduce_log_sum_exp_kernel},
    {"ReduceLogSumExp", 13, 17, adapt_axes_attribute, &reduce_log_sum_exp_kernel},
    {"ReduceLogSumExp", 18, OPSET_MAX, adapt_axes_input, &reduce_log_sum_exp_axes_input_kernel},
    {"ReduceProd", 1, 10, adapt_axes_attribute, &reduce_prod_kernel},
    {"ReduceProd", 11, 12, adapt_axes_attribute, &reduce_prod_kernel},
    {"ReduceProd", 13, 17, adapt_axes_attribute, &reduce_prod_kernel},
    {"ReduceProd", 18, OPSET_MAX, adapt_axes_input, &reduce_prod_axes_input_kernel},
    {"ArgMax", 1, OPSET_MAX, adapt_argmax, &argmax_kernel},
    {"ArgMin", 1, 10, adapt_argmax, &argmin_kernel},
    {"ArgMin", 11, 11, adapt_argmax, &argmin_kernel},
    {"ArgMin", 12, 12, adapt_argmax, &argmin_kernel},
    {"ArgMin", 13, OPSET_MAX, adapt_argmax, &argmin_kernel},
    {0},
};
