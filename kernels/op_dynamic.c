/*
 * op_dynamic.c - what kernels with data-dependent output shapes call to get
 * their output buffers (op.h: dynamic_outputs), over the engine's buffer
 * callback.
 */
#include "op.h"

#include <assert.h>

status_t op_call_output(op_call_t *call, int k, int rank, const int64_t *dims, error_t *err)
{
    tensor_t *y = &call->outputs[k];
    char text[SHAPE_TEXT_MAX];
    int64_t numel;
    size_t bytes;
    void *data;

    assert(k >= 0 && k < call->n_outputs && call->buffer);
    if (rank < 0 || rank > TENSOR_MAX_RANK || !shape_valid(rank, dims, &numel))
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "output %d would have shape %s, over the %lld-element limit", k,
                       shape_format(rank, dims, text, sizeof text), (long long)TENSOR_MAX_ELEMENTS);
    bytes = (size_t)numel * dtype_size(y->dtype);
    assert(dtype_size(y->dtype) > 0);
    data = call->buffer(call, k, bytes, err);
    if (!data)
        return err ? err->code : STATUS_OUT_OF_MEMORY;
    y->rank = rank;
    for (int d = 0; d < rank; d++)
        y->dims[d] = dims[d];
    y->data = data;
    return STATUS_OK;
}

void *op_call_scratch(op_call_t *call, int slot, size_t bytes, error_t *err)
{
    assert(slot >= 0 && slot < OP_MAX_SCRATCH && call->buffer);
    return call->buffer(call, call->n_outputs + slot, bytes, err);
}
