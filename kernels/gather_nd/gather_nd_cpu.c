/* gather_nd_cpu.c - GatherND: one memcpy of a contiguous slice per index row. */
#include "gather_nd.h"

#include <string.h>

int64_t gather_nd(const nd_index_plan_t *plan, const void *x, const tensor_t *indices, void *y,
                  size_t elem_size)
{
    const size_t slice_bytes = (size_t)plan->slice_elems * elem_size;
    const char *src = x;
    char *dst = y;

    for (int64_t b = 0; b < plan->batches; b++) {
        const char *batch = src + (size_t)(b * plan->batch_elems) * elem_size;
        for (int64_t t = 0; t < plan->tuples; t++, dst += slice_bytes) {
            int64_t bad = -1;
            int64_t off = nd_index_offset(plan, indices, b * plan->tuples + t, &bad);
            if (off < 0)
                return bad;
            memcpy(dst, batch + (size_t)off * elem_size, slice_bytes);
        }
    }
    return -1;
}

status_t gather_nd_run(op_call_t *call, error_t *err)
{
    const gather_nd_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1];
    nd_index_plan_t plan;
    int64_t bad;

    nd_index_plan_init(&plan, x->rank, x->dims, indices->rank, indices->dims, (int)p->batch_dims);
    bad = gather_nd(&plan, x->data, indices, call->outputs[0].data, dtype_size(x->dtype));
    if (bad >= 0)
        return op_call_fail(call, err,
                            "index %lld (element %lld of 'indices') is out of range for dim %d "
                            "of data (size %lld)",
                            (long long)tensor_get_index(indices, bad), (long long)bad,
                            (int)(p->batch_dims + bad % plan.k),
                            (long long)plan.dims[bad % plan.k]);
    return STATUS_OK;
}
