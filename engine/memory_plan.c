#include "memory_plan.h"

#include <assert.h>
#include <stdlib.h>

static int by_size_desc(const void *a, const void *b)
{
    const memory_block_t *x = *(memory_block_t *const *)a;
    const memory_block_t *y = *(memory_block_t *const *)b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

static int by_offset(const void *a, const void *b)
{
    const memory_block_t *x = *(memory_block_t *const *)a;
    const memory_block_t *y = *(memory_block_t *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static size_t align_up(size_t n)
{
    return (n + MEMORY_PLAN_ALIGN - 1) & ~(size_t)(MEMORY_PLAN_ALIGN - 1);
}

status_t memory_plan_assign(memory_block_t *blocks, int n, size_t *arena_bytes, error_t *err)
{
    memory_block_t **order = malloc(((size_t)n + 1) * sizeof *order);
    memory_block_t **overlap = malloc(((size_t)n + 1) * sizeof *overlap);
    size_t total = 0;

    if (!order || !overlap) {
        free(order);
        free(overlap);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory planning buffers");
    }
    for (int i = 0; i < n; i++)
        order[i] = &blocks[i];
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    for (int i = 0; i < n; i++) {
        memory_block_t *b = order[i];
        size_t offset = 0;
        int n_overlap = 0;
        assert(b->first <= b->last);
        for (int j = 0; j < i; j++)
            if (order[j]->first <= b->last && b->first <= order[j]->last)
                overlap[n_overlap++] = order[j];
        qsort(overlap, (size_t)n_overlap, sizeof *overlap, by_offset);
        /* The first gap between placed, simultaneously live blocks that fits b. */
        for (int j = 0; j < n_overlap; j++) {
            const memory_block_t *p = overlap[j];
            if (p->offset >= offset + align_up(b->size))
                break;
            if (p->offset + align_up(p->size) > offset)
                offset = p->offset + align_up(p->size);
        }
        b->offset = offset;
        if (offset + align_up(b->size) > total)
            total = offset + align_up(b->size);
    }
    free(order);
    free(overlap);
    *arena_bytes = total;
    return STATUS_OK;
}
