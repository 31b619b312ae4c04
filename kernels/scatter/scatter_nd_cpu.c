/*
 * scatter_nd_cpu.c - ScatterND: copies data to the output, then combines
 * each contiguous slice of updates into the slice its index row addresses.
 */
#include "scatter.h"

#include <assert.h>
#include <string.h>

#include "gather_nd/gather_nd.h"

status_t scatter_nd_run(op_call_t *call, error_t *err)
{
    const scatter_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    scatter_combine_fn combine = scatter_combine_function(x->dtype, p->reduction);
    const size_t elem = dtype_size(x->dtype);
    const char *src = updates->data;
    nd_index_plan_t plan;

    assert(combine); /* checked by the prototype */
    if (y->data != x->data)
        memcpy(y->data, x->data, tensor_bytes(x));
    nd_index_plan_init(&plan, x->rank, x->dims, indices->rank, indices->dims, 0);
    for (int64_t row = 0; row < plan.tuples; row++) {
        int64_t bad = -1;
        int64_t off = nd_index_offset(&plan, indices, row, &bad);
        if (off < 0)
            return op_call_fail(call, err,
                                "index %lld (element %lld of 'indices') is out of range for dim "
                                "%lld of data (size %lld)",
                                (long long)tensor_get_index(indices, bad), (long long)bad,
                                (long long)(bad % plan.k), (long long)plan.dims[bad % plan.k]);
        combine((char *)y->data + (size_t)off * elem, src + (size_t)(row * plan.slice_elems) * elem,
                plan.slice_elems);
    }
    return STATUS_OK;
}
