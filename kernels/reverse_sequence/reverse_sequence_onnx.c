/* ONNX adapter: ReverseSequence (opset 10, unchanged since). */
#include "reverse_sequence.h"

static status_t adapt_reverse_sequence(const op_adapt_t *a, void *params, error_t *err)
{
    reverse_sequence_params_t *p = params;
    status_t st = adapt_int(a, "time_axis", 0, &p->time_axis, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "batch_axis", 1, &p->batch_axis, err);
    if (st != STATUS_OK)
        return st;
    if (!((p->time_axis == 0 && p->batch_axis == 1) || (p->time_axis == 1 && p->batch_axis == 0)))
        return op_adapt_fail(a, err,
                             "time_axis %lld and batch_axis %lld must be 0 and 1 in some order",
                             (long long)p->time_axis, (long long)p->batch_axis);
    return STATUS_OK;
}

const op_schema_t op_schemas_reverse_sequence[] = {
    {"ReverseSequence", 10, OPSET_MAX, adapt_reverse_sequence, &reverse_sequence_kernel},
    {0},
};
