#include "gather.h"

#include <string.h>

#include "half.h"

/* Single elements (inner size 1, as in embedding lookups of scalars) as typed copies. */
#define GATHER_DEFINE_ELEMENTS(name, type)                                                         \
    static void name(void *dst, const void *src, int64_t outer, int64_t axis_dim,                  \
                     const int64_t *indices, int64_t n)                                            \
    {                                                                                              \
        type *d = dst;                                                                             \
        const type *s = src;                                                                       \
        for (int64_t o = 0; o < outer; o++, d += n, s += axis_dim)                                 \
            for (int64_t k = 0; k < n; k++)                                                        \
                d[k] = s[indices[k]];                                                              \
    }

GATHER_DEFINE_ELEMENTS(gather_elements8, uint8_t)
GATHER_DEFINE_ELEMENTS(gather_elements16, uint16_t)
GATHER_DEFINE_ELEMENTS(gather_elements32, uint32_t)
GATHER_DEFINE_ELEMENTS(gather_elements64, uint64_t)

void gather_blocks(void *dst, const void *src, size_t block_bytes, int64_t outer, int64_t axis_dim,
                   const int64_t *indices, int64_t n)
{
    char *d = dst;
    const char *s = src;

    switch (block_bytes) {
    case 1:
        gather_elements8(dst, src, outer, axis_dim, indices, n);
        return;
    case 2:
        gather_elements16(dst, src, outer, axis_dim, indices, n);
        return;
    case 4:
        gather_elements32(dst, src, outer, axis_dim, indices, n);
        return;
    case 8:
        gather_elements64(dst, src, outer, axis_dim, indices, n);
        return;
    default:
        break;
    }
    for (int64_t o = 0; o < outer; o++) {
        const char *row = s + o * axis_dim * (int64_t)block_bytes;
        for (int64_t k = 0; k < n; k++, d += block_bytes)
            memcpy(d, row + indices[k] * (int64_t)block_bytes, block_bytes);
    }
}

/* gather_blocks from a half table (t) into floats: blocks of inner elements, each widened. */
static void gather_widen(float *dst, dtype_t t, const uint16_t *src, int64_t inner, int64_t outer,
                         int64_t axis_dim, const int64_t *indices, int64_t n)
{
    for (int64_t o = 0; o < outer; o++) {
        const uint16_t *rows = src + o * axis_dim * inner;
        for (int64_t k = 0; k < n; k++, dst += inner)
            half_to_float_n(t, rows + indices[k] * inner, dst, inner);
    }
}

status_t gather_run(op_call_t *call, error_t *err)
{
    const gather_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int axis = (int)(p->axis < 0 ? p->axis + x->rank : p->axis);
    int64_t *indices = call->workspace;
    int64_t outer = 1, inner = 1;
    status_t st = gather_indices(call, x->dims[axis], indices, err);

    if (st != STATUS_OK)
        return st;
    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    for (int i = 0; i < axis; i++)
        outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        inner *= x->dims[i];
    if (dtype_is_half(x->dtype) && call->outputs[0].dtype == DTYPE_FLOAT) {
        gather_widen(call->outputs[0].data, x->dtype, x->data, inner, outer, x->dims[axis], indices,
                     tensor_numel(call->inputs[1]));
        return STATUS_OK;
    }
    gather_blocks(call->outputs[0].data, x->data, (size_t)inner * dtype_size(x->dtype), outer,
                  x->dims[axis], indices, tensor_numel(call->inputs[1]));
    return STATUS_OK;
}
