#include "transpose.h"

#include <assert.h>
#include <string.h>

/*
 * Side of the square tiles of the strided path, in elements. The tile's
 * strided side touches one cache line per row; with power-of-two strides
 * all those rows fall in the same L1 set, so the side must stay near the
 * cache's associativity: 32 ran about twice as slow as 16 on a 1024x1024
 * float transpose, while 16 and 8 were alike elsewhere.
 */
#define TRANSPOSE_TILE 16

/* The permutation after dropping size-1 axes and merging input axes that stay adjacent. */
typedef struct transpose_plan {
    int rank;
    int64_t dims[TENSOR_MAX_RANK];
    int perm[TENSOR_MAX_RANK];
} transpose_plan_t;

struct transpose_inner;
typedef void (*transpose_tile_fn)(char *dst, const char *src, const struct transpose_inner *in);

/*
 * What happens at each point of the outer walk: either one contiguous row
 * is copied (the innermost axis stays innermost), or a rows x cols block is
 * transposed: dst[i * dst_stride + j] = src[i + j * src_stride], in elements.
 */
typedef struct transpose_inner {
    transpose_tile_fn tile; /* NULL: copy row_bytes */
    size_t row_bytes;
    int64_t rows, cols;
    int64_t dst_stride, src_stride;
} transpose_inner_t;

/* The output axes the inner step does not cover, with their steps in bytes. */
typedef struct transpose_walk {
    int n;
    int64_t count[TENSOR_MAX_RANK];
    int64_t dst_step[TENSOR_MAX_RANK];
    int64_t src_step[TENSOR_MAX_RANK];
} transpose_walk_t;

