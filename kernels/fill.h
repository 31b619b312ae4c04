/* fill.h - writing one element value over a run of memory (ConstantOfShape, Pad). */
#ifndef INFERD_FILL_H
#define INFERD_FILL_H

#include <stddef.h>
#include <stdint.h>

/* Writes count copies of the elem_size-byte element value to dst. */
void fill_elements(void *dst, const void *value, size_t elem_size, int64_t count);

#endif
