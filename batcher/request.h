/*
 * request.h - one inference request as it travels from a front end through
 * a model's batcher and back.
 *
 * Ownership: the front end creates the request (request_create), fills its
 * inputs with data allocated from req->arena, and submits it. From a
 * successful batcher_submit until the completion callback, the batcher owns
 * it; the callback hands it back, and the front end frees it (request_free)
 * once the response is sent. Everything the request points to lives in its
 * arena, so one free releases it all.
 */
#ifndef INFERD_REQUEST_H
#define INFERD_REQUEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "status.h"
#include "tensor.h"

/* Inputs and outputs one request may carry. */
#define REQUEST_MAX_TENSORS 64

typedef struct request request_t;

/*
 * Called exactly once per submitted request, on a worker thread, when the
 * request has run, failed or expired. req->status and req->error say which;
 * on success req->outputs hold the results. The callback must not block.
 */
typedef void (*request_done_fn)(request_t *req);

struct request {
    arena_t arena;

    /* Set by the front end. */
    const char *id; /* the client's request id, or NULL */
    int n_inputs;   /* the model's inputs, in the model's order */
    tensor_t inputs[REQUEST_MAX_TENSORS];
    uint64_t output_mask; /* bit k: the client wants model output k */
    int priority;         /* 1 = highest; 0 = the model's default */
    int64_t timeout_us;   /* 0 = the model's default */
    request_done_fn done;
    void *user; /* the front end's connection state */
    /*
     * Set by the front end, from any thread, when the client gave up (a
     * cancelled gRPC call): a queued request is then answered without
     * running. Zeroed by request_create's calloc (a valid false).
     */
    atomic_bool cancelled;

    /* Set by the batcher. */
    int64_t enqueue_us;  /* monotonic clock at submit */
    int64_t deadline_us; /* monotonic; 0 = none */
    int64_t queue_us;    /* time spent queued */
    int64_t compute_us;  /* time of the batch it ran in */
    int batch_size;      /* size of the batch it ran in */
    status_t status;
    error_t error;
    int n_outputs;                         /* every model output; only masked ones are filled */
    tensor_t outputs[REQUEST_MAX_TENSORS]; /* data in the arena */
};

/* A new empty request (zeroed, with an empty arena); NULL when out of memory. */
request_t *request_create(void);

/* Frees the request and its arena; NULL is a no-op. */
void request_free(request_t *req);

/*
 * Empties the request's arena and makes it as request_create does, to be
 * used again. The arena keeps a small chunk (arena_reset), so a request
 * used again for small inputs allocates nothing. inputs_written bounds the
 * inputs its last use may have written (the model's input count:
 * parsing fills inputs[k] before it sets n_inputs, and may stop half-way),
 * REQUEST_MAX_TENSORS when unknown; outputs are written only below
 * n_outputs (the batcher sets it first).
 */
void request_reset(request_t *req, int inputs_written);

/* Rows of the batch dimension this request carries (dim 0 of its first input). */
int64_t request_batch_rows(const request_t *req);

/* Microseconds on the monotonic clock. */
int64_t request_now_us(void);

#endif
