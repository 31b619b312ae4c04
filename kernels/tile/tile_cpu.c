#include "tile.h"

#include "repeat.h"

status_t tile_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *repeats = call->inputs[1];
    int64_t r[TENSOR_MAX_RANK];

    for (int i = 0; i < x->rank; i++)
        r[i] = tensor_get_index(repeats, i);
    repeat_bytes(call->outputs[0].data, x->data, dtype_size(x->dtype), x->rank, x->dims, r);
    return STATUS_OK;
}
