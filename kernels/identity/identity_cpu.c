#include "identity.h"

#include <string.h>

static void copy_if_distinct(void *dst, const void *src, size_t n)
{
    if (dst != src && n)
        memcpy(dst, src, n);
}

status_t identity_run(op_call_t *call, error_t *err)
{
    copy_if_distinct(call->outputs[0].data, call->inputs[0]->data, tensor_bytes(call->inputs[0]));
    return STATUS_OK;
}

status_t dropout_run(op_call_t *call, error_t *err)
{
    copy_if_distinct(call->outputs[0].data, call->inputs[0]->data, tensor_bytes(call->inputs[0]));
    if (call->n_outputs > 1) {
        tensor_t *mask = &call->outputs[1];
        int64_t n = tensor_numel(mask);
        if (mask->dtype == DTYPE_BOOL) {
            memset(mask->data, 1, (size_t)n);
        } else {
            float *m = mask->data; /* legacy mask: the input's dtype, float here */
            for (int64_t i = 0; i < n; i++)
                m[i] = 1.0f;
        }
    }
    return STATUS_OK;
}
