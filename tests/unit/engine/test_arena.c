/* arena: alignment, zero fill, and freeing large blocks early without touching the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "check.h"

int main(void)
{
    arena_t a;
    char *small, *first, *big, *adopted;

    arena_init(&a);
    /* The first allocation of a shared chunk must not count as a large block. */
    first = arena_alloc(&a, 100);
    small = arena_alloc(&a, 3);
    big = arena_alloc(&a, 1 << 20);
    adopted = malloc(64);
    CHECK(first && small && big && adopted);
    CHECK((uintptr_t)first % ARENA_ALIGN == 0);
    CHECK((uintptr_t)small % ARENA_SMALL_ALIGN == 0);
    CHECK((uintptr_t)big % ARENA_ALIGN == 0);
    CHECK(big[0] == 0 && big[(1 << 20) - 1] == 0);
    strcpy(small, "ok");
    memset(first, 7, 100);
    CHECK(arena_adopt(&a, adopted) == 0);

    CHECK(!arena_free_block(&a, first));
    CHECK(!arena_free_block(&a, small));
    CHECK(arena_free_block(&a, big));
    CHECK(!arena_free_block(&a, big));
    CHECK(arena_free_block(&a, adopted));
    /* What shares a chunk is untouched, and the arena keeps working. */
    CHECK(strcmp(small, "ok") == 0 && first[99] == 7);
    CHECK(arena_alloc(&a, 1 << 20) != NULL);
    arena_release(&a);
    CHECK_DONE();
}
