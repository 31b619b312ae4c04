/* Prototypes that several families share. */
#include "op.h"

status_t op_infer_same_as_input(op_call_t *call, error_t *err)
{
    call->outputs[0] = *call->inputs[0];
    call->outputs[0].data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}
