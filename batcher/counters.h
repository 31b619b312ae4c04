/*
 * counters.h - a batcher's statistics, updated by submitters and workers
 * under their own lock (never held while taking the batcher's).
 */
#ifndef INFERD_BATCHER_COUNTERS_H
#define INFERD_BATCHER_COUNTERS_H

#include <pthread.h>
#include <stdbool.h>

#include "batcher.h"

typedef struct batcher_counters {
    pthread_mutex_t lock;
    batcher_stats_t stats; /* pending is not kept here: the queue knows it */
} batcher_counters_t;

/* Zeroed counters; fails only if the mutex cannot be made. */
status_t batcher_counters_init(batcher_counters_t *c, error_t *err);

void batcher_counters_destroy(batcher_counters_t *c);

/* Counts a request batcher_submit refused with st. */
void batcher_counters_refused(batcher_counters_t *c, status_t st);

/*
 * Counts n answered requests by their status. executed says they ran as
 * one batch of rows rows that took compute_us (successful requests then add
 * their rows, or 1 each when unbatched, and their queue time); expired
 * requests pass false.
 */
void batcher_counters_answered(batcher_counters_t *c, request_t *const *reqs, int n, bool batched,
                               bool executed, int64_t rows, int64_t compute_us);

/* Copies the counters into *out (pending left as it is). */
void batcher_counters_read(batcher_counters_t *c, batcher_stats_t *out);

#endif
