/*
 * memory_plan.h - liveness-based placement of buffers in one arena.
 *
 * Each block is needed from step `first` to step `last` (inclusive). Blocks
 * whose lifetimes overlap get disjoint byte ranges; others may share bytes.
 */
#ifndef INFERD_MEMORY_PLAN_H
#define INFERD_MEMORY_PLAN_H

#include <stddef.h>

#include "status.h"

/* Offsets are multiples of this, so every buffer is SIMD-aligned. */
#define MEMORY_PLAN_ALIGN 64

typedef struct memory_block {
    size_t size;
    int first;
    int last;
    size_t offset; /* set by memory_plan_assign */
} memory_block_t;

/*
 * Assigns offsets to n blocks, largest first, each at the lowest offset that
 * does not collide with a placed block alive at the same time. Stores the
 * arena size needed in *arena_bytes.
 */
status_t memory_plan_assign(memory_block_t *blocks, int n, size_t *arena_bytes, error_t *err);

#endif
