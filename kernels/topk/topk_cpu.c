#include "topk.h"

#include <string.h>

#include "sort.h"

/* One slice being ordered: elements at base + i * stride. */
typedef struct topk_slice {
    const char *base;
    size_t step; /* bytes between consecutive elements along the axis */
    sort_elem_cmp_fn cmp;
    int sign; /* -1: largest first, 1: smallest first */
} topk_slice_t;

/* Index order breaks ties: the merge sort is stable and starts from 0..n-1. */
static int topk_order(const void *ctx, int64_t a, int64_t b)
{
    const topk_slice_t *s = ctx;
    return s->sign * s->cmp(s->base + (size_t)a * s->step, s->base + (size_t)b * s->step);
}

status_t topk_run(op_call_t *call, error_t *err)
{
    const topk_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *values = &call->outputs[0], *indices = &call->outputs[1];
    int axis;
    int64_t n, k, outer = 1, inner = 1;
    int64_t *idx = call->workspace, *tmp;
    size_t size = dtype_size(x->dtype);
    topk_slice_t s;

    (void)err;
    axis_normalize(p->axis, x->rank, false, &axis);
    n = x->dims[axis];
    k = values->dims[axis];
    if (k == 0 || tensor_numel(values) == 0)
        return STATUS_OK;
    tmp = idx + n;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    s.cmp = sort_elem_cmp(x->dtype);
    s.sign = p->largest ? -1 : 1;
    s.step = (size_t)inner * size;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            size_t first = ((size_t)o * (size_t)n * (size_t)inner + (size_t)in) * size;
            size_t out_first = ((size_t)o * (size_t)k * (size_t)inner + (size_t)in);
            s.base = (const char *)x->data + first;
            for (int64_t i = 0; i < n; i++)
                idx[i] = i;
            sort_indices(idx, tmp, n, topk_order, &s);
            for (int64_t j = 0; j < k; j++) {
                size_t at = out_first + (size_t)j * (size_t)inner;
                memcpy((char *)values->data + at * size, s.base + (size_t)idx[j] * s.step, size);
                ((int64_t *)indices->data)[at] = idx[j];
            }
        }
    return STATUS_OK;
}
