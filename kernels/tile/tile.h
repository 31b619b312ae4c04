/* tile.h - Tile: repeats a tensor of any fixed-size dtype along each axis. */
#ifndef INFERD_TILE_H
#define INFERD_TILE_H

#include "op.h"

extern const op_kernel_t tile_kernel;

/* CPU implementation (tile_cpu.c). */
status_t tile_run(op_call_t *call, error_t *err);

#endif
