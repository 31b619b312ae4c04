/*
 * ONNX adapters: Split. The sizes are the `split` attribute in opsets 2-12
 * and input 1 from opset 13; opset 1 allows either. Opset 18 adds
 * `num_outputs` (ceil-sized parts, the last one smaller). Without any of
 * them the axis is split equally.
 */
#include "split.h"

static status_t adapt_split_attr(const op_adapt_t *a, void *params, error_t *err)
{
    split_params_t *p = params;
    const attr_t *split = attrs_find(a->attrs, "split");
    status_t st = adapt_int(a, "axis", 0, &p->axis, err);

    if (st != STATUS_OK)
        return st;
    if (a->opset >= 2 && a->n_inputs > 1)
        return op_adapt_fail(a, err, "opset %d takes 1 input, got %d", a->opset, a->n_inputs);
    if (split && split->type != ATTR_INTS)
        return op_adapt_fail(a, err, "attribute 'split' must be a list of ints");
    if (split && split->count > INT_MAX)
        return op_adapt_fail(a, err, "attribute 'split' has %zu values", split->count);
    if (split) {
        p->split = split->ints;
        p->split_count = (int)split->count;
    }
    return STATUS_OK;
}

static status_t adapt_split_input(const op_adapt_t *a, void *params, error_t *err)
{
    split_params_t *p = params;
    return adapt_int(a, "axis", 0, &p->axis, err);
}

static status_t adapt_split_num_outputs(const op_adapt_t *a, void *params, error_t *err)
{
    split_params_t *p = params;
    status_t st = adapt_split_input(a, params, err);

    if (st != STATUS_OK)
        return st;
    if ((st = adapt_int(a, "num_outputs", 0, &p->num_outputs, err)) != STATUS_OK)
        return st;
    if (adapt_has(a, "num_outputs") && p->num_outputs < 1)
        return op_adapt_fail(a, err, "attribute 'num_outputs' must be positive, got %lld",
                             (long long)p->num_outputs);
    return STATUS_OK;
}

const op_schema_t op_schemas_split[] = {
    {"Split", 1, 12, adapt_split_attr, &split_kernel},
    {"Split", 13, 17, adapt_split_input, &split_kernel},
    {"Split", 18, OPSET_MAX, adapt_split_num_outputs, &split_kernel},
    {0},
};
