/*
 * repeat.h - repeating a tensor's bytes along its axes: Tile, and Expand
 * (broadcasting a size-1 axis to n is repeating it n times).
 */
#ifndef INFERD_REPEAT_H
#define INFERD_REPEAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * dst = src (rank, dims, elem_size bytes per element) repeated repeats[i]
 * times along each axis i.
 */
void repeat_bytes(void *dst, const void *src, size_t elem_size, int rank, const int64_t *dims,
                  const int64_t *repeats);

#endif
