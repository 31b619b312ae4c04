/* Helpers the control-flow kernels share (control.h). */
#include "control.h"

#include <string.h>

status_t control_copy_output(op_call_t *call, int k, const tensor_t *t, error_t *err)
{
    status_t st;

    if (dtype_size(t->dtype) == 0)
        return op_call_fail(call, err, "output %d has dtype %s", k, dtype_name(t->dtype));
    call->outputs[k].dtype = t->dtype;
    st = op_call_output(call, k, t->rank, t->dims, err);
    if (!st && tensor_bytes(t))
        memcpy(call->outputs[k].data, t->data, tensor_bytes(t));
    return st;
}

status_t control_read_bool(const op_call_t *call, const tensor_t *t, const char *what, bool *out,
                           error_t *err)
{
    char text[SHAPE_TEXT_MAX];

    if (t->dtype != DTYPE_BOOL || tensor_numel(t) != 1)
        return op_call_fail(call, err, "%s must be one bool, got %s of shape %s", what,
                            dtype_name(t->dtype),
                            shape_format(t->rank, t->dims, text, sizeof text));
    *out = *(const uint8_t *)t->data != 0;
    return STATUS_OK;
}
