#include "compress.h"

#include <string.h>

/* Count then copy: the output is exactly as large as it must be. */
status_t compress_run(op_call_t *call, error_t *err)
{
    const compress_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *cond = call->inputs[1];
    const uint8_t *keep = cond->data;
    int64_t dims[TENSOR_MAX_RANK], outer = 1, len, inner = 1, kept = 0;
    int rank, axis = 0;
    size_t size = dtype_size(x->dtype), slice;
    const char *src = x->data;
    char *dst;
    status_t st;

    if (p->has_axis) {
        axis_normalize(p->axis, x->rank, false, &axis);
        rank = x->rank;
        memcpy(dims, x->dims, sizeof dims);
        for (int d = 0; d < axis; d++)
            outer *= x->dims[d];
        for (int d = axis + 1; d < rank; d++)
            inner *= x->dims[d];
        len = x->dims[axis];
    } else {
        rank = 1;
        len = tensor_numel(x);
    }
    if (cond->dims[0] < len)
        len = cond->dims[0];
    for (int64_t i = 0; i < len; i++)
        kept += keep[i] != 0;
    dims[p->has_axis ? axis : 0] = kept;
    st = op_call_output(call, 0, rank, dims, err);
    if (st)
        return st;
    dst = call->outputs[0].data;
    slice = (size_t)inner * size;
    if (!p->has_axis) {
        for (int64_t i = 0; i < len; i++)
            if (keep[i]) {
                memcpy(dst, src + (size_t)i * size, size);
                dst += size;
            }
        return STATUS_OK;
    }
    for (int64_t o = 0; o < outer; o++) {
        const char *base = src + (size_t)o * (size_t)x->dims[axis] * slice;
        for (int64_t i = 0; i < len; i++)
            if (keep[i]) {
                memcpy(dst, base + (size_t)i * slice, slice);
                dst += slice;
            }
    }
    return STATUS_OK;
}
