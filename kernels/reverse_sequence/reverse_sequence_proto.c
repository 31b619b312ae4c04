#include "reverse_sequence.h"

static const op_info_t reverse_sequence_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t reverse_sequence_infer(op_call_t *call, error_t *err)
{
    const reverse_sequence_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *lens = call->inputs[1];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];

    if (x->rank < 2)
        return op_call_fail(call, err, "input must have rank 2 or more, got shape %s",
                            shape_format(x->rank, x->dims, a, sizeof a));
    if (lens->rank != 1 || lens->dims[0] != x->dims[p->batch_axis])
        return op_call_fail(
            call, err, "sequence_lens %s must be 1-D with the batch size of input %s (dim %lld)",
            shape_format(lens->rank, lens->dims, a, sizeof a),
            shape_format(x->rank, x->dims, b, sizeof b), (long long)p->batch_axis);
    if (lens->data) {
        const int64_t *v = lens->data, time = x->dims[p->time_axis];
        for (int64_t i = 0; i < lens->dims[0]; i++)
            if (v[i] < 0 || v[i] > time)
                return op_call_fail(
                    call, err, "sequence_lens[%lld] = %lld is outside [0, %lld] (the time axis)",
                    (long long)i, (long long)v[i], (long long)time);
    }
    return op_infer_same_as_input(call, err);
}

const op_kernel_t reverse_sequence_kernel = {
    .name = "ReverseSequence",
    .info = &reverse_sequence_info,
    .params_size = sizeof(reverse_sequence_params_t),
    .infer = reverse_sequence_infer,
    .run = reverse_sequence_run,
};
