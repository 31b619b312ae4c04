/* If: runs the branch its condition picks and copies the branch's outputs. */
#include "control.h"

status_t if_run(op_call_t *call, error_t *err)
{
    const if_params_t *p = call->params;
    const tensor_t *outputs;
    bool cond;
    status_t st = control_read_bool(call, call->inputs[0], "input 'cond'", &cond, err);

    if (!st)
        st = call->run_subgraph(call, cond ? p->then_graph : p->else_graph, NULL, 0, &outputs, err);
    for (int k = 0; !st && k < call->n_outputs; k++)
        st = control_copy_output(call, k, &outputs[k], err);
    return st;
}