/* One tile function per element width; the element type only sets the copy width. */
#define TRANSPOSE_DEFINE_TILE(name, type)                                                          \
    static void name(char *dst_bytes, const char *src_bytes, const transpose_inner_t *in)          \
    {                                                                                              \
        type *dst = (type *)dst_bytes;                                                             \
        const type *src = (const type *)src_bytes;                                                 \
        for (int64_t i0 = 0; i0 < in->rows; i0 += TRANSPOSE_TILE) {                                \
            int64_t i1 = i0 + TRANSPOSE_TILE < in->rows ? i0 + TRANSPOSE_TILE : in->rows;          \
            for (int64_t j0 = 0; j0 < in->cols; j0 += TRANSPOSE_TILE) {                            \
                int64_t j1 = j0 + TRANSPOSE_TILE < in->cols ? j0 + TRANSPOSE_TILE : in->cols;      \
                for (int64_t i = i0; i < i1; i++) {                                                \
                    type *d = dst + i * in->dst_stride;                                            \
                    const type *s = src + i;                                                       \
                    for (int64_t j = j0; j < j1; j++)                                              \
                        d[j] = s[j * in->src_stride];                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

TRANSPOSE_DEFINE_TILE(transpose_tile8, uint8_t)
TRANSPOSE_DEFINE_TILE(transpose_tile16, uint16_t)
TRANSPOSE_DEFINE_TILE(transpose_tile32, uint32_t)
TRANSPOSE_DEFINE_TILE(transpose_tile64, uint64_t)

static transpose_tile_fn tile_for_size(size_t elem_size)
{
    switch (elem_size) {
    case 1:
        return transpose_tile8;
    case 2:
        return transpose_tile16;
    case 4:
        return transpose_tile32;
    default:
        assert(elem_size == 8);
        return transpose_tile64;
    }
}

/*
 * Size-1 axes do not move any data, and input axes that are consecutive in
 * perm (perm[k + 1] == perm[k] + 1) move as one block, so both are folded
 * away: NCHW -> NHWC becomes a batched 2-D transpose [N, C, HW] -> [N, HW, C].
 */
static void transpose_collapse(int rank, const int64_t *dims, const int *perm,
                               transpose_plan_t *plan)
{
    int kept[TENSOR_MAX_RANK]; /* input axis -> index among non-1 axes, or -1 */
    int64_t kdims[TENSOR_MAX_RANK];
    int kperm[TENSOR_MAX_RANK];
    int group[TENSOR_MAX_RANK];     /* non-1 input axis -> output group */
    int group_pos[TENSOR_MAX_RANK]; /* output group -> its position among input groups */
    int n = 0, m = 0, groups = 0, pos = -1;

    for (int i = 0; i < rank; i++) {
        kept[i] = dims[i] == 1 ? -1 : n;
        if (dims[i] != 1)
            kdims[n++] = dims[i];
    }
    for (int k = 0; k < rank; k++)
        if (kept[perm[k]] >= 0)
            kperm[m++] = kept[perm[k]];
    assert(m == n);
    for (int k = 0; k < n; k++)
        group[kperm[k]] = (k > 0 && kperm[k] == kperm[k - 1] + 1) ? group[kperm[k - 1]] : groups++;
    /* The members of a group are adjacent input axes, so one pass over the input finds them. */
    for (int i = 0; i < n; i++) {
        if (i == 0 || group[i] != group[i - 1]) {
            group_pos[group[i]] = ++pos;
            plan->dims[pos] = kdims[i];
        } else {
            plan->dims[pos] *= kdims[i];
        }
    }
    plan->rank = groups;
    for (int g = 0; g < groups; g++)
        plan->perm[g] = group_pos[g];
}

static void transpose_walk(const transpose_walk_t *w, int axis, char *dst, const char *src,
                           const transpose_inner_t *in)
{
    if (axis == w->n) {
        if (in->tile)
            in->tile(dst, src, in);
        else
            memcpy(dst, src, in->row_bytes);
        return;
    }
    for (int64_t i = 0; i < w->count[axis]; i++)
        transpose_walk(w, axis + 1, dst + i * w->dst_step[axis], src + i * w->src_step[axis], in);
}

void transpose_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                     const int *perm)
{
    transpose_plan_t plan;
    transpose_walk_t walk = {0};
    transpose_inner_t inner = {0};
    int64_t in_strides[TENSOR_MAX_RANK], out_strides[TENSOR_MAX_RANK], out_dims[TENSOR_MAX_RANK];
    int64_t numel = 1;
    int r, last, across = -1;

    for (int i = 0; i < rank; i++)
        numel *= dims[i];
    if (numel == 0)
        return;
    transpose_collapse(rank, dims, perm, &plan);
    r = plan.rank;
    if (r <= 1) {
        memcpy(dst, src, (size_t)numel * elem_size);
        return;
    }
    for (int k = 0; k < r; k++)
        out_dims[k] = plan.dims[plan.perm[k]];
    shape_strides(r, plan.dims, in_strides);
    shape_strides(r, out_dims, out_strides);
    last = plan.perm[r - 1];
    if (last == r - 1) {
        inner.row_bytes = (size_t)plan.dims[r - 1] * elem_size;
    } else {
        /* The input's innermost axis lands at output position `across`. */
        for (int k = 0; k < r; k++)
            if (plan.perm[k] == r - 1)
                across = k;
        inner.tile = tile_for_size(elem_size);
        inner.rows = plan.dims[r - 1];
        inner.cols = plan.dims[last];
        inner.dst_stride = out_strides[across];
        inner.src_stride = in_strides[last];
    }
    for (int k = 0; k < r - 1; k++) {
        if (k == across)
            continue;
        walk.count[walk.n] = out_dims[k];
        walk.dst_step[walk.n] = out_strides[k] * (int64_t)elem_size;
        walk.src_step[walk.n] = in_strides[plan.perm[k]] * (int64_t)elem_size;
        walk.n++;
    }
    transpose_walk(&walk, 0, dst, src, &inner);
}

status_t transpose_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    int perm[TENSOR_MAX_RANK];

    transpose_resolve_perm(call->params, x->rank, perm);
    transpose_bytes(call->outputs[0].data, x->data, dtype_size(x->dtype), x->rank, x->dims, perm);
    return STATUS_OK;
}
