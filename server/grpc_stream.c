/*
 * grpc_stream.c - ModelStreamInfer: a bidirectional stream where every
 * request message is one inference and every answer one response message,
 * sent in completion order. Failures of one inference (a message over
 * --max-body-bytes among them) go back in that response's error_message;
 * the stream itself ends with OK once the client has closed its side and
 * every answer is written.
 *
 * gRPC allows one outstanding read and one outstanding write per call, so
 * answers wait in a queue for the write before them. Reading pauses while
 * GRPC_STREAM_MAX_PENDING inferences are in the batcher, so a fast client
 * cannot queue unbounded work through one stream.
 *
 * Locking: `lock` guards everything below it in grpc_stream_t. Each
 * outstanding batch (read, write, status, close watch) and each queued
 * inference holds a reference; the last one frees the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"
#include "log.h"

/* Inferences one stream may have queued before it stops reading. */
#define GRPC_STREAM_MAX_PENDING 128

typedef struct grpc_stream grpc_stream_t;

/* One inference of a stream, from its message to its answer. */
typedef struct stream_item {
    grpc_stream_t *s;
    request_t *req;
    served_model_t *model;
    kserve_output_prefs_t prefs; /* which outputs go back classified */
    shm_request_t shm;           /* the regions its outputs go to */
    size_t held;                 /* bytes of the body budget its message holds */
    struct stream_item *prev, *next;
} stream_item_t;

/* An answer waiting for the write before it. */
typedef struct stream_answer {
    grpc_byte_buffer *message;
    struct stream_answer *next;
} stream_answer_t;

struct grpc_stream {
    grpc_frontend_t *fe;
    grpc_call_entry_t entry; /* the call is entry.call */
    gpr_timespec deadline;
    grpc_metadata_array request_md;
    grpc_byte_buffer *incoming; /* the message the outstanding read fills */
    grpc_slice status_details;  /* PERMISSION_DENIED's message, while it is sent */
    int cancelled;              /* RECV_CLOSE_ON_SERVER */
    grpc_tag_t arrived, closed, read, written, finished;

    pthread_mutex_t lock;
    int refs;
    bool reading;         /* a read is outstanding */
    bool read_paused;     /* the last read found too many inferences pending */
    bool read_done;       /* the client closed its side, or reading failed */
    bool writing;         /* a write is outstanding */
    bool broken;          /* cancelled or a write failed: answers are dropped */
    bool finishing;       /* the status is sent or being sent */
    int pending;          /* inferences in the batcher */
    stream_item_t *items; /* those inferences, for cancellation */
    stream_answer_t *head, *tail;
    grpc_byte_buffer *in_write; /* the answer being written */
};

