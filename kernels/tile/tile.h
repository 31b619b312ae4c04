/* tile.h - Tile: repeats a tensor of any fixed-size dtype along each axis. */
#ifndef INFERD_TILE_H
#define INFERD_TILE_H

#include "op.h"

extern const op_kernel_t tile_kernel;

/* CPU implementation (tile_cpu.c). */
status_t tile_run(op_call_t *call, error_t *err);

/*
 * dst = src (rank, dims, elem_size bytes per element) repeated repeats[i]
 * times along each axis i. Expand uses it too: broadcasting a size-1 axis to
 * n is tiling it n times.
 */
void tile_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                const int64_t *repeats);

#endif
