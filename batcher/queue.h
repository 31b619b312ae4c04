/*
 * queue.h - a batcher's pending requests: one FIFO list per priority level,
 * walked in serving order (level 1 first, oldest first within a level).
 * Requests are removed from anywhere in the walk, because a batch takes only
 * the ones compatible with its first request. Not thread-safe: the
 * batcher's lock guards it.
 */
#ifndef INFERD_BATCHER_QUEUE_H
#define INFERD_BATCHER_QUEUE_H

#include "batcher.h"

typedef struct batcher_node batcher_node_t;

struct batcher_node {
    request_t *req;
    int level;    /* 0-based: priority - 1 */
    int64_t rows; /* the rows it adds to a batch */
    batcher_node_t *prev;
    batcher_node_t *next;
};

typedef struct batcher_queue {
    batcher_node_t *head[BATCHER_MAX_PRIORITY_LEVELS];
    batcher_node_t *tail[BATCHER_MAX_PRIORITY_LEVELS];
    int levels;
    int pending;
    int64_t rows; /* the rows of every pending request */
} batcher_queue_t;

/* An empty queue with levels priority levels (1 .. BATCHER_MAX_PRIORITY_LEVELS). */
void batcher_queue_init(batcher_queue_t *q, int levels);

/*
 * Appends req at priority (1 .. levels), adding rows to q->rows. The queue
 * keeps the pointer, not the request: the batcher owns req while it is
 * queued. Fails only when out of memory.
 */
status_t batcher_queue_push(batcher_queue_t *q, request_t *req, int priority, int64_t rows,
                            error_t *err);

/* The node after n in serving order, or the first one when n is NULL; NULL at the end. */
batcher_node_t *batcher_queue_next(const batcher_queue_t *q, const batcher_node_t *n);

/* Unlinks and frees n; the caller owns the request it returns. */
request_t *batcher_queue_remove(batcher_queue_t *q, batcher_node_t *n);

#endif
