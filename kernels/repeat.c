#include "repeat.h"

#include <string.h>

#include "tensor.h"

/* The axes after merging, with their byte strides in src and dst. */
typedef struct repeat_plan {
    int rank;
    int64_t dims[TENSOR_MAX_RANK];
    int64_t repeats[TENSOR_MAX_RANK];
    int64_t src_stride[TENSOR_MAX_RANK];
    int64_t dst_stride[TENSOR_MAX_RANK];
} repeat_plan_t;

/*
 * dst holds `block` bytes; extends it to times * block by copying what is
 * already there, doubling each time, so a single element repeated a million
 * times costs twenty memcpy calls.
 */
static void repeat_replicate(char *dst, size_t block, int64_t times)
{
    size_t total = block * (size_t)times, done = block;

    while (done < total) {
        size_t n = done < total - done ? done : total - done;
        memcpy(dst + done, dst, n);
        done += n;
    }
}

/*
 * Fills dst for one index of the axes before `axis`: first one copy of the
 * input's sub-block (recursively), then its repeats, which are contiguous
 * copies of that first copy in dst.
 */
static void repeat_axis(const repeat_plan_t *p, int axis, char *dst, const char *src)
{
    int64_t dim = p->dims[axis];

    if (axis == p->rank - 1)
        memcpy(dst, src, (size_t)(dim * p->src_stride[axis]));
    else
        for (int64_t i = 0; i < dim; i++)
            repeat_axis(p, axis + 1, dst + i * p->dst_stride[axis], src + i * p->src_stride[axis]);
    repeat_replicate(dst, (size_t)(dim * p->dst_stride[axis]), p->repeats[axis]);
}

void repeat_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                  const int64_t *repeats)
{
    repeat_plan_t p = {0};
    int64_t src_stride = (int64_t)elem_size, dst_stride = (int64_t)elem_size;

    for (int i = 0; i < rank; i++)
        if (dims[i] == 0 || repeats[i] == 0)
            return;
    /*
     * An axis that is not repeated extends the block of the axis before it:
     * (d0, d1) repeated (r0, 1) is d0 * d1 repeated r0. Axes of size 1 that
     * are not repeated vanish.
     */
    for (int i = 0; i < rank; i++) {
        if (repeats[i] == 1 && dims[i] == 1)
            continue;
        if (repeats[i] == 1 && p.rank > 0) {
            p.dims[p.rank - 1] *= dims[i];
            continue;
        }
        p.dims[p.rank] = dims[i];
        p.repeats[p.rank] = repeats[i];
        p.rank++;
    }
    if (p.rank == 0) {
        memcpy(dst, src, elem_size);
        return;
    }
    for (int i = p.rank - 1; i >= 0; i--) {
        p.src_stride[i] = src_stride;
        p.dst_stride[i] = dst_stride;
        src_stride *= p.dims[i];
        dst_stride *= p.dims[i] * p.repeats[i];
    }
    repeat_axis(&p, 0, dst, src);
}
