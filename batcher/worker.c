/*
 * worker.c - a worker thread: take the lead when no other idle worker has
 * it, form a batch, run it on the worker's own context, answer its requests.
 */
#include "batcher_impl.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>

/* What a leader's watch over the queue ended with. */
typedef enum lead_result {
    LEAD_EXIT,    /* draining and nothing left */
    LEAD_BATCH,   /* a batch to run */
    LEAD_EXPIRED, /* requests to answer as expired */
} lead_result_t;

static struct timespec monotonic_at(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
    return ts;
}

/* Called with b->lock held; returns with it held. */
static lead_result_t lead(batcher_t *b, batcher_batch_t *batch, int64_t *taken_us)
{
    for (;;) {
        int64_t now = request_now_us(), wake_us = 0, wake_rows = 0;
        struct timespec until;

        switch (batcher_form(&b->queue, &b->cfg, b->draining || b->hurrying, now, batch, &wake_us,
                             &wake_rows)) {
        case BATCHER_FORM_BATCH:
            *taken_us = now;
            return LEAD_BATCH;
        case BATCHER_FORM_EXPIRED:
            *taken_us = now;
            return LEAD_EXPIRED;
        case BATCHER_FORM_EMPTY:
            if (b->draining)
                return LEAD_EXIT;
            b->wake_rows = 1;
            b->wake_us = INT64_MAX;
            pthread_cond_wait(&b->arrived, &b->lock);
            break;
        case BATCHER_FORM_WAIT:
            until = monotonic_at(wake_us);
            b->wake_rows = wake_rows;
            b->wake_us = wake_us;
            pthread_cond_timedwait(&b->arrived, &b->lock, &until);
            break;
        }
        b->wake_rows = 0;
    }
}

/*
 * Sets the queue time of every answered request, counts them, then calls
 * back: after its callback a request is the front end's, so it comes last.
 */
static void answer(batcher_t *b, request_t *const *reqs, int n, int64_t taken_us, bool executed,
                   int64_t rows)
{
    bool batched = b->cfg.max_batch_size > 0;

    for (int i = 0; i < n; i++)
        reqs[i]->queue_us = taken_us - reqs[i]->enqueue_us;
    batcher_counters_answered(&b->counters, reqs, n, batched, executed, rows,
                              n > 0 ? reqs[0]->compute_us : 0);
    for (int i = 0; i < n; i++)
        reqs[i]->done(reqs[i]);
}

static void expire(batcher_t *b, batcher_batch_t *batch, int64_t taken_us)
{
    for (int i = 0; i < batch->n_expired; i++) {
        request_t *req = batch->expired[i];
        req->compute_us = 0;
        req->batch_size = 0;
        req->n_outputs = 0;
        if (atomic_load(&req->cancelled))
            req->status = error_set(&req->error, STATUS_DEADLINE_EXCEEDED,
                                    "cancelled by the client after %" PRId64 " us in the queue",
                                    taken_us - req->enqueue_us);
        else
            req->status =
                error_set(&req->error, STATUS_DEADLINE_EXCEEDED,
                          "timed out after %" PRId64 " us in the queue (timeout %" PRId64 " us)",
                          taken_us - req->enqueue_us, req->deadline_us - req->enqueue_us);
    }
    answer(b, batch->expired, batch->n_expired, taken_us, false, 0);
}

/*
 * Timer slack of the worker threads, in ns. A leader waits out the
 * batching delay in a timed wait, which the kernel may end late by the
 * thread's slack: with Linux's default of 50 us a 500 us delay held
 * requests 580-600 us, 15 % more latency at low load than configured.
 */
#define BATCHER_TIMER_SLACK_NS 1000

/* Names the calling worker thread "<prefix>/<index>", the prefix cut so that the index fits. */
static void name_thread(const batcher_t *b, int index)
{
    char name[BATCHER_THREAD_NAME_MAX], digits[8];
    const char *prefix = b->cfg.thread_name[0] ? b->cfg.thread_name : "batch";
    int room = (int)sizeof name - 1 - snprintf(digits, sizeof digits, "/%d", index);

    assert(room > 0);
    snprintf(name, sizeof name, "%.*s%s", room, prefix, digits);
    (void)prctl(PR_SET_NAME, name);
}

void *batcher_worker_main(void *arg)
{
    batcher_worker_t *w = arg;
    batcher_t *b = w->b;
    bool batched = b->cfg.max_batch_size > 0;

    name_thread(b, (int)(w - b->workers));
    /* Best effort: a kernel without it keeps the default slack. */
    (void)prctl(PR_SET_TIMERSLACK, BATCHER_TIMER_SLACK_NS, 0, 0, 0);
    pthread_mutex_lock(&b->lock);
    for (;;) {
        int64_t taken_us = 0;
        lead_result_t result;
        bool ran, hand_over;

        while (b->leader_busy)
            pthread_cond_wait(&b->turn, &b->lock);
        b->leader_busy = true;
        result = lead(b, &w->batch, &taken_us);
        b->leader_busy = false;
        if (result == LEAD_EXIT) {
            pthread_cond_signal(&b->turn);
            break;
        }
        /*
         * The lead passes to an idle worker only when requests are left for
         * it to watch. With none, waking one cost a futex wake and a context
         * switch per batch (at one client, in front of the answer on the
         * same core) only for it to wait again: the next arrival wakes an
         * idle worker instead (batcher_submit), or this one leads again once
         * it has answered.
         */
        hand_over = b->queue.pending > 0;
        pthread_mutex_unlock(&b->lock);
        /* After the unlock: the next leader would only block on the lock held here. */
        if (hand_over)
            pthread_cond_signal(&b->turn);
        if (result == LEAD_EXPIRED) {
            expire(b, &w->batch, taken_us);
        } else {
            ran = batcher_run(b->model, w->ctx, &w->stage, batched, &w->batch);
            answer(b, w->batch.reqs, w->batch.n, taken_us, ran, w->batch.rows);
        }
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}
