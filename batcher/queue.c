#include "queue.h"

#include <stdlib.h>

void batcher_queue_init(batcher_queue_t *q, int levels)
{
    for (int i = 0; i < BATCHER_MAX_PRIORITY_LEVELS; i++) {
        q->head[i] = NULL;
        q->tail[i] = NULL;
    }
    q->levels = levels;
    q->pending = 0;
    q->rows = 0;
}

status_t batcher_queue_push(batcher_queue_t *q, request_t *req, int priority, int64_t rows,
                            error_t *err)
{
    batcher_node_t *n = malloc(sizeof *n);
    int level = priority - 1;

    if (!n)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory queueing a request");
    n->req = req;
    n->level = level;
    n->rows = rows;
    n->prev = q->tail[level];
    n->next = NULL;
    if (q->tail[level])
        q->tail[level]->next = n;
    else
        q->head[level] = n;
    q->tail[level] = n;
    q->pending++;
    q->rows += rows;
    return STATUS_OK;
}

batcher_node_t *batcher_queue_next(const batcher_queue_t *q, const batcher_node_t *n)
{
    int level = 0;

    if (n) {
        if (n->next)
            return n->next;
        level = n->level + 1;
    }
    for (; level < q->levels; level++)
        if (q->head[level])
            return q->head[level];
    return NULL;
}

request_t *batcher_queue_remove(batcher_queue_t *q, batcher_node_t *n)
{
    request_t *req = n->req;

    if (n->prev)
        n->prev->next = n->next;
    else
        q->head[n->level] = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail[n->level] = n->prev;
    q->pending--;
    q->rows -= n->rows;
    free(n);
    return req;
}
