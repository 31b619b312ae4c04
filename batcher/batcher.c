/*
 * batcher.c - the batcher's lifecycle and front door: create the workers,
 * check and queue requests, drain, free, report statistics.
 */
#include "batcher_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* Condition waits time out on the monotonic clock, so wall-clock jumps do not move deadlines. */
static int cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc)
        return rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!rc)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

/* Makes every lock and condition, or none of them. */
static status_t sync_init(batcher_t *b, error_t *err)
{
    int made = 0;

    if (pthread_mutex_init(&b->lock, NULL) == 0)
        made++;
    if (made == 1 && pthread_mutex_init(&b->drain_lock, NULL) == 0)
        made++;
    if (made == 2 && cond_init_monotonic(&b->arrived) == 0)
        made++;
    if (made == 3 && cond_init_monotonic(&b->turn) == 0)
        made++;
    if (made == 4 && batcher_counters_init(&b->counters, err) == STATUS_OK) {
        b->sync_ready = true;
        return STATUS_OK;
    }
    if (made > 3)
        pthread_cond_destroy(&b->turn);
    if (made > 2)
        pthread_cond_destroy(&b->arrived);
    if (made > 1)
        pthread_mutex_destroy(&b->drain_lock);
    if (made > 0)
        pthread_mutex_destroy(&b->lock);
    return error_set(err, STATUS_INTERNAL, "cannot create the batcher's locks");
}

/* Gives worker i its context and buffers, and starts its thread. */
static status_t start_worker(batcher_t *b, int i, error_t *err)
{
    batcher_worker_t *w = &b->workers[i];
    status_t st;

    const backend_instance_t instance = {.threads = b->cfg.threads_per_instance,
                                         .device = b->cfg.instance_devices[i]};

    w->b = b;
    st = backend_context_create(b->model, &instance, &w->ctx, err);
    if (!st)
        st = batcher_batch_init(&w->batch, &b->cfg, err);
    if (st)
        return st;
    if (pthread_create(&w->thread, NULL, batcher_worker_main, w) != 0)
        return error_set(err, STATUS_INTERNAL, "cannot start batcher worker %d", i);
    w->started = true;
    return STATUS_OK;
}

status_t batcher_create(backend_model_t *model, const batcher_config_t *cfg, batcher_t **out,
                        error_t *err)
{
    batcher_t *b = NULL;
    status_t st;

    *out = NULL;
    st = batcher_config_check(model, cfg, err);
    if (st)
        goto cleanup;
    b = calloc(1, sizeof *b);
    if (!b) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    b->model = model;
    b->cfg = *cfg;
    batcher_queue_init(&b->queue, cfg->priority_levels);
    st = sync_init(b, err);
    if (st)
        goto cleanup;
    b->workers = calloc((size_t)cfg->instance_count, sizeof *b->workers);
    if (!b->workers) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    b->n_workers = cfg->instance_count;
    for (int i = 0; i < b->n_workers && !st; i++)
        st = start_worker(b, i, err);
cleanup:
    if (st) {
        batcher_free(b);
        return st;
    }
    *out = b;
    return STATUS_OK;
}

/* min of the positive ones of the request's and the model's timeouts; 0 = none. */
static int64_t effective_timeout(const batcher_config_t *cfg, const request_t *req)
{
    int64_t t = cfg->default_timeout_us;

    if (req->timeout_us > 0 && (t == 0 || req->timeout_us < t))
        t = req->timeout_us;
    return t;
}

/*
 * Whether req, just queued, may let the waiting leader do something before
 * it would look again anyway: waking it for every arrival of a forming
 * batch cost a futex wake and a context switch per request. Called with
 * b->lock held, while a leader waits.
 */
static bool wakes_leader(const batcher_t *b, const request_t *req)
{
    if (b->wake_rows == 0 || b->queue.rows >= b->wake_rows)
        return true;
    return req->deadline_us > 0 && req->deadline_us < b->wake_us;
}

