/*
 * parallel.h - how many threads a kernel's parallel region is worth.
 *
 * Waking an OpenMP team costs microseconds while its threads spin, and up
 * to a scheduler time slice when the cores are shared (other models'
 * workers, other containers) and a thread must wait for its turn: a
 * region that forks for a few microseconds of work then runs far slower
 * than the calling thread alone would. Kernels size their teams by the
 * work they have, so a decoder step or an LSTM at batch 1 never forks.
 */
#ifndef INFERD_PARALLEL_H
#define INFERD_PARALLEL_H

#include <stdint.h>

/*
 * Least work worth a thread of its own, in simple operations (a
 * multiply-add, an element read and written): about 40 us on one core.
 */
#define PARALLEL_MIN_WORK (INT64_C(1) << 20)

/* Threads worth waking for work operations: 1 up to threads, one per PARALLEL_MIN_WORK. */
static inline int parallel_team(int64_t work, int threads)
{
    const int64_t worth = work / PARALLEL_MIN_WORK;

    if (threads <= 1 || worth <= 1)
        return 1;
    return worth < threads ? (int)worth : threads;
}

#endif
