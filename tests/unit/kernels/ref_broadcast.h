/*
 * ref_broadcast.h - the slow, obviously right numpy broadcast index that the
 * kernel tests check the kernels' stride walks against. Header-only for the
 * same reason as op_harness.h.
 */
#ifndef INFERD_TEST_REF_BROADCAST_H
#define INFERD_TEST_REF_BROADCAST_H

#include <stdint.h>

/*
 * Offset, in an operand of shape (rank, dims), of element i of the output
 * of shape (out_rank, out) it is broadcast to: one division per axis.
 */
static inline int64_t ref_broadcast_offset(int64_t i, int out_rank, const int64_t *out, int rank,
                                           const int64_t *dims)
{
    int64_t offset = 0, stride = 1;

    for (int d = out_rank - 1; d >= 0; d--) {
        int64_t coord = i % out[d];
        int src = d - (out_rank - rank);
        i /= out[d];
        if (src < 0)
            continue;
        if (dims[src] != 1)
            offset += coord * stride;
        stride *= dims[src];
    }
    return offset;
}

#endif
