#include "split.h"

#include <assert.h>

static const op_info_t split_info = {
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = -1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

/*
 * Part k's size along the axis: from input 1, the `split` attribute, a
 * ceil-sized chunk of num_outputs, or an equal share.
 */
static int64_t split_part(const op_call_t *call, const tensor_t *split, int64_t dim, int k)
{
    const split_params_t *p = call->params;

    if (split)
        return tensor_get_index(split, k);
    if (p->split)
        return p->split[k];
    if (p->num_outputs > 0) {
        int64_t chunk = (dim + p->num_outputs - 1) / p->num_outputs;
        int64_t start = chunk * k;
        return start >= dim ? 0 : (dim - start < chunk ? dim - start : chunk);
    }
    return dim / call->n_outputs;
}

static status_t split_infer(op_call_t *call, error_t *err)
{
    const split_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *split = call->n_inputs > 1 ? call->inputs[1] : NULL;
    char text[SHAPE_TEXT_MAX];
    int64_t dim, total = 0;
    int axis;

    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, text, sizeof text));
    dim = x->dims[axis];
    if (split && p->num_outputs > 0) {
        return op_call_fail(call, err, "takes input 'split' or attribute 'num_outputs', not both");
    } else if (split) {
        assert(split->data);
        if (split->rank != 1 || split->dims[0] != call->n_outputs)
            return op_call_fail(call, err, "input 'split' of shape %s does not give %d sizes",
                                shape_format(split->rank, split->dims, text, sizeof text),
                                call->n_outputs);
    } else if (p->split && p->split_count != call->n_outputs) {
        return op_call_fail(call, err, "attribute 'split' has %d values for %d outputs",
                            p->split_count, call->n_outputs);
    } else if (p->num_outputs > 0 && p->num_outputs != call->n_outputs) {
        return op_call_fail(call, err, "attribute 'num_outputs' is %lld for %d outputs",
                            (long long)p->num_outputs, call->n_outputs);
    } else if (!p->split && p->num_outputs == 0 && dim % call->n_outputs != 0) {
        return op_call_fail(call, err, "axis %d of size %lld does not split into %d equal parts",
                            axis, (long long)dim, call->n_outputs);
    }
    for (int k = 0; k < call->n_outputs; k++) {
        int64_t part = split_part(call, split, dim, k);
        if (part < 0 || part > dim - total)
            return op_call_fail(call, err,
                                "split size %lld of output %d does not fit axis %d of size %lld",
                                (long long)part, k, axis, (long long)dim);
        total += part;
        call->outputs[k] = *x;
        call->outputs[k].data = NULL;
        call->outputs[k].dims[axis] = part;
    }
    if (total != dim)
        return op_call_fail(call, err, "split sizes add up to %lld, axis %d has size %lld",
                            (long long)total, axis, (long long)dim);
    return STATUS_OK;
}

const op_kernel_t split_kernel = {
    .name = "Split",
    .info = &split_info,
    .params_size = sizeof(split_params_t),
    .value_inputs = 1u << 1,
    .infer = split_infer,
    .run = split_run,
};
