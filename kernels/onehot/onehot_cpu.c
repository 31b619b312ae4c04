/*
 * onehot_cpu.c - OneHot: fills the output with the off value, then writes
 * the on value at each index. The indices and depth of any numeric type
 * are converted to int64 first (real values truncate, as the spec says).
 */
#include "onehot.h"

#include <assert.h>
#include <string.h>

#include "cast/cast.h"
#include "fill.h"

void onehot(const int64_t *indices, void *y, size_t elem_size, int64_t outer, int64_t depth,
            int64_t inner, const void *off, const void *on, bool negative_wraps)
{
    fill_elements(y, off, elem_size, outer * depth * inner);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t j = 0; j < inner; j++) {
            int64_t d = indices[o * inner + j];
            if (d < 0 && negative_wraps)
                d += depth;
            if (d < 0 || d >= depth)
                continue;
            memcpy((char *)y + (size_t)((o * depth + d) * inner + j) * elem_size, on, elem_size);
        }
    }
}

int64_t onehot_depth(const tensor_t *t)
{
    int64_t v;
    cast_fn convert = cast_function(t->dtype, DTYPE_INT64);

    assert(convert != NULL); /* onehot_info admits numeric dtypes only */
    convert(t->data, &v, 1);
    return v;
}

status_t onehot_run(op_call_t *call, error_t *err)
{
    const onehot_params_t *p = call->params;
    const tensor_t *indices = call->inputs[0], *values = call->inputs[2];
    const int64_t depth = onehot_depth(call->inputs[1]);
    const int64_t n = tensor_numel(indices);
    const size_t elem_size = dtype_size(values->dtype);
    int64_t outer = 1, inner = 1;
    int64_t *index = call->workspace;
    cast_fn convert = cast_function(indices->dtype, DTYPE_INT64);
    int axis;
    bool ok = axis_normalize(p->axis, indices->rank, true, &axis);

    assert(ok && convert != NULL);
    (void)ok;
    convert(indices->data, index, n);
    for (int i = 0; i < indices->rank; i++) {
        if (i < axis)
            outer *= indices->dims[i];
        else
            inner *= indices->dims[i];
    }
    onehot(index, call->outputs[0].data, elem_size, outer, depth, inner, values->data,
           (const char *)values->data + elem_size, p->negative_wraps);
    return STATUS_OK;
}
