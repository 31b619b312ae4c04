/*
 * batcher_impl.h - the batcher_t behind batcher.h, shared by the public
 * entry points (batcher.c) and the worker threads (worker.c).
 *
 * Locking: `lock` guards the queue, `draining`, `hurrying`, `leader_busy`
 * and the leader's wake conditions. At most one idle worker, the leader,
 * forms the next batch, waiting on `arrived` for requests or for its
 * batch's delay; the other idle workers wait on `turn` to lead next. A
 * leader that takes a batch wakes one of them only when requests are left
 * in the queue; otherwise the next arrival does, when no worker leads.
 * Completion callbacks and the engine run with no lock held.
 */
#ifndef INFERD_BATCHER_IMPL_H
#define INFERD_BATCHER_IMPL_H

#include <pthread.h>
#include <stdbool.h>

#include "counters.h"
#include "form.h"
#include "queue.h"
#include "run.h"

typedef struct batcher_worker {
    batcher_t *b;
    backend_context_t *ctx;
    batcher_stage_t stage;
    batcher_batch_t batch;
    pthread_t thread;
    bool started;
} batcher_worker_t;

struct batcher {
    backend_model_t *model;
    batcher_config_t cfg;

    pthread_mutex_t lock;
    pthread_cond_t arrived; /* the leader's wait: a request came, or draining began */
    pthread_cond_t turn;    /* the other idle workers' wait: the leader left */
    batcher_queue_t queue;
    bool draining;
    bool hurrying; /* batches run as soon as they form, without waiting for company */
    bool leader_busy;
    /*
     * While the leader waits on `arrived`: an arrival wakes it once the
     * queue holds wake_rows rows, or when its deadline comes before wake_us
     * (INT64_MAX: none). 0 when no leader waits: every arrival signals.
     */
    int64_t wake_rows;
    int64_t wake_us;

    pthread_mutex_t drain_lock; /* one drain at a time joins the workers, once */
    bool joined;
    bool sync_ready; /* the locks, conditions and counters exist */

    batcher_counters_t counters;
    batcher_worker_t *workers;
    int n_workers;
};

/* A worker thread's body: arg is its batcher_worker_t. Returns when draining and idle. */
void *batcher_worker_main(void *arg);

#endif
