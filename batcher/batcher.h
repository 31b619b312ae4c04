/*
 * batcher.h - a model's dynamic batcher and worker pool.
 *
 * Requests wait in per-priority queues. Idle workers take the oldest request
 * of the highest priority and add compatible ones (same non-batch dims) up
 * to max_batch_size, preferring a preferred size, waiting at most
 * max_queue_delay_us for company. Each worker owns an engine context (its
 * own arena) on the one shared, immutable backend_model_t; the batch's
 * outputs are split back to each request exactly.
 */
#ifndef INFERD_BATCHER_H
#define INFERD_BATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "request.h"

#define BATCHER_MAX_PREFERRED       16
#define BATCHER_MAX_PRIORITY_LEVELS 16
#define BATCHER_MAX_INSTANCES       64
/* Rows one batch may hold: bounds each worker's per-batch bookkeeping. */
#define BATCHER_MAX_BATCH_SIZE 65536
/* An hour: longer delays are configuration mistakes, and the bound keeps time sums in range. */
#define BATCHER_MAX_QUEUE_DELAY_US       (INT64_C(3600) * 1000000)
#define BATCHER_MAX_THREADS_PER_INSTANCE 256
/* Linux's limit on a thread's name, its terminating NUL included. */
#define BATCHER_THREAD_NAME_MAX 16
/* Batch-size histogram buckets: 1, 2, 4, ..., 2^(N-2), and larger. */
#define BATCHER_HISTOGRAM_BUCKETS 12

typedef struct batcher_config {
    /* 0: inputs carry no batch dim and every request runs alone. */
    int max_batch_size;
    /*
     * Dynamic batching: queued requests are merged into one execution. When
     * false each request still carries its batch dim but runs alone, as in
     * Triton without a dynamic_batching section.
     */
    bool combine_requests;
    int preferred_batch_sizes[BATCHER_MAX_PREFERRED];
    int n_preferred;
    int64_t max_queue_delay_us;
    int max_queue_size;         /* pending requests beyond this are refused; 0 = unlimited */
    int64_t default_timeout_us; /* 0 = none; a request may lower it, never raise it */
    int priority_levels;        /* 1 .. BATCHER_MAX_PRIORITY_LEVELS; 1 is served first */
    int default_priority;       /* level for requests that name none */
    int instance_count;         /* workers, each with its own context */
    int threads_per_instance;   /* kernel threads of each worker */
    /*
     * The device worker i runs on (backend_instance_t.device), for a
     * backend whose instances run on devices; -1: none. A backend without
     * devices ignores it.
     */
    int instance_devices[BATCHER_MAX_INSTANCES];
    /*
     * What the workers' thread names start with (the model's name, cut to
     * fit), followed by "/" and the worker's index, so that `top -H` and
     * perf tell one model's workers from another's; "" names them "batch".
     */
    char thread_name[BATCHER_THREAD_NAME_MAX];
} batcher_config_t;

/*
 * Counters since creation; read with batcher_stats. Work counters
 * (inferences, executions, histogram, queue and compute time) count only
 * what succeeded, so averages over them describe answered requests.
 */
typedef struct batcher_stats {
    uint64_t success;        /* requests answered with outputs */
    uint64_t failed_invalid; /* refused or failed as the client's fault */
    uint64_t failed_queue_full;
    uint64_t failed_timeout;     /* expired before running */
    uint64_t failed_unavailable; /* submitted while draining */
    uint64_t failed_internal;    /* anything else: the model failed while running, out of memory */
    uint64_t inferences;         /* rows of successful requests (1 each without a batch dim) */
    uint64_t executions;         /* batches the model ran successfully */
    uint64_t batch_histogram[BATCHER_HISTOGRAM_BUCKETS]; /* those batches by rows */
    uint64_t queue_us;                                   /* summed over successful requests */
    uint64_t compute_us;                                 /* summed over successful batches */
    int pending;                                         /* requests queued now */
} batcher_stats_t;

typedef struct batcher batcher_t;

/*
 * Creates the batcher and starts cfg->instance_count workers on model.
 * model must outlive the batcher. The caller owns *out (batcher_free).
 */
status_t batcher_create(backend_model_t *model, const batcher_config_t *cfg, batcher_t **out,
                        error_t *err);

/*
 * Queues req (its inputs in the model's order, each with the batch dim
 * first when max_batch_size > 0). On STATUS_OK the batcher owns req until
 * req->done runs, exactly once, on a worker thread. Any other status means
 * req was not queued, req->done will not run, and the caller still owns it:
 *   STATUS_INVALID_ARGUMENT   batch dim missing, unequal or outside
 *                             1..max_batch_size; wrong input count; bad
 *                             shape, dtype or data; priority outside
 *                             0..priority_levels; negative timeout; no done
 *   STATUS_QUEUE_FULL         the queue is full
 *   STATUS_UNAVAILABLE        the batcher is draining
 *   STATUS_OUT_OF_MEMORY
 * A request the model then rejects gets the engine's status in req->status.
 */
status_t batcher_submit(batcher_t *b, request_t *req, error_t *err);

/*
 * From now on queued requests run as soon as a worker is free, without
 * waiting out the queue delay for company; submissions are still taken.
 * A stopping server calls this before it waits for answers, so that a long
 * max_queue_delay cannot outlast the exit timeout. NULL is a no-op.
 */
void batcher_hurry(batcher_t *b);

/*
 * Stops accepting requests, lets the workers finish everything queued, and
 * joins them. Safe to call more than once, from any thread but a worker's
 * (a completion callback would wait for itself).
 */
void batcher_drain(batcher_t *b);

/* Drains, then frees; NULL is a no-op. */
void batcher_free(batcher_t *b);

void batcher_stats(batcher_t *b, batcher_stats_t *out);

#endif
