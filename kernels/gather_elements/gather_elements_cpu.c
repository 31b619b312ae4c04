/*
 * gather_elements_cpu.c - GatherElements: walks the indices with an
 * odometer that keeps the offset in x of every coordinate but the axis's,
 * so each element costs one index read and one copy.
 */
#include "gather_elements.h"

#include <assert.h>
#include <string.h>

int64_t gather_elements(const void *x, const int64_t *x_dims, int axis, const tensor_t *indices,
                        void *y, size_t elem_size)
{
    const int rank = indices->rank;
    const int64_t n = tensor_numel(indices), axis_dim = x_dims[axis];
    int64_t strides[TENSOR_MAX_RANK], coords[TENSOR_MAX_RANK] = {0};
    int64_t base = 0; /* offset in x of coords with the axis coordinate taken as 0 */
    const char *src = x;
    char *dst = y;

    assert(rank >= 1 && axis >= 0 && axis < rank);
    shape_strides(rank, x_dims, strides);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = tensor_get_index(indices, i);
        if (v < -axis_dim || v >= axis_dim)
            return i;
        if (v < 0)
            v += axis_dim;
        memcpy(dst + (size_t)i * elem_size, src + (size_t)(base + v * strides[axis]) * elem_size,
               elem_size);
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

status_t gather_elements_run(op_call_t *call, error_t *err)
{
    const gather_elements_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1];
    int axis;
    bool ok = axis_normalize(p->axis, x->rank, false, &axis);
    int64_t bad;

    assert(ok); /* checked by the prototype */
    (void)ok;
    bad = gather_elements(x->data, x->dims, axis, indices, call->outputs[0].data,
                          dtype_size(x->dtype));
    if (bad >= 0)
        return op_call_fail(call, err,
                            "index %lld (element %lld of 'indices') is out of range for an axis "
                            "of size %lld",
                            (long long)tensor_get_index(indices, bad), (long long)bad,
                            (long long)x->dims[axis]);
    return STATUS_OK;
}
