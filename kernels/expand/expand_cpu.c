/* Broadcasting a size-1 axis to n is repeating it n times, so Expand runs on repeat_bytes. */
#include "expand.h"

#include "repeat.h"

status_t expand_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    int64_t dims[TENSOR_MAX_RANK], repeats[TENSOR_MAX_RANK];
    int lead = y->rank - x->rank;

    /* The input, aligned to the output's rank with leading 1s. */
    for (int i = 0; i < y->rank; i++) {
        dims[i] = i < lead ? 1 : x->dims[i - lead];
        repeats[i] = dims[i] == y->dims[i] ? 1 : y->dims[i];
    }
    repeat_bytes(y->data, x->data, dtype_size(x->dtype), y->rank, dims, repeats);
    return STATUS_OK;
}
