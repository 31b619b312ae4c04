/* arena: alignment, zero fill, and freeing large blocks early without touching the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"

/*
 * arena_discard_prefix: whole pages inside the prefix of a large block read
 * as zero afterwards; the rest of the block, its neighbours and freeing it
 * are unaffected; shared-chunk blocks are refused.
 */
static void test_discard_prefix(void)
{
    arena_t a;
    const size_t size = 1 << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *big, *small;
    size_t prefix = size / 2 + 100, first_page, end_page;

    arena_init(&a);
    small = arena_alloc(&a, 16);
    big = arena_alloc(&a, size);
    CHECK(small && big);
    memset(big, 0xab, size);
    memset(small, 0xcd, 16);
    CHECK(!arena_discard_prefix(&a, small, 16));
    CHECK(arena_discard_prefix(&a, big, prefix));
    first_page = (page - (uintptr_t)big % page) % page;
    end_page = ((uintptr_t)big + prefix) / page * page - (uintptr_t)big;
    CHECK(end_page > first_page);
    CHECK(big[first_page] == 0 && big[end_page - 1] == 0);
    CHECK(big[end_page] == 0xab && big[size - 1] == 0xab);
    CHECK(first_page == 0 || big[first_page - 1] == 0xab);
    CHECK(small[15] == 0xcd);
    CHECK(arena_free_block(&a, big));
    arena_release(&a);
}

/*
 * arena_reset: what was allocated is gone (adopted pointers freed, large
 * blocks too) and the first small chunk serves the next allocations,
 * zero-filled like any others.
 */
static void test_reset_keeps_first_chunk(void)
{
    arena_t a;
    unsigned char *first, *again;

    arena_init(&a);
    first = arena_alloc(&a, 200);
    CHECK(first && arena_alloc(&a, 1 << 20) && arena_adopt(&a, malloc(64)) == 0);
    memset(first, 0xab, 200);
    arena_reset(&a);
    CHECK(a.bytes == 0 && a.chunks != NULL);
    again = arena_alloc(&a, 200);
    CHECK(again == first);
    for (int i = 0; i < 200; i++)
        CHECK(again[i] == 0);
    /* An arena that grew past its first chunk keeps that one (the others are freed). */
    for (int i = 0; i < 64; i++)
        CHECK(arena_alloc(&a, 1000) != NULL);
    arena_reset(&a);
    CHECK(arena_alloc(&a, 16) == first);
    arena_release(&a);
    CHECK(a.chunks == NULL);
    /* An empty arena stays empty. */
    arena_reset(&a);
    CHECK(a.chunks == NULL);
}

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
    test_discard_prefix();
    test_reset_keeps_first_chunk();
    CHECK_DONE();
}
