#include "form.h"

#include <stdlib.h>

status_t batcher_batch_init(batcher_batch_t *batch, const batcher_config_t *cfg, error_t *err)
{
    batch->capacity = cfg->max_batch_size > 0 ? cfg->max_batch_size : 1;
    batch->candidates = calloc((size_t)batch->capacity, sizeof *batch->candidates);
    batch->reqs = calloc((size_t)batch->capacity, sizeof *batch->reqs);
    batch->n = 0;
    batch->rows = 0;
    batch->n_expired = 0;
    if (!batch->candidates || !batch->reqs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for a batch of %d",
                         batch->capacity);
    return STATUS_OK;
}

void batcher_batch_free(batcher_batch_t *batch)
{
    free(batch->candidates);
    free(batch->reqs);
    batch->candidates = NULL;
    batch->reqs = NULL;
}

/* Past its deadline, or cancelled by the client: answered without running. */
static bool expired(const request_t *req, int64_t now_us)
{
    return (req->deadline_us > 0 && now_us >= req->deadline_us) || atomic_load(&req->cancelled);
}

int64_t batcher_request_rows(const batcher_config_t *cfg, const request_t *req)
{
    return cfg->max_batch_size > 0 ? request_batch_rows(req) : 1;
}

/* Inputs that can be concatenated along dim 0: same dtype, rank and non-batch dims. */
static bool compatible(const request_t *a, const request_t *b)
{
    for (int i = 0; i < a->n_inputs; i++) {
        const tensor_t *x = &a->inputs[i], *y = &b->inputs[i];
        if (x->dtype != y->dtype || x->rank != y->rank)
            return false;
        for (int d = 1; d < x->rank; d++)
            if (x->dims[d] != y->dims[d])
                return false;
    }
    return true;
}

/*
 * Rows a batch led by lead may hold: max_batch_size, or fewer when a
 * concatenated input would pass TENSOR_MAX_ELEMENTS (the engine would
 * refuse it, failing requests that are fine on their own).
 */
static int64_t row_limit(const batcher_config_t *cfg, const request_t *lead)
{
    int64_t limit = cfg->max_batch_size > 0 ? cfg->max_batch_size : 1;
    int64_t rows = batcher_request_rows(cfg, lead);

    if (cfg->max_batch_size == 0 || !cfg->combine_requests)
        return rows;
    for (int i = 0; i < lead->n_inputs; i++) {
        int64_t per_row = tensor_numel(&lead->inputs[i]) / rows;
        if (per_row > 0 && TENSOR_MAX_ELEMENTS / per_row < limit)
            limit = TENSOR_MAX_ELEMENTS / per_row;
    }
    return limit;
}

static bool preferred(const batcher_config_t *cfg, int64_t rows)
{
    for (int i = 0; i < cfg->n_preferred; i++)
        if (cfg->preferred_batch_sizes[i] == rows)
            return true;
    return false;
}

/*
 * Rows that must join a forming batch of rows (at most limit) before it can
 * run early: up to the next preferred size, or to its limit, whichever
 * comes first (a request that overflows the limit fills it too).
 */
static int64_t rows_to_due(const batcher_config_t *cfg, int64_t rows, int64_t limit)
{
    int64_t need = limit - rows;

    for (int i = 0; i < cfg->n_preferred; i++) {
        int64_t p = cfg->preferred_batch_sizes[i];
        if (p > rows && p - rows < need)
            need = p - rows;
    }
    return need;
}

batcher_form_result_t batcher_form(batcher_queue_t *q, const batcher_config_t *cfg, bool flush,
                                   int64_t now_us, batcher_batch_t *batch, int64_t *wake_us,
                                   int64_t *wake_rows)
{
    batcher_node_t *node = batcher_queue_next(q, NULL);
    const request_t *lead = NULL;
    int64_t limit = 0, rows = 0, oldest = 0, first_deadline = INT64_MAX;
    int n = 0, n_at_preferred = 0, take;
    bool full = false;

    batch->n = 0;
    batch->rows = 0;
    batch->n_expired = 0;
    while (node && !full && batch->n_expired < BATCHER_EXPIRED_MAX) {
        batcher_node_t *next = batcher_queue_next(q, node);
        request_t *req = node->req;
        if (expired(req, now_us)) {
            batch->expired[batch->n_expired++] = batcher_queue_remove(q, node);
        } else if (!lead || compatible(lead, req)) {
            if (!lead) {
                lead = req;
                limit = row_limit(cfg, lead);
                oldest = req->enqueue_us;
            }
            if (rows + batcher_request_rows(cfg, req) > limit) {
                /* Joining out of order would starve it; the batch is as big as it gets. */
                full = true;
                break;
            }
            rows += batcher_request_rows(cfg, req);
            batch->candidates[n++] = node;
            if (req->enqueue_us < oldest)
                oldest = req->enqueue_us;
            if (req->deadline_us > 0 && req->deadline_us < first_deadline)
                first_deadline = req->deadline_us;
            if (preferred(cfg, rows))
                n_at_preferred = n;
            full = rows == limit;
        }
        node = next;
    }
    if (batch->n_expired > 0)
        return BATCHER_FORM_EXPIRED;
    if (!lead)
        return BATCHER_FORM_EMPTY;
    take = n;
    if (!full && !flush) {
        if (n_at_preferred > 0) {
            take = n_at_preferred;
        } else if (now_us < oldest + cfg->max_queue_delay_us) {
            /* Wake for an expiry too, so a timed-out request is answered when it expires. */
            *wake_us = oldest + cfg->max_queue_delay_us;
            if (first_deadline < *wake_us)
                *wake_us = first_deadline;
            /*
             * With one priority level the lead stays until the batch runs, so
             * only requests that join it can make it run early, each adding
             * its rows to the queue's. With more, an arrival may lead a new
             * batch that older requests join: any arrival may matter.
             */
            *wake_rows = q->rows + (q->levels == 1 ? rows_to_due(cfg, rows, limit) : 1);
            return BATCHER_FORM_WAIT;
        }
    }
    for (int i = 0; i < take; i++) {
        batch->reqs[i] = batcher_queue_remove(q, batch->candidates[i]);
        batch->rows += batcher_request_rows(cfg, batch->reqs[i]);
    }
    batch->n = take;
    return BATCHER_FORM_BATCH;
}
