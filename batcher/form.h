/*
 * form.h - choosing the next batch: which queued requests run together,
 * and whether to run them now or wait for company.
 *
 * The first live request in serving order leads the batch; later ones join
 * when their inputs match it in dtype, rank and every non-batch dim, in
 * serving order, until the next one would not fit in max_batch_size rows.
 * The batch runs at once when it is full, when a preferred size is reached
 * (the largest one reachable), or when its oldest member has waited
 * max_queue_delay_us; otherwise the worker waits for more requests.
 */
#ifndef INFERD_BATCHER_FORM_H
#define INFERD_BATCHER_FORM_H

#include <stdbool.h>

#include "queue.h"

/*
 * Expired requests one look at the queue collects: they are answered
 * outside the lock before looking again, so the lock is never held for
 * long however many have expired.
 */
#define BATCHER_EXPIRED_MAX 64

/* A worker's batch: the requests it took from the queue, and scratch for choosing them. */
typedef struct batcher_batch {
    batcher_node_t **candidates; /* capacity entries */
    request_t **reqs;            /* capacity entries; the first n are the batch */
    int capacity;                /* max(1, max_batch_size): each request has a row at least */
    int n;
    int64_t rows; /* rows of the batch; n when the model has no batch dim */
    request_t *expired[BATCHER_EXPIRED_MAX];
    int n_expired;
} batcher_batch_t;

typedef enum batcher_form_result {
    BATCHER_FORM_EMPTY,   /* nothing is queued */
    BATCHER_FORM_WAIT,    /* a batch is forming: look again at *wake_us (its delay's end or a
                             member's deadline), or once the queue holds *wake_rows rows
                             (before then no arrival can make it run early) */
    BATCHER_FORM_BATCH,   /* batch->reqs hold a batch, now out of the queue */
    BATCHER_FORM_EXPIRED, /* batch->expired hold requests past their deadline, out of the queue */
} batcher_form_result_t;

/* Rows req adds to a batch; without a batch dim every request counts as one. */
int64_t batcher_request_rows(const batcher_config_t *cfg, const request_t *req);

/* Allocates the batch's arrays for cfg; fails only when out of memory. */
status_t batcher_batch_init(batcher_batch_t *batch, const batcher_config_t *cfg, error_t *err);

/* Frees the arrays (not the requests); a zeroed or half-built batch is fine. */
void batcher_batch_free(batcher_batch_t *batch);

/*
 * Looks at the queue at time now_us (monotonic). flush (set while
 * draining) runs whatever has formed without waiting for company. The
 * requests moved into batch belong to the caller, who must answer them.
 */
batcher_form_result_t batcher_form(batcher_queue_t *q, const batcher_config_t *cfg, bool flush,
                                   int64_t now_us, batcher_batch_t *batch, int64_t *wake_us,
                                   int64_t *wake_rows);

#endif
