#include "counters.h"

#include <string.h>

status_t batcher_counters_init(batcher_counters_t *c, error_t *err)
{
    memset(&c->stats, 0, sizeof c->stats);
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        return error_set(err, STATUS_INTERNAL, "cannot create the statistics lock");
    return STATUS_OK;
}

void batcher_counters_destroy(batcher_counters_t *c)
{
    pthread_mutex_destroy(&c->lock);
}

/* The failure counter a status belongs to: the client's fault or ours. */
static uint64_t *failure_counter(batcher_stats_t *s, status_t st)
{
    switch (st) {
    case STATUS_INVALID_ARGUMENT:
        return &s->failed_invalid;
    case STATUS_QUEUE_FULL:
        return &s->failed_queue_full;
    case STATUS_DEADLINE_EXCEEDED:
        return &s->failed_timeout;
    case STATUS_UNAVAILABLE:
        return &s->failed_unavailable;
    default:
        return &s->failed_internal;
    }
}

/* Bucket i holds sizes in (2^(i-1), 2^i]; the last one everything larger. */
static int histogram_bucket(int64_t rows)
{
    int bucket = 0;

    while (bucket < BATCHER_HISTOGRAM_BUCKETS - 1 && ((int64_t)1 << bucket) < rows)
        bucket++;
    return bucket;
}

void batcher_counters_refused(batcher_counters_t *c, status_t st)
{
    pthread_mutex_lock(&c->lock);
    (*failure_counter(&c->stats, st))++;
    pthread_mutex_unlock(&c->lock);
}

void batcher_counters_answered(batcher_counters_t *c, request_t *const *reqs, int n, bool batched,
                               bool executed, int64_t rows, int64_t compute_us)
{
    batcher_stats_t *s = &c->stats;

    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < n; i++) {
        const request_t *req = reqs[i];
        if (req->status != STATUS_OK) {
            (*failure_counter(s, req->status))++;
            continue;
        }
        s->success++;
        s->inferences += batched ? (uint64_t)request_batch_rows(req) : 1;
        s->queue_us += (uint64_t)req->queue_us;
    }
    if (executed) {
        s->executions++;
        s->batch_histogram[histogram_bucket(rows)]++;
        s->compute_us += (uint64_t)compute_us;
    }
    pthread_mutex_unlock(&c->lock);
}

void batcher_counters_read(batcher_counters_t *c, batcher_stats_t *out)
{
    int pending = out->pending;

    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
    out->pending = pending;
}
