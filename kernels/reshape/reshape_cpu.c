#include "reshape.h"

#include <string.h>

status_t reshape_run(op_call_t *call, error_t *err)
{
    size_t bytes = tensor_bytes(call->inputs[0]);

    /* In place (the memory plan's choice when the input dies here) there is nothing to move. */
    if (call->outputs[0].data != call->inputs[0]->data && bytes)
        memcpy(call->outputs[0].data, call->inputs[0]->data, bytes);
    return STATUS_OK;
}
