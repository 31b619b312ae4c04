#include "concat.h"

#include <string.h>

void concat_block(void *dst, size_t row_bytes, const void *src, size_t block_bytes, int64_t outer)
{
    char *d = dst;
    const char *s = src;

    for (int64_t o = 0; o < outer; o++)
        memcpy(d + o * row_bytes, s + o * block_bytes, block_bytes);
}

status_t concat_run(op_call_t *call, error_t *err)
{
    const concat_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    int axis = (int)(p->axis < 0 ? p->axis + y->rank : p->axis);
    int64_t outer = 1;
    size_t row_bytes, offset = 0;

    if (tensor_numel(y) == 0)
        return STATUS_OK;
    for (int i = 0; i < axis; i++)
        outer *= y->dims[i];
    row_bytes = tensor_bytes(y) / (size_t)outer;
    /*
     * Input by input, so each source is read front to back. An empty input
     * adds nothing whatever its shape (infer let mismatched empty ones pass).
     */
    for (int i = 0; i < call->n_inputs; i++) {
        size_t block_bytes = tensor_bytes(call->inputs[i]) / (size_t)outer;
        if (block_bytes == 0)
            continue;
        concat_block((char *)y->data + offset, row_bytes, call->inputs[i]->data, block_bytes,
                     outer);
        offset += block_bytes;
    }
    return STATUS_OK;
}
