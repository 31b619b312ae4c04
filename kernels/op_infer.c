/* Prototypes that several families share. */
#include "op.h"

status_t op_infer_same_as_input(op_call_t *call, error_t *err)
{
    call->outputs[0] = *call->inputs[0];
    call->outputs[0].data = NULL;
    call->workspace_size = 0;
    return STATUS_OK;
}

bool op_batch_rows_broadcast(const op_call_t *call)
{
    for (int i = 0; i < call->n_inputs; i++)
        if (call->inputs[i] && !call->inputs[i]->data &&
            call->inputs[i]->rank != call->outputs[0].rank)
            return false;
    return true;
}
