/*
 * segment.c - the cache of continuation plans each segment keeps
 * (segment.h).
 */
#include "segment.h"

#include <string.h>

/* True if continuation p was planned for key (its parent's cross values). */
static bool continuation_matches(const plan_t *p, const tensor_t *key)
{
    for (int c = 0; c < p->n_inputs; c++) {
        const tensor_t *k = &p->key[c];
        if (k->dtype != key[c].dtype || !shape_equal(k->rank, k->dims, key[c].rank, key[c].dims))
            return false;
        if (k->data && memcmp(k->data, key[c].data, tensor_bytes(k)) != 0)
            return false;
    }
    return true;
}

status_t segment_next(engine_model_t *m, plan_t *parent, const tensor_t *key, plan_t **out,
                      error_t *err)
{
    plan_t *plan = NULL;
    int victim = 0;
    status_t st;

    *out = NULL;
    pthread_mutex_lock(&parent->next_lock);
    for (int i = 0; i < PLAN_MAX_CONTINUATIONS; i++)
        if (parent->next[i] && continuation_matches(parent->next[i], key)) {
            plan = parent->next[i];
            plan_retain(plan);
            parent->next_used[i] = ++parent->next_clock;
            break;
        }
    pthread_mutex_unlock(&parent->next_lock);
    if (plan) {
        *out = plan;
        return STATUS_OK;
    }
    /* Planning reads only the immutable graph and parent, so it runs outside the lock. */
    st = plan_continue(m->graph, parent, key, &plan, err);
    if (st)
        return st;
    model_report_plan(m, plan);
    pthread_mutex_lock(&parent->next_lock);
    for (int i = 0; i < PLAN_MAX_CONTINUATIONS; i++)
        if (!parent->next[i] || parent->next_used[i] < parent->next_used[victim]) {
            victim = i;
            if (!parent->next[i])
                break;
        }
    plan_release(parent->next[victim]);
    parent->next[victim] = plan;
    parent->next_used[victim] = ++parent->next_clock;
    plan_retain(plan);
    pthread_mutex_unlock(&parent->next_lock);
    *out = plan;
    return STATUS_OK;
}
