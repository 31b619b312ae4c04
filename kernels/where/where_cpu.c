#include "where.h"

status_t where_run(op_call_t *call, error_t *err)
{
    tensor_t *out = &call->outputs[0];
    const size_t size = dtype_size(out->dtype);
    const void *data[3] = {call->inputs[0]->data, call->inputs[1]->data, call->inputs[2]->data};
    const size_t sizes[3] = {sizeof(bool), size, size};
    bcast_plan_t plan;
    bool all_advance;

    bcast_plan_init(&plan, 3, call->inputs, out);
    all_advance = plan.inner_step[0] && plan.inner_step[1] && plan.inner_step[2];
    bcast_walk(&plan, where_row(size, all_advance), plan.inner_step, out->data, size, data, sizes);
    return STATUS_OK;
}
