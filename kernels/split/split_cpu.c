#include "split.h"

#include <string.h>

void split_block(void *dst, size_t block_bytes, const void *src, size_t row_bytes, int64_t outer)
{
    char *d = dst;
    const char *s = src;

    for (int64_t o = 0; o < outer; o++)
        memcpy(d + o * block_bytes, s + o * row_bytes, block_bytes);
}

status_t split_run(op_call_t *call, error_t *err)
{
    const split_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    int64_t outer = 1;
    size_t row_bytes, offset = 0;

    if (tensor_numel(x) == 0)
        return STATUS_OK;
    for (int i = 0; i < axis; i++)
        outer *= x->dims[i];
    row_bytes = tensor_bytes(x) / (size_t)outer;
    for (int k = 0; k < call->n_outputs; k++) {
        size_t block_bytes = tensor_bytes(&call->outputs[k]) / (size_t)outer;
        if (block_bytes == 0)
            continue;
        split_block(call->outputs[k].data, block_bytes, (const char *)x->data + offset, row_bytes,
                    outer);
        offset += block_bytes;
    }
    return STATUS_OK;
}
