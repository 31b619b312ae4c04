/*
 * scatter_elements_cpu.c - ScatterElements: copies data to the output, then
 * walks the indices with an odometer (the offset in y of every coordinate
 * but the axis's) and combines each update into its element.
 */
#include "scatter.h"

#include <assert.h>
#include <string.h>

int64_t scatter_elements(void *y, const int64_t *y_dims, int axis, const tensor_t *indices,
                         const void *updates, size_t elem_size, scatter_combine_fn combine)
{
    const int rank = indices->rank;
    const int64_t n = tensor_numel(indices), axis_dim = y_dims[axis];
    int64_t strides[TENSOR_MAX_RANK], coords[TENSOR_MAX_RANK] = {0};
    int64_t base = 0;
    const char *src = updates;
    char *dst = y;

    assert(rank >= 1 && axis >= 0 && axis < rank);
    shape_strides(rank, y_dims, strides);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = tensor_get_index(indices, i);
        if (v < -axis_dim || v >= axis_dim)
            return i;
        if (v < 0)
            v += axis_dim;
        combine(dst + (size_t)(base + v * strides[axis]) * elem_size, src + (size_t)i * elem_size,
                1);
        for (int d = rank - 1; d >= 0; d--) {
            const int64_t step = d == axis ? 0 : strides[d];
            if (++coords[d] < indices->dims[d]) {
                base += step;
                break;
            }
            base -= (coords[d] - 1) * step;
            coords[d] = 0;
        }
    }
    return -1;
}

status_t scatter_elements_run(op_call_t *call, error_t *err)
{
    const scatter_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    scatter_combine_fn combine = scatter_combine_function(x->dtype, p->reduction);
    int axis;
    bool ok = axis_normalize(p->axis, x->rank, false, &axis);
    int64_t bad;

    assert(ok && combine); /* checked by the prototype */
    (void)ok;
    if (y->data != x->data)
        memcpy(y->data, x->data, tensor_bytes(x));
    bad = scatter_elements(y->data, x->dims, axis, indices, updates->data, dtype_size(x->dtype),
                           combine);
    if (bad >= 0)
        return op_call_fail(call, err,
                            "index %lld (element %lld of 'indices') is out of range for an axis "
                            "of size %lld",
                            (long long)tensor_get_index(indices, bad), (long long)bad,
                            (long long)x->dims[axis]);
    return STATUS_OK;
}
