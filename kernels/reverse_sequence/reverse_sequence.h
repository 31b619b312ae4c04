/*
 * reverse_sequence.h - ReverseSequence: for each batch entry b, the first
 * sequence_lens[b] steps along the time axis are reversed; the rest are
 * copied. time_axis and batch_axis are 0 and 1 in either order.
 */
#ifndef INFERD_REVERSE_SEQUENCE_H
#define INFERD_REVERSE_SEQUENCE_H

#include "op.h"

typedef struct reverse_sequence_params {
    int64_t time_axis, batch_axis;
} reverse_sequence_params_t;

extern const op_kernel_t reverse_sequence_kernel;

/*
 * x and y of [time, batch, inner] (time_major) or [batch, time, inner];
 * lens[b] in [0, time]. y must not alias x.
 */
void reverse_sequence(const void *x, void *y, size_t elem_size, bool time_major, int64_t time,
                      int64_t batch, int64_t inner, const int64_t *lens);

/* CPU implementation (reverse_sequence_cpu.c). */
status_t reverse_sequence_run(op_call_t *call, error_t *err);

#endif