static void stream_free(grpc_stream_t *s)
{
    grpc_frontend_t *fe = s->fe;

    grpc_frontend_call_release(fe, &s->entry);
    grpc_metadata_array_destroy(&s->request_md);
    if (s->incoming)
        grpc_byte_buffer_destroy(s->incoming);
    if (s->in_write)
        grpc_byte_buffer_destroy(s->in_write);
    grpc_slice_unref(s->status_details);
    while (s->head) {
        stream_answer_t *a = s->head;
        s->head = a->next;
        grpc_byte_buffer_destroy(a->message);
        free(a);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
    grpc_frontend_call_gone(fe);
}

/* Drops a reference with the lock held, and unlocks; frees the stream after the last one. */
static void release_unlock(grpc_stream_t *s)
{
    bool last = --s->refs == 0;

    pthread_mutex_unlock(&s->lock);
    if (last)
        stream_free(s);
}

/* Starts a batch that holds a reference until its tag completes. Lock held. */
static void start_locked(grpc_stream_t *s, grpc_op *ops, size_t n, grpc_tag_t *tag,
                         const char *what)
{
    grpc_call_error rc = grpc_call_start_batch(s->entry.call, ops, n, tag, NULL);

    if (rc != GRPC_CALL_OK) {
        log_warn("grpc: ModelStreamInfer: cannot start the %s (%d)", what, rc);
        s->broken = true;
        return;
    }
    s->refs++;
}

static void read_locked(grpc_stream_t *s)
{
    grpc_op op = {.op = GRPC_OP_RECV_MESSAGE};

    op.data.recv_message.recv_message = &s->incoming;
    s->reading = true;
    start_locked(s, &op, 1, &s->read, "read");
    if (s->broken) {
        s->reading = false;
        s->read_done = true;
    }
}

static void write_next_locked(grpc_stream_t *s)
{
    stream_answer_t *a = s->head;
    grpc_op op = {.op = GRPC_OP_SEND_MESSAGE};

    s->head = a->next;
    if (!s->head)
        s->tail = NULL;
    s->in_write = a->message;
    free(a);
    op.data.send_message.send_message = s->in_write;
    s->writing = true;
    start_locked(s, &op, 1, &s->written, "write");
    if (s->broken)
        s->writing = false;
}

/* Queues an answer (taken over) and writes it when no write is outstanding. Lock held. */
static void answer_locked(grpc_stream_t *s, grpc_byte_buffer *message)
{
    stream_answer_t *a = message && !s->broken ? malloc(sizeof *a) : NULL;

    if (!a) {
        if (message)
            grpc_byte_buffer_destroy(message);
        return;
    }
    a->message = message;
    a->next = NULL;
    if (s->tail)
        s->tail->next = a;
    else
        s->head = a;
    s->tail = a;
    if (!s->writing)
        write_next_locked(s);
}

/* Ends the stream with OK once nothing is left to read, run or write. Lock held. */
static void finish_if_done_locked(grpc_stream_t *s)
{
    grpc_op op = {.op = GRPC_OP_SEND_STATUS_FROM_SERVER};

    if (s->finishing || !s->read_done || s->pending > 0 || s->writing || s->head)
        return;
    s->finishing = true;
    response_count_grpc(&s->fe->state->responses, GRPC_STATUS_OK);
    op.data.send_status_from_server.status = GRPC_STATUS_OK;
    start_locked(s, &op, 1, &s->finished, "status");
}

/* A ModelStreamInferResponse with error_message, naming the request it answers. */
static grpc_byte_buffer *error_answer(const Inference__ModelInferRequest *q, const char *message)
{
    Inference__ModelStreamInferResponse r = INFERENCE__MODEL_STREAM_INFER_RESPONSE__INIT;
    Inference__ModelInferResponse ir = INFERENCE__MODEL_INFER_RESPONSE__INIT;
    grpc_byte_buffer *bb = NULL;
    arena_t arena;

    arena_init(&arena);
    r.error_message = kserve_grpc_text(&arena, message);
    if (q) {
        ir.model_name = kserve_grpc_text(&arena, q->model_name);
        ir.model_version = kserve_grpc_text(&arena, q->model_version);
        ir.id = kserve_grpc_text(&arena, q->id);
        r.infer_response = &ir;
    }
    if (r.error_message && ir.model_name && ir.model_version && ir.id)
        bb = grpc_pack_message(&r.base);
    arena_release(&arena);
    return bb;
}

static void item_free(stream_item_t *it, grpc_frontend_t *fe)
{
    body_budget_give(&fe->state->bodies, it->held);
    request_free(it->req);
    shm_request_release(&it->shm);
    repository_release(fe->repo, it->model);
    free(it);
}

/* The batcher's completion, on a worker thread: queue the answer, resume reading. */
static void item_done(request_t *req)
{
    stream_item_t *it = req->user;
    grpc_stream_t *s = it->s;
    grpc_frontend_t *fe = s->fe;
    served_model_t *m = it->model;
    Inference__ModelStreamInferResponse r = INFERENCE__MODEL_STREAM_INFER_RESPONSE__INIT;
    Inference__ModelInferResponse *resp = NULL;
    grpc_byte_buffer *bb;
    error_t err = {0};

    if (req->status) {
        r.error_message = kserve_grpc_text(&req->arena, req->error.message);
    } else if (shm_request_write(&it->shm, &m->config, &it->prefs, req, &err)) {
        r.error_message = kserve_grpc_text(&req->arena, err.message);
    } else if (kserve_grpc_infer_response(req, &m->config, &it->prefs, m->name, m->version_text,
                                          &req->arena, &resp, &err)) {
        r.error_message = kserve_grpc_text(&req->arena, err.message);
    } else {
        atomic_store(&m->last_inference_ms, grpc_wall_ms());
        r.infer_response = resp;
    }
    bb = r.error_message ? grpc_pack_message(&r.base) : NULL;

    pthread_mutex_lock(&s->lock);
    if (it->prev)
        it->prev->next = it->next;
    else
        s->items = it->next;
    if (it->next)
        it->next->prev = it->prev;
    s->pending--;
    answer_locked(s, bb);
    if (s->read_paused && s->pending < GRPC_STREAM_MAX_PENDING && !s->broken) {
        s->read_paused = false;
        read_locked(s);
    }
    finish_if_done_locked(s);
    release_unlock(s);
    item_free(it, fe);
    atomic_fetch_sub(&fe->state->in_flight, 1);
}

/*
 * Turns one request message into a queued inference, or into an error
 * answer. Runs on a polling thread, without the lock.
 */
static void handle_message(grpc_stream_t *s, grpc_byte_buffer *message)
{
    grpc_frontend_t *fe = s->fe;
    stream_item_t *it = calloc(1, sizeof *it);
    Inference__ModelInferRequest *q = NULL;
    grpc_byte_buffer *bb;
    error_t err = {0};
    int64_t version = -1, left;
    status_t st = STATUS_OK;
    char refused[GRPC_TOO_LARGE_MESSAGE_MAX];

    if (it) {
        it->s = s;
        it->req = request_create();
    }
    if (!it || !it->req)
        st = error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (!st && !grpc_message_fits(fe, message, refused, sizeof refused))
        st = error_set(&err, STATUS_TOO_LARGE, "%s", refused);
    if (!st && !grpc_message_hold(fe, message, &it->held, refused, sizeof refused))
        st = error_set(&err, STATUS_UNAVAILABLE, "%s", refused);
    if (!st) {
        q = (Inference__ModelInferRequest *)grpc_unpack_message(
            message, &inference__model_infer_request__descriptor, &it->req->arena);
        if (!q)
            st = error_set(&err, STATUS_INVALID_ARGUMENT,
                           "the request is not a valid inference.ModelInferRequest message");
    }
    grpc_byte_buffer_destroy(message);
    if (!st)
        st = grpc_parse_version(q->model_version, &version, &err);
    if (!st)
        st = repository_acquire(fe->repo, q->model_name, version, &it->model, &err);
    if (!st) {
        st = kserve_grpc_parse_infer_request(q, &it->model->config, fe->cfg->max_tensor_elements,
                                             it->req, &it->prefs, &err);
        if (!st)
            st = shm_request_prepare(fe->state->shm, &it->model->config, &it->prefs,
                                     fe->cfg->max_body_bytes, it->req, &it->shm, &err);
        if (st)
            atomic_fetch_add(&it->model->rejected, 1);
        it->prefs.labels = it->model->labels;
    }
    if (!st) {
        left = grpc_deadline_left_us(s->deadline);
        if (left < 0)
            st = error_set(&err, STATUS_DEADLINE_EXCEEDED,
                           "the stream's deadline passed before the request was queued");
        else if (left > 0 && (it->req->timeout_us == 0 || left < it->req->timeout_us))
            it->req->timeout_us = left;
    }
    if (!st) {
        it->req->done = item_done;
        it->req->user = it;
        pthread_mutex_lock(&s->lock);
        it->next = s->items;
        if (s->items)
            s->items->prev = it;
        s->items = it;
        s->pending++;
        s->refs++;
        if (s->broken)
            atomic_store(&it->req->cancelled, true);
        pthread_mutex_unlock(&s->lock);
        atomic_fetch_add(&fe->state->in_flight, 1);
        st = batcher_submit(it->model->batcher, it->req, &err);
        if (!st)
            return;
        atomic_fetch_sub(&fe->state->in_flight, 1);
        pthread_mutex_lock(&s->lock);
        if (it->prev)
            it->prev->next = it->next;
        else
            s->items = it->next;
        if (it->next)
            it->next->prev = it->prev;
        s->pending--;
        /* The read being handled still holds a reference: this is never the last. */
        s->refs--;
        pthread_mutex_unlock(&s->lock);
    }
    bb = error_answer(q, err.message);
    if (it)
        item_free(it, fe);
    pthread_mutex_lock(&s->lock);
    answer_locked(s, bb);
    pthread_mutex_unlock(&s->lock);
}

static void stream_read(grpc_tag_t *tag, bool ok)
{
    grpc_stream_t *s = (grpc_stream_t *)((char *)tag - offsetof(grpc_stream_t, read));
    grpc_byte_buffer *message;

    pthread_mutex_lock(&s->lock);
    s->reading = false;
    message = ok ? s->incoming : NULL;
    s->incoming = NULL;
    if (!message)
        s->read_done = true;
    pthread_mutex_unlock(&s->lock);
    if (message)
        handle_message(s, message);
    pthread_mutex_lock(&s->lock);
    if (!s->read_done && !s->broken) {
        if (s->pending < GRPC_STREAM_MAX_PENDING)
            read_locked(s);
        else
            s->read_paused = true;
    }
    if (s->broken && !s->reading)
        s->read_done = true;
    finish_if_done_locked(s);
    release_unlock(s);
}

static void stream_written(grpc_tag_t *tag, bool ok)
{
    grpc_stream_t *s = (grpc_stream_t *)((char *)tag - offsetof(grpc_stream_t, written));

    pthread_mutex_lock(&s->lock);
    s->writing = false;
    grpc_byte_buffer_destroy(s->in_write);
    s->in_write = NULL;
    if (!ok) {
        /* The call is gone: nothing more can be written or read. */
        s->broken = true;
        while (s->head) {
            stream_answer_t *a = s->head;
            s->head = a->next;
            grpc_byte_buffer_destroy(a->message);
            free(a);
        }
        s->tail = NULL;
    } else if (s->head) {
        write_next_locked(s);
    }
    if (s->broken && !s->reading)
        s->read_done = true;
    finish_if_done_locked(s);
    release_unlock(s);
}

static void stream_finished(grpc_tag_t *tag, bool ok)
{
    grpc_stream_t *s = (grpc_stream_t *)((char *)tag - offsetof(grpc_stream_t, finished));

    pthread_mutex_lock(&s->lock);
    release_unlock(s);
}

/* The call is over for the client: a cancellation stops every inference still queued. */
static void stream_closed(grpc_tag_t *tag, bool ok)
{
    grpc_stream_t *s = (grpc_stream_t *)((char *)tag - offsetof(grpc_stream_t, closed));

    pthread_mutex_lock(&s->lock);
    if (s->cancelled) {
        s->broken = true;
        for (stream_item_t *it = s->items; it; it = it->next)
            atomic_store(&it->req->cancelled, true);
        if (!s->reading)
            s->read_done = true;
        finish_if_done_locked(s);
    }
    release_unlock(s);
}

/* Ends a stream the restricted APIs refuse: PERMISSION_DENIED, nothing read. Lock held. */
static void deny_locked(grpc_stream_t *s, const char *message)
{
    grpc_op ops[2];

    memset(ops, 0, sizeof ops);
    s->read_done = true;
    s->finishing = true;
    s->status_details = grpc_slice_from_copied_string(message);
    response_count_grpc(&s->fe->state->responses, GRPC_STATUS_PERMISSION_DENIED);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[1].data.send_status_from_server.status = GRPC_STATUS_PERMISSION_DENIED;
    ops[1].data.send_status_from_server.status_details = &s->status_details;
    start_locked(s, ops, 2, &s->finished, "status");
}

static void stream_arrived(grpc_tag_t *tag, bool ok)
{
    grpc_stream_t *s = (grpc_stream_t *)((char *)tag - offsetof(grpc_stream_t, arrived));
    char message[GRPC_DENIED_MESSAGE_MAX];
    grpc_op ops[2];
    bool accepted;

    if (!ok) {
        stream_free(s);
        return;
    }
    accepted = grpc_frontend_call_arrived(s->fe, &s->entry, false);
    if (!grpc_stream_arm(s->fe))
        log_warn("grpc: cannot request the next ModelStreamInfer call");
    memset(ops, 0, sizeof ops);
    pthread_mutex_lock(&s->lock);
    /* The arrival's own reference, dropped at the end of this function. */
    s->refs = 1;
    ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[0].data.recv_close_on_server.cancelled = &s->cancelled;
    start_locked(s, ops, 1, &s->closed, "close watch");
    if (!accepted) {
        /* Refused while closing: nothing is read or sent; the cut closes it. */
        s->read_done = true;
        s->finishing = true;
        release_unlock(s);
        return;
    }
    if (!grpc_frontend_allowed(s->fe, KSERVE_GRPC_MODEL_STREAM_INFER, &s->request_md, message,
                               sizeof message)) {
        deny_locked(s, message);
        release_unlock(s);
        return;
    }
    /* Headers go out at once, so a client waiting for them before writing can proceed. */
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_RECV_MESSAGE;
    ops[1].data.recv_message.recv_message = &s->incoming;
    s->reading = true;
    start_locked(s, ops, 2, &s->read, "first read");
    if (s->broken) {
        s->reading = false;
        s->read_done = true;
    }
    finish_if_done_locked(s);
    release_unlock(s);
}

bool grpc_stream_arm(grpc_frontend_t *fe)
{
    grpc_stream_t *s = calloc(1, sizeof *s);
    grpc_call_error rc;

    if (!s)
        return false;
    s->fe = fe;
    s->arrived.complete = stream_arrived;
    s->closed.complete = stream_closed;
    s->read.complete = stream_read;
    s->written.complete = stream_written;
    s->finished.complete = stream_finished;
    s->status_details = grpc_empty_slice();
    pthread_mutex_init(&s->lock, NULL);
    grpc_metadata_array_init(&s->request_md);
    grpc_frontend_call_requested(fe);
    rc = grpc_server_request_registered_call(
        fe->server, fe->registered[KSERVE_GRPC_MODEL_STREAM_INFER], &s->entry.call, &s->deadline,
        &s->request_md, NULL, fe->cq, fe->cq, &s->arrived);
    if (rc != GRPC_CALL_OK) {
        s->entry.call = NULL;
        stream_free(s);
        return false;
    }
    return true;
}
