/*
 * ONNX adapters: Reduce* with the axes attribute (ReduceSum before 13, the
 * others through 17), with the axes input and noop_with_empty_axes (ReduceSum
 * from 13, the others from 18), and ArgMax (select_last_index from 12).
 * ReduceMax-20 and ReduceMin-20 only add bool inputs, which the kernels
 * refuse by dtype.
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
    {"ArgMax", 1, OPSET_MAX, adapt_argmax, &argmax_kernel},
    {0},
};
