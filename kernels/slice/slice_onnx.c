/*
 * ONNX adapters: Slice with starts/ends/axes attributes (opsets 1-9) and
 * with starts, ends, axes and steps inputs (opset 10 on).
 */
#include "slice.h"

static status_t adapt_slice_attr(const op_adapt_t *a, void *params, error_t *err)
{
    slice_params_t *p = params;
    int ends_count;
    status_t st;

    if (a->n_inputs != 1)
        return op_adapt_fail(a, err, "opset %d takes 1 input, got %d", a->opset, a->n_inputs);
    st = adapt_ints(a, "starts", TENSOR_MAX_RANK, p->starts, &p->count, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "ends", TENSOR_MAX_RANK, p->ends, &ends_count, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "axes", TENSOR_MAX_RANK, p->axes, &p->axes_count, err);
    if (st != STATUS_OK)
        return st;
    if (p->count < 0 || ends_count < 0)
        return op_adapt_fail(a, err, "attributes 'starts' and 'ends' are required");
    if (ends_count != p->count || (p->axes_count >= 0 && p->axes_count != p->count))
        return op_adapt_fail(a, err, "'starts', 'ends' and 'axes' have %d, %d and %d values",
                             p->count, ends_count, p->axes_count);
    return STATUS_OK;
}

static status_t adapt_slice_input(const op_adapt_t *a, void *params, error_t *err)
{
    slice_params_t *p = params;

    if (a->n_inputs < 3)
        return op_adapt_fail(a, err, "opset %d takes 3 to 5 inputs, got %d", a->opset, a->n_inputs);
    p->from_inputs = true;
    p->axes_count = -1;
    return STATUS_OK;
}

const op_schema_t op_schemas_slice[] = {
    {"Slice", 1, 9, adapt_slice_attr, &slice_kernel},
    {"Slice", 10, OPSET_MAX, adapt_slice_input, &slice_kernel},
    {0},
};
