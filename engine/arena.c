#define _DEFAULT_SOURCE /* madvise(MADV_DONTNEED): posix_madvise's variant is a no-op in glibc */
#include "arena.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Small allocations share chunks of up to this size; larger ones get their own. */
#define ARENA_CHUNK_SIZE (64 * 1024)
/*
 * An arena's first chunk. Chunks then double with what the arena has
 * handed out, up to ARENA_CHUNK_SIZE: a request's arena holds a few hundred
 * bytes, and 64 KiB per request made glibc grow and trim its heaps (page
 * faults, madvise, TLB shootdowns) on every few requests.
 */
#define ARENA_FIRST_CHUNK_SIZE 4096

struct arena_chunk {
    arena_chunk_t *next;
    void *adopted; /* non-NULL: this chunk only records a foreign pointer */
    bool single;   /* holds one large block, which arena_free_block may free */
    size_t used;
    size_t size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(arena_t *a)
{
    a->chunks = NULL;
    a->bytes = 0;
}

void arena_release(arena_t *a)
{
    arena_chunk_t *c = a->chunks;

    while (c) {
        arena_chunk_t *next = c->next;
        free(c->adopted);
        free(c);
        c = next;
    }
    arena_init(a);
}

void arena_reset(arena_t *a)
{
    arena_chunk_t *c = a->chunks, *kept = NULL;

    /* The oldest such chunk is kept: an arena's first allocations come from it again. */
    while (c) {
        arena_chunk_t *next = c->next;
        if (!c->adopted && !c->single && c->size == ARENA_FIRST_CHUNK_SIZE) {
            free(kept);
            kept = c;
        } else {
            free(c->adopted);
            free(c);
        }
        c = next;
    }
    arena_init(a);
    if (kept) {
        kept->next = NULL;
        kept->used = 0;
        a->chunks = kept;
    }
}

static arena_chunk_t *chunk_new(size_t size)
{
    arena_chunk_t *c = aligned_alloc(ARENA_ALIGN, (sizeof *c + size + ARENA_ALIGN - 1) &
                                                      ~(size_t)(ARENA_ALIGN - 1));
    if (!c)
        return NULL;
    c->next = NULL;
    c->adopted = NULL;
    c->single = false;
    c->used = 0;
    c->size = size;
    return c;
}

/* The size of a's next shared chunk, for a small allocation of rounded bytes. */
static size_t next_chunk_size(const arena_t *a, size_t rounded)
{
    size_t size = ARENA_FIRST_CHUNK_SIZE;

    while (size < ARENA_CHUNK_SIZE && (size < a->bytes || size < rounded))
        size *= 2;
    return size;
}

/*
 * Blocks of at least ARENA_ALIGN bytes are ARENA_ALIGN-aligned (SIMD loads);
 * smaller ones (names, index arrays, attribute records) only need
 * ARENA_SMALL_ALIGN, which keeps a model's thousands of them compact.
 */
static size_t alignment_for(size_t size)
{
    return size >= ARENA_ALIGN ? ARENA_ALIGN : ARENA_SMALL_ALIGN;
}

void *arena_alloc(arena_t *a, size_t size)
{
    arena_chunk_t *c = a->chunks;
    size_t align = alignment_for(size);
    size_t rounded = (size + align - 1) & ~(align - 1);
    size_t start;
    void *p;

    if (rounded < size)
        return NULL;
    if (rounded == 0)
        rounded = align;
    start = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || c->adopted || start > c->size || c->size - start < rounded) {
        if (rounded > ARENA_CHUNK_SIZE / 4) {
            /* A big block gets a chunk of its own, behind the current one. */
            arena_chunk_t *big = chunk_new(rounded);
            if (!big)
                return NULL;
            big->used = rounded;
            big->single = true;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->chunks = big;
            }
            a->bytes += size;
            memset(big->data, 0, rounded);
            return big->data;
        }
        c = chunk_new(next_chunk_size(a, rounded));
        if (!c)
            return NULL;
        c->next = a->chunks;
        a->chunks = c;
        start = 0;
    }
    p = c->data + start;
    c->used = start + rounded;
    a->bytes += size;
    memset(p, 0, rounded);
    return p;
}

/* The chunk that holds ptr as its own block (large or adopted), or NULL. */
static arena_chunk_t **own_chunk_link(arena_t *a, const void *ptr)
{
    for (arena_chunk_t **link = &a->chunks; *link; link = &(*link)->next) {
        const arena_chunk_t *c = *link;
        if (c->adopted ? c->adopted == ptr : c->single && (const void *)c->data == ptr)
            return link;
    }
    return NULL;
}

bool arena_free_block(arena_t *a, void *ptr)
{
    arena_chunk_t **link = own_chunk_link(a, ptr);
    arena_chunk_t *c;

    if (!link)
        return false;
    c = *link;
    *link = c->next;
    free(c->adopted);
    free(c);
    return true;
}

bool arena_discard_prefix(arena_t *a, void *ptr, size_t bytes)
{
    arena_chunk_t **link = own_chunk_link(a, ptr);
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)ptr + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)ptr + bytes) & ~(page - 1);

    if (!link)
        return false;
    assert((*link)->adopted || bytes <= (*link)->size);
    /*
     * Whole pages strictly inside the block: the allocator's and the
     * chunk's headers sit before ptr and after the block, never in them.
     */
    if (end > start)
        madvise((void *)start, end - start, MADV_DONTNEED);
    return true;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return arena_memdup(a, s, strlen(s) + 1);
}

void *arena_memdup(arena_t *a, const void *src, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p && n)
        memcpy(p, src, n);
    return p;
}

int arena_adopt(arena_t *a, void *ptr)
{
    arena_chunk_t *c = chunk_new(0);

    if (!c) {
        free(ptr);
        return -1;
    }
    c->adopted = ptr;
    /* Insert behind the head so the head keeps serving small allocations. */
    if (a->chunks) {
        c->next = a->chunks->next;
        a->chunks->next = c;
    } else {
        c->next = NULL;
        a->chunks = c;
    }
    return 0;
}