status_t batcher_submit(batcher_t *b, request_t *req, error_t *err)
{
    int priority;
    int64_t timeout;
    /* Whom req wakes: the waiting leader, or an idle worker to lead when none leads. */
    pthread_cond_t *wake = NULL;
    status_t st = batcher_request_check(b->model, &b->cfg, req, err);

    if (st)
        goto cleanup;
    priority = req->priority > 0 ? req->priority : b->cfg.default_priority;
    timeout = effective_timeout(&b->cfg, req);
    pthread_mutex_lock(&b->lock);
    if (b->draining) {
        st = error_set(err, STATUS_UNAVAILABLE, "the model is shutting down");
    } else if (b->cfg.max_queue_size > 0 && b->queue.pending >= b->cfg.max_queue_size) {
        st = error_set(err, STATUS_QUEUE_FULL, "the model's queue is full (%d requests)",
                       b->cfg.max_queue_size);
    } else {
        req->enqueue_us = request_now_us();
        /* Past INT64_MAX the deadline could not be reached anyway. */
        req->deadline_us =
            timeout > 0 && timeout < INT64_MAX - req->enqueue_us ? req->enqueue_us + timeout : 0;
        req->queue_us = 0;
        req->compute_us = 0;
        req->batch_size = 0;
        req->status = STATUS_OK;
        req->error.code = STATUS_OK;
        req->error.message[0] = '\0';
        req->n_outputs = 0;
        st = batcher_queue_push(&b->queue, req, priority, batcher_request_rows(&b->cfg, req), err);
        /*
         * A leader holding the lock is impossible here: leader_busy means one
         * waits on `arrived`. Without one, every worker is running a batch
         * (and leads next when it is done) or waits on `turn`.
         */
        if (!st)
            wake = !b->leader_busy ? &b->turn : wakes_leader(b, req) ? &b->arrived : NULL;
    }
    pthread_mutex_unlock(&b->lock);
    /*
     * Signalled after the unlock, so that the woken worker does not only
     * block on the lock this thread still holds. req may be answered by now.
     */
    if (wake)
        pthread_cond_signal(wake);
cleanup:
    if (st)
        batcher_counters_refused(&b->counters, st);
    return st;
}

void batcher_hurry(batcher_t *b)
{
    if (!b || !b->sync_ready)
        return;
    pthread_mutex_lock(&b->lock);
    b->hurrying = true;
    pthread_cond_broadcast(&b->arrived);
    pthread_mutex_unlock(&b->lock);
}

void batcher_drain(batcher_t *b)
{
    if (!b || !b->sync_ready)
        return;
    pthread_mutex_lock(&b->drain_lock);
    pthread_mutex_lock(&b->lock);
    b->draining = true;
    pthread_cond_broadcast(&b->arrived);
    pthread_cond_broadcast(&b->turn);
    pthread_mutex_unlock(&b->lock);
    for (int i = 0; !b->joined && i < b->n_workers; i++)
        if (b->workers[i].started)
            pthread_join(b->workers[i].thread, NULL);
    b->joined = true;
    pthread_mutex_unlock(&b->drain_lock);
}

void batcher_free(batcher_t *b)
{
    if (!b)
        return;
    batcher_drain(b);
    for (int i = 0; b->workers && i < b->n_workers; i++) {
        backend_context_free(b->workers[i].ctx);
        batcher_stage_free(&b->workers[i].stage);
        batcher_batch_free(&b->workers[i].batch);
    }
    free(b->workers);
    if (b->sync_ready) {
        batcher_counters_destroy(&b->counters);
        pthread_cond_destroy(&b->turn);
        pthread_cond_destroy(&b->arrived);
        pthread_mutex_destroy(&b->drain_lock);
        pthread_mutex_destroy(&b->lock);
    }
    free(b);
}

void batcher_stats(batcher_t *b, batcher_stats_t *out)
{
    pthread_mutex_lock(&b->lock);
    out->pending = b->queue.pending;
    pthread_mutex_unlock(&b->lock);
    batcher_counters_read(&b->counters, out);
}
