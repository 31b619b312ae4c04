#include "unique.h"

#include <string.h>

#include "sort.h"

/* Items are slices: elements at base + item * item_step + o * outer_step + i * elem. */
typedef struct unique_items {
    const char *base;
    int64_t outer, inner; /* slice = outer blocks of inner elements */
    size_t item_step, outer_step, elem;
    sort_elem_cmp_fn cmp;
} unique_items_t;

/* Lexicographic order of two items (numpy's order for slices along an axis). */
static int unique_order(const void *ctx, int64_t a, int64_t b)
{
    const unique_items_t *u = ctx;

    for (int64_t o = 0; o < u->outer; o++) {
        const char *pa = u->base + (size_t)a * u->item_step + (size_t)o * u->outer_step;
        const char *pb = u->base + (size_t)b * u->item_step + (size_t)o * u->outer_step;
        for (int64_t i = 0; i < u->inner; i++) {
            int c = u->cmp(pa + (size_t)i * u->elem, pb + (size_t)i * u->elem);
            if (c)
                return c;
        }
    }
    return 0;
}

/* Orders groups by their first item's index (sort = 0). */
static int first_order(const void *ctx, int64_t a, int64_t b)
{
    const int64_t *first = ctx;
    return (first[a] > first[b]) - (first[a] < first[b]);
}

/*
 * Sorts the items stably (so each group of equal items starts with its
 * first occurrence), numbers the groups, and orders them by value or by
 * first occurrence.
 */
status_t unique_run(op_call_t *call, error_t *err)
{
    const unique_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int axis = 0, rank;
    int64_t items, n_groups = 0, dims[TENSOR_MAX_RANK];
    int64_t *idx = call->workspace, *tmp, *first, *count, *order, *rank_of;
    unique_items_t u = {.base = x->data, .outer = 1, .inner = 1, .elem = dtype_size(x->dtype)};
    status_t st;

    u.cmp = sort_elem_cmp(x->dtype);
    if (p->has_axis) {
        axis_normalize(p->axis, x->rank, false, &axis);
        items = x->dims[axis];
        for (int d = 0; d < axis; d++)
            u.outer *= x->dims[d];
        for (int d = axis + 1; d < x->rank; d++)
            u.inner *= x->dims[d];
        u.item_step = (size_t)u.inner * u.elem;
        u.outer_step = (size_t)items * u.item_step;
    } else {
        items = tensor_numel(x);
        u.item_step = u.elem;
    }
    if (items == 0) {
        /* No workspace then: nothing to sort, and every output is empty. */
        rank = p->has_axis ? x->rank : 1;
        memcpy(dims, x->dims, sizeof dims);
        dims[p->has_axis ? axis : 0] = 0;
        st = op_call_output(call, 0, rank, dims, err);
        for (int k = 1; !st && k < call->n_outputs; k++)
            if (k != 2)
                st = op_call_output(call, k, 1, &n_groups, err);
        return st;
    }
    tmp = idx + items;
    first = tmp + items;
    count = first + items;
    order = count + items;
    rank_of = order + items;
    for (int64_t i = 0; i < items; i++)
        idx[i] = i;
    sort_indices(idx, tmp, items, unique_order, &u);
    /* tmp[i]: the group of sorted position i. */
    for (int64_t i = 0; i < items; i++) {
        if (i == 0 || unique_order(&u, idx[i - 1], idx[i]) != 0) {
            first[n_groups] = idx[i];
            count[n_groups++] = 0;
        }
        count[n_groups - 1]++;
        tmp[i] = n_groups - 1;
    }
    for (int64_t g = 0; g < n_groups; g++)
        order[g] = g;
    if (!p->sorted)
        sort_indices(order, rank_of, n_groups, first_order, first);
    for (int64_t r = 0; r < n_groups; r++)
        rank_of[order[r]] = r;

    rank = p->has_axis ? x->rank : 1;
    memcpy(dims, x->dims, sizeof dims);
    dims[p->has_axis ? axis : 0] = n_groups;
    st = op_call_output(call, 0, rank, dims, err);
    for (int k = 1; !st && k < call->n_outputs; k++)
        if (k != 2)
            st = op_call_output(call, k, 1, &n_groups, err);
    if (st)
        return st;
    for (int64_t o = 0; o < u.outer; o++)
        for (int64_t r = 0; r < n_groups; r++)
            memcpy((char *)call->outputs[0].data +
                       ((size_t)o * (size_t)n_groups + (size_t)r) * u.item_step,
                   u.base + (size_t)first[order[r]] * u.item_step + (size_t)o * u.outer_step,
                   u.item_step);
    if (call->n_outputs > 1)
        for (int64_t r = 0; r < n_groups; r++)
            ((int64_t *)call->outputs[1].data)[r] = first[order[r]];
    if (call->n_outputs > 2)
        for (int64_t i = 0; i < items; i++)
            ((int64_t *)call->outputs[2].data)[idx[i]] = rank_of[tmp[i]];
    if (call->n_outputs > 3)
        for (int64_t r = 0; r < n_groups; r++)
            ((int64_t *)call->outputs[3].data)[r] = count[order[r]];
    return STATUS_OK;
}
