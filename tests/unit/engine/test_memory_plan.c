/* memory_plan: blocks alive at the same time never share bytes; dead ones do. */
#include <stdlib.h>

#include "check.h"
#include "memory_plan.h"

#define BLOCKS 300

static int overlaps(const memory_block_t *a, const memory_block_t *b)
{
    int in_time = a->first <= b->last && b->first <= a->last;
    int in_space = a->offset < b->offset + b->size && b->offset < a->offset + a->size;
    return in_time && in_space && a->size && b->size;
}

int main(void)
{
    memory_block_t blocks[BLOCKS];
    memory_block_t chain[3] = {{100, 0, 1, 0}, {100, 1, 2, 0}, {100, 2, 3, 0}};
    size_t arena = 0, total = 0;
    error_t err;

    srand(7);
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i].first = rand() % 200;
        blocks[i].last = blocks[i].first + rand() % 20;
        blocks[i].size = (size_t)(rand() % 5000);
        total += (blocks[i].size + MEMORY_PLAN_ALIGN - 1) & ~(size_t)(MEMORY_PLAN_ALIGN - 1);
    }
    CHECK(memory_plan_assign(blocks, BLOCKS, &arena, &err) == STATUS_OK);
    for (int i = 0; i < BLOCKS; i++) {
        CHECK(blocks[i].offset % MEMORY_PLAN_ALIGN == 0);
        CHECK(blocks[i].offset + blocks[i].size <= arena);
        for (int j = i + 1; j < BLOCKS; j++)
            CHECK(!overlaps(&blocks[i], &blocks[j]));
    }
    /* Short lifetimes must let blocks share: far less than the sum of sizes. */
    CHECK(arena < total / 3);

    /* A chain a->b->c: a and c never live together, so two slots suffice. */
    CHECK(memory_plan_assign(chain, 3, &arena, &err) == STATUS_OK);
    CHECK(arena == 256);
    CHECK(chain[0].offset == chain[2].offset);
    CHECK_DONE();
}
