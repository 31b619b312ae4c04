#include "slice.h"

#include <string.h>

/* The axes walked around the innermost copy, with their steps in bytes. */
typedef struct slice_walk {
    int n;
    int64_t count[TENSOR_MAX_RANK];
    int64_t src_step[TENSOR_MAX_RANK];
    int64_t dst_step[TENSOR_MAX_RANK];
    /* Innermost copy: `items` items of item_bytes, src_stride bytes apart in src. */
    int64_t items;
    size_t item_bytes;
    int64_t src_stride;
} slice_walk_t;

/* One element-width loop per size, so strided single elements are not memcpy calls. */
#define SLICE_DEFINE_GATHER(name, type)                                                            \
    static void name(char *dst, const char *src, int64_t items, int64_t stride)                    \
    {                                                                                              \
        type *d = (type *)dst;                                                                     \
        for (int64_t i = 0; i < items; i++)                                                        \
            d[i] = *(const type *)(src + i * stride);                                              \
    }

SLICE_DEFINE_GATHER(slice_gather8, uint8_t)
SLICE_DEFINE_GATHER(slice_gather16, uint16_t)
SLICE_DEFINE_GATHER(slice_gather32, uint32_t)
SLICE_DEFINE_GATHER(slice_gather64, uint64_t)

static void slice_inner(const slice_walk_t *w, char *dst, const char *src)
{
    if (w->src_stride == (int64_t)w->item_bytes) {
        memcpy(dst, src, (size_t)w->items * w->item_bytes);
        return;
    }
    switch (w->item_bytes) {
    case 1:
        slice_gather8(dst, src, w->items, w->src_stride);
        break;
    case 2:
        slice_gather16(dst, src, w->items, w->src_stride);
        break;
    case 4:
        slice_gather32(dst, src, w->items, w->src_stride);
        break;
    case 8:
        slice_gather64(dst, src, w->items, w->src_stride);
        break;
    default:
        for (int64_t i = 0; i < w->items; i++)
            memcpy(dst + i * (int64_t)w->item_bytes, src + i * w->src_stride, w->item_bytes);
    }
}

static void slice_walk(const slice_walk_t *w, int axis, char *dst, const char *src)
{
    if (axis == w->n) {
        slice_inner(w, dst, src);
        return;
    }
    for (int64_t i = 0; i < w->count[axis]; i++)
        slice_walk(w, axis + 1, dst + i * w->dst_step[axis], src + i * w->src_step[axis]);
}

void slice_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                 const slice_window_t *w)
{
    int64_t strides[TENSOR_MAX_RANK], dst_step;
    const char *base = src;
    slice_walk_t walk = {0};
    int inner = rank;

    for (int i = 0; i < rank; i++)
        if (w->count[i] == 0)
            return;
    shape_strides(rank, dims, strides);
    for (int i = 0; i < rank; i++)
        base += w->start[i] * strides[i] * (int64_t)elem_size;
    /* Trailing axes taken whole are one contiguous item. */
    walk.item_bytes = elem_size;
    while (inner > 0 && w->start[inner - 1] == 0 && w->step[inner - 1] == 1 &&
           w->count[inner - 1] == dims[inner - 1]) {
        inner--;
        walk.item_bytes *= (size_t)dims[inner];
    }
    walk.items = 1;
    walk.src_stride = (int64_t)walk.item_bytes;
    if (inner > 0) {
        inner--;
        walk.items = w->count[inner];
        walk.src_stride = w->step[inner] * strides[inner] * (int64_t)elem_size;
    }
    dst_step = walk.items * (int64_t)walk.item_bytes;
    walk.n = inner;
    for (int i = inner - 1; i >= 0; i--) {
        walk.count[i] = w->count[i];
        walk.src_step[i] = w->step[i] * strides[i] * (int64_t)elem_size;
        walk.dst_step[i] = dst_step;
        dst_step *= w->count[i];
    }
    slice_walk(&walk, 0, dst, base);
}

status_t slice_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    slice_window_t w;
    status_t st = slice_resolve(call, &w, err);

    if (st != STATUS_OK)
        return st;
    slice_bytes(call->outputs[0].data, x->data, dtype_size(x->dtype), x->rank, x->dims, &w);
    return STATUS_OK;
}
