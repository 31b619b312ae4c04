/*
 * arena.h - a bump allocator whose allocations are all freed together.
 *
 * A model keeps its graph (names, attributes, small constants) in one arena;
 * a plan keeps its folded constants in another. Nothing allocated from an
 * arena is freed on its own.
 */
#ifndef INFERD_ARENA_H
#define INFERD_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Allocations of this size or more are aligned to it, enough for any SIMD load. */
#define ARENA_ALIGN 64
/* Smaller allocations are aligned to this, enough for any scalar type. */
#define ARENA_SMALL_ALIGN 16

typedef struct arena_chunk arena_chunk_t;

typedef struct arena {
    arena_chunk_t *chunks; /* newest first */
    size_t bytes;          /* total handed out, for reporting */
} arena_t;

/* A zeroed arena_t is a valid empty arena. */
void arena_init(arena_t *a);

/* Frees every allocation and every adopted pointer; a stays usable and empty. */
void arena_release(arena_t *a);

/*
 * As arena_release, but keeps one first-size shared chunk (ARENA_FIRST_CHUNK_SIZE),
 * emptied, for the next allocations: an arena used again and again for
 * small requests then allocates nothing after its first one.
 */
void arena_reset(arena_t *a);

/*
 * size bytes, zero-filled, ARENA_ALIGN-aligned (ARENA_SMALL_ALIGN when
 * size < ARENA_ALIGN); NULL when out of memory.
 */
void *arena_alloc(arena_t *a, size_t size);

/* A copy of s owned by the arena; NULL when out of memory. */
char *arena_strdup(arena_t *a, const char *s);

/* A copy of n bytes at src owned by the arena; NULL when out of memory. */
void *arena_memdup(arena_t *a, const void *src, size_t n);

/*
 * Frees ptr at once if it is a block with a chunk of its own (a large
 * allocation, or an adopted pointer) and returns true; anything else stays
 * until the arena goes.
 */
bool arena_free_block(arena_t *a, void *ptr);

/*
 * Gives the whole pages among the first bytes of ptr back to the system if
 * ptr is a block arena_free_block could free; their contents read as zero
 * afterwards. For a block about to be freed whose data was already copied
 * elsewhere piecewise. Returns false when ptr is not such a block.
 */
bool arena_discard_prefix(arena_t *a, void *ptr, size_t bytes);

/*
 * Takes ownership of ptr (from malloc): it is freed with the arena. Used to
 * keep large tensor buffers without copying them. Returns 0, or -1 when out
 * of memory (ptr is then freed at once).
 */
int arena_adopt(arena_t *a, void *ptr);

#endif
