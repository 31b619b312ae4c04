#include "concat.h"

static const op_info_t concat_info = {
    .min_inputs = 1,
    .max_inputs = -1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

/* Same rank and the same dims on every axis but `axis`. */
static bool concat_compatible(const tensor_t *a, const tensor_t *b, int axis)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (i != axis && a->dims[i] != b->dims[i])
            return false;
    return true;
}

static status_t concat_infer(op_call_t *call, error_t *err)
{
    const concat_params_t *p = call->params;
    const tensor_t *ref = NULL;
    tensor_t *y = &call->outputs[0];
    char a_text[SHAPE_TEXT_MAX], b_text[SHAPE_TEXT_MAX];
    int axis, ref_index = 0;

    for (int i = 0; i < call->n_inputs; i++) {
        if (!call->inputs[i])
            return op_call_fail(call, err, "input %d is missing", i);
        if (!ref && tensor_numel(call->inputs[i]) > 0) {
            ref = call->inputs[i];
            ref_index = i;
        }
    }
    /*
     * The shape comes from the first non-empty input: exporters concatenate
     * empty 1-D tensors (e.g. an empty shape list) with tensors of any rank,
     * and onnxruntime accepts that, so mismatched empty inputs are skipped.
     */
    if (!ref)
        ref = call->inputs[0];
    if (ref->rank == 0)
        return op_call_fail(call, err, "cannot concatenate scalars (input %d)", ref_index);
    if (!axis_normalize(p->axis, ref->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for inputs of rank %d",
                            (long long)p->axis, ref->rank);
    *y = *ref;
    y->data = NULL;
    y->dims[axis] = 0;
    for (int i = 0; i < call->n_inputs; i++) {
        const tensor_t *x = call->inputs[i];
        if (x->dtype != ref->dtype)
            return op_call_fail(call, err, "input %d has dtype %s, input %d has %s", i,
                                dtype_name(x->dtype), ref_index, dtype_name(ref->dtype));
        if (!concat_compatible(x, ref, axis)) {
            if (tensor_numel(x) == 0)
                continue;
            return op_call_fail(call, err,
                                "input %d of shape %s does not match input %d of shape %s "
                                "outside axis %d",
                                i, shape_format(x->rank, x->dims, a_text, sizeof a_text), ref_index,
                                shape_format(ref->rank, ref->dims, b_text, sizeof b_text), axis);
        }
        y->dims[axis] += x->dims[axis];
    }
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s exceeds %lld elements",
                            shape_format(y->rank, y->dims, a_text, sizeof a_text),
                            (long long)TENSOR_MAX_ELEMENTS);
    return STATUS_OK;
}

const op_kernel_t concat_kernel = {
    .name = "Concat",
    .info = &concat_info,
    .params_size = sizeof(concat_params_t),
    .infer = concat_infer,
    .run = concat_run,
};
