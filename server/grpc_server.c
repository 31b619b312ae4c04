/*
 * grpc_server.c - the gRPC server's start and stop (its drain is
 * grpc_drain.c), the threads polling its completion queue, the method
 * table, and the state machine of unary calls: requested -> arrived (close
 * watch started and handler run, or only the close watch if the drain
 * refuses it) -> answer sent (or parked while the drain holds answers) ->
 * released when both the answer and the close notification are back.
 * Arrivals come through the polled completion queue; the batches of an
 * arrived unary call complete on the callback queue (grpc_internal.h), on
 * the thread that completed them.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "grpc_abseil.h"
#include "grpc_internal.h"
#include "health.pb-c.h"
#include "log.h"
#include "status_map.h"

/* Calls of each method requested from the server ahead of their arrival. */
#define GRPC_ARMED_PER_METHOD 2
/*
 * ModelInfer (and Predict) calls requested ahead: a call that finds none
 * waits in the core's pending list until an arrival re-arms one, which
 * cost 2-3x the throughput at 16 concurrent clients with only 2 requested.
 */
#define GRPC_ARMED_INFER 32
/* Unknown-method calls requested ahead, answered UNIMPLEMENTED. */
#define GRPC_ARMED_UNKNOWN 1
/* Room for "[address]:port". */
#define GRPC_ADDRESS_MAX 96

/* Each method's handler; NULL for the streaming one (grpc_stream.c). */
static const grpc_unary_fn handlers[KSERVE_GRPC_METHOD_COUNT] = {
    [KSERVE_GRPC_SERVER_LIVE] = grpc_handle_server_live,
    [KSERVE_GRPC_SERVER_READY] = grpc_handle_server_ready,
    [KSERVE_GRPC_MODEL_READY] = grpc_handle_model_ready,
    [KSERVE_GRPC_SERVER_METADATA] = grpc_handle_server_metadata,
    [KSERVE_GRPC_MODEL_METADATA] = grpc_handle_model_metadata,
    [KSERVE_GRPC_MODEL_INFER] = grpc_handle_model_infer,
    [KSERVE_GRPC_MODEL_STREAM_INFER] = NULL,
    [KSERVE_GRPC_MODEL_CONFIG] = grpc_handle_model_config,
    [KSERVE_GRPC_MODEL_STATISTICS] = grpc_handle_model_statistics,
    [KSERVE_GRPC_REPOSITORY_INDEX] = grpc_handle_repository_index,
    [KSERVE_GRPC_REPOSITORY_LOAD] = grpc_handle_repository_load,
    [KSERVE_GRPC_REPOSITORY_UNLOAD] = grpc_handle_repository_unload,
    [KSERVE_GRPC_SHM_STATUS] = grpc_handle_shm_status,
    [KSERVE_GRPC_SHM_REGISTER] = grpc_handle_shm_register,
    [KSERVE_GRPC_SHM_UNREGISTER] = grpc_handle_shm_unregister,
    [KSERVE_GRPC_CUDA_SHM_STATUS] = grpc_handle_cuda_shm,
    [KSERVE_GRPC_CUDA_SHM_REGISTER] = grpc_handle_cuda_shm,
    [KSERVE_GRPC_CUDA_SHM_UNREGISTER] = grpc_handle_cuda_shm,
    [KSERVE_GRPC_HEALTH_CHECK] = grpc_handle_health_check,
    [KSERVE_GRPC_TFS_PREDICT] = grpc_handle_tfs_predict,
    [KSERVE_GRPC_TFS_MODEL_METADATA] = grpc_handle_tfs_model_metadata,
    [KSERVE_GRPC_TFS_MODEL_STATUS] = grpc_handle_tfs_model_status,
};

/* Whether method runs a model through the batcher (its calls are infer requests). */
static bool runs_model(grpc_method_id_t method)
{
    return method == KSERVE_GRPC_MODEL_INFER || method == KSERVE_GRPC_TFS_PREDICT;
}

/* A call to a method the server does not have: answered UNIMPLEMENTED. */
typedef struct grpc_unknown {
    grpc_frontend_t *fe;
    grpc_call_entry_t entry; /* the call is entry.call */
    grpc_call_details details;
    grpc_metadata_array request_md;
    grpc_slice status_details;
    int cancelled;
    grpc_tag_t arrived, answered;
} grpc_unknown_t;

int64_t grpc_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t grpc_deadline_left_us(gpr_timespec deadline)
{
    gpr_timespec left;

    if (deadline.tv_sec == gpr_inf_future(deadline.clock_type).tv_sec)
        return 0;
    left = gpr_time_sub(gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC),
                        gpr_now(GPR_CLOCK_MONOTONIC));
    /* Deadlines centuries away are as good as none. */
    if (left.tv_sec > INT64_MAX / 1000000 - 1)
        return 0;
    if (left.tv_sec < 0 || (left.tv_sec == 0 && left.tv_nsec < 1000))
        return -1;
    return left.tv_sec * 1000000 + left.tv_nsec / 1000;
}

status_t grpc_parse_version(const char *text, int64_t *out, error_t *err)
{
    char *end;
    long long v;

    *out = -1;
    if (!text[0])
        return STATUS_OK;
    errno = 0;
    v = strtoll(text, &end, 10);
    /* Digits only, and no more than fit: strtoll would read "99999999999999999999" as INT64_MAX. */
    if (*end || v < 0 || text[0] < '0' || text[0] > '9' || errno == ERANGE)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model version '%s' must be a non-negative integer", text);
    *out = v;
    return STATUS_OK;
}

grpc_byte_buffer *grpc_pack_message(const ProtobufCMessage *msg)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(size);
    grpc_byte_buffer *bb;

    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

bool grpc_message_fits(const grpc_frontend_t *fe, grpc_byte_buffer *bb, char *message, size_t size)
{
    size_t bytes = bb ? grpc_byte_buffer_length(bb) : 0;

    if (bytes <= fe->cfg->max_body_bytes)
        return true;
    snprintf(message, size, "the request message is %zu bytes, more than --max-body-bytes (%zu)",
             bytes, fe->cfg->max_body_bytes);
    return false;
}

bool grpc_message_hold(grpc_frontend_t *fe, grpc_byte_buffer *bb, size_t *held, char *message,
                       size_t size)
{
    size_t bytes = bb ? grpc_byte_buffer_length(bb) : 0;

    *held = 0;
    if (body_budget_take(&fe->state->bodies, bytes)) {
        *held = bytes;
        return true;
    }
    body_budget_refusal(&fe->state->bodies, message, size);
    return false;
}

ProtobufCMessage *grpc_unpack_message(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                                      arena_t *arena)
{
    grpc_byte_buffer_reader reader;
    ProtobufCAllocator allocator;
    ProtobufCMessage *msg;
    grpc_slice slice, more;

    if (!bb || !grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    /*
     * A message mostly arrives in one slice: it is read in place, where
     * readall would allocate and copy. Several slices are joined.
     */
    if (!grpc_byte_buffer_reader_next(&reader, &slice)) {
        slice = grpc_empty_slice();
    } else if (grpc_byte_buffer_reader_next(&reader, &more)) {
        grpc_slice_unref(more);
        grpc_slice_unref(slice);
        grpc_byte_buffer_reader_destroy(&reader);
        if (!grpc_byte_buffer_reader_init(&reader, bb))
            return NULL;
        slice = grpc_byte_buffer_reader_readall(&reader);
    }
    grpc_byte_buffer_reader_destroy(&reader);
    kserve_grpc_allocator(arena, &allocator);
    msg = protobuf_c_message_unpack(desc, &allocator, GRPC_SLICE_LENGTH(slice),
                                    GRPC_SLICE_START_PTR(slice));
    grpc_slice_unref(slice);
    return msg;
}

/* ---- unary calls ---- */

/*
 * A zeroed call state: a spare one if any, zeroed here but for its request,
 * which is reset (arm_unary runs after the handler of the call that
 * arrived, so this is off a request's way to the batcher); NULL when out of
 * memory.
 */
static grpc_unary_t *unary_take(grpc_frontend_t *fe)
{
    grpc_unary_t *u = NULL;
    request_t *req;

    pthread_mutex_lock(&fe->spare_lock);
    if (fe->n_spare > 0)
        u = fe->spare[--fe->n_spare];
    pthread_mutex_unlock(&fe->spare_lock);
    if (!u)
        return calloc(1, sizeof *u);
    req = u->req;
    if (req)
        request_reset(req, u->req_inputs);
    memset(u, 0, sizeof *u);
    u->req = req;
    return u;
}

/*
 * Keeps u, whose resources are released, for a later call. Its request's
 * arena gives back all but its first chunk now (a large request's tensors
 * must not wait for the state's next use); the zeroing is unary_take's,
 * not done here, on the worker that sent the answer, where it would delay
 * the client's next request when both share a core. Frees u and its
 * request when enough are kept.
 */
static void unary_spare(grpc_frontend_t *fe, grpc_unary_t *u)
{
    request_t *req = u->req;
    bool kept = false;

    if (req)
        arena_reset(&req->arena);
    pthread_mutex_lock(&fe->spare_lock);
    if (fe->n_spare < GRPC_SPARE_CALLS) {
        fe->spare[fe->n_spare++] = u;
        kept = true;
    }
    pthread_mutex_unlock(&fe->spare_lock);
    if (!kept) {
        request_free(req);
        free(u);
    }
}

void grpc_frontend_unref_dead(grpc_frontend_t *fe, bool stop)
{
    grpc_call *dead[GRPC_DEAD_CALLS_MAX];
    int n;

    pthread_mutex_lock(&fe->spare_lock);
    if (stop)
        fe->defer_unref = false;
    n = fe->n_dead;
    memcpy(dead, fe->dead, (size_t)n * sizeof dead[0]);
    fe->n_dead = 0;
    pthread_mutex_unlock(&fe->spare_lock);
    for (int i = 0; i < n; i++)
        grpc_call_unref(dead[i]);
}

/* Unreferences call, or leaves it on fe->dead for a polling thread. */
static void unref_later(grpc_frontend_t *fe, grpc_call *call)
{
    bool left = false;

    pthread_mutex_lock(&fe->spare_lock);
    if (fe->defer_unref && fe->n_dead < GRPC_DEAD_CALLS_MAX) {
        fe->dead[fe->n_dead++] = call;
        left = true;
    }
    pthread_mutex_unlock(&fe->spare_lock);
    if (!left)
        grpc_call_unref(call);
}

static void unary_free(grpc_unary_t *u)
{
    grpc_frontend_t *fe = u->fe;
    grpc_call *call = u->entry.call;

    /* The books only: the call itself goes to unref_later. */
    u->entry.call = NULL;
    grpc_frontend_call_release(fe, &u->entry);
    if (call)
        unref_later(fe, call);
    if (u->accepted)
        atomic_fetch_sub(&fe->state->in_flight, 1);
    body_budget_give(&fe->state->bodies, u->held);
    grpc_metadata_array_destroy(&u->request_md);
    if (u->payload)
        grpc_byte_buffer_destroy(u->payload);
    if (u->response)
        grpc_byte_buffer_destroy(u->response);
    grpc_slice_unref(u->status_details);
    shm_request_release(&u->shm);
    /* The plan's requests point at the model's config: they go first. */
    if (u->plan) {
        batch_plan_free(u->plan);
        free(u->plan);
    }
    /* Parsing writes only the model's inputs, and only once it has the model. */
    u->req_inputs = u->model ? u->model->config.n_inputs : 0;
    repository_release(fe->repo, u->model);
    arena_release(&u->arena);
    unary_spare(fe, u);
    grpc_frontend_call_gone(fe);
}

static void unary_release(grpc_unary_t *u)
{
    if (atomic_fetch_sub(&u->refs, 1) == 1)
        unary_free(u);
}

/* The client's side is closed: a cancellation stops the request if it is still queued. */
static void unary_closed(grpc_callback_t *tag, int ok)
{
    grpc_unary_t *u = (grpc_unary_t *)((char *)tag - offsetof(grpc_unary_t, closed));

    if (u->cancelled) {
        atomic_store(&u->gave_up, true);
        grpc_unary_cancel_queued(u);
    }
    unary_release(u);
}

void grpc_unary_cancel_queued(grpc_unary_t *u)
{
    request_t *req = atomic_load(&u->queued);
    batch_plan_t *plan = atomic_load(&u->queued_plan);

    if (req)
        atomic_store(&req->cancelled, true);
    if (plan)
        batch_plan_cancel(plan);
}

void grpc_unary_cancel_if_gone(grpc_unary_t *u)
{
    if (atomic_load(&u->gave_up))
        grpc_unary_cancel_queued(u);
}

status_t grpc_unary_deadline(const grpc_unary_t *u, request_t *req, error_t *err)
{
    /* The client's deadline is the request's timeout, unless it asked for less. */
    int64_t left = grpc_deadline_left_us(u->deadline);

    if (left < 0)
        return error_set(err, STATUS_DEADLINE_EXCEEDED,
                         "the call's deadline passed before the request was queued");
    if (left > 0 && (req->timeout_us == 0 || left < req->timeout_us))
        req->timeout_us = left;
    return STATUS_OK;
}

static void unary_sent(grpc_callback_t *tag, int ok)
{
    grpc_unary_t *u = (grpc_unary_t *)((char *)tag - offsetof(grpc_unary_t, sent));
    unary_release(u);
}

static bool arm_unary(grpc_frontend_t *fe, grpc_method_id_t method);

static void unary_arrived(grpc_tag_t *tag, bool ok)
{
    grpc_unary_t *u = (grpc_unary_t *)((char *)tag - offsetof(grpc_unary_t, arrived));
    grpc_frontend_t *fe = u->fe;
    grpc_method_id_t method = u->method;
    grpc_op op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER};
    char message[GRPC_DENIED_MESSAGE_MAX];
    bool accepted;
    grpc_call_error rc;

    if (!ok) {
        /* The server is shutting down: the request is returned unused. */
        unary_free(u);
        return;
    }
    accepted = grpc_frontend_call_arrived(fe, &u->entry, true);
    if (accepted) {
        u->accepted = true;
        u->arrived_us = request_now_us();
        atomic_fetch_add(&fe->state->in_flight, 1);
    }
    /* A refused call holds only the close watch's reference: the cut ends it. */
    atomic_init(&u->refs, accepted ? 2 : 1);
    /*
     * The handler runs before the close watch starts and the arrival is
     * replaced, which would otherwise delay a ModelInfer's queueing (and so
     * its answer, at one client) by their time. Until the close watch
     * starts, its reference keeps u whatever the handler's answer did.
     */
    if (accepted) {
        if (!grpc_frontend_allowed(fe, method, &u->request_md, message, sizeof message))
            grpc_unary_fail(u, STATUS_PERMISSION_DENIED, message);
        else if (!grpc_message_fits(fe, u->payload, message, sizeof message))
            grpc_unary_fail(u, STATUS_TOO_LARGE, message);
        else if (!grpc_message_hold(fe, u->payload, &u->held, message, sizeof message))
            grpc_unary_fail(u, STATUS_UNAVAILABLE, message);
        else
            handlers[method](u);
    }
    op.data.recv_close_on_server.cancelled = &u->cancelled;
    rc = grpc_call_start_batch(u->entry.call, &op, 1, &u->closed, NULL);
    if (rc != GRPC_CALL_OK) {
        log_warn("grpc: %s: cannot watch for the close (%d)", kserve_grpc_methods[method].path, rc);
        unary_release(u);
    }
    /* Every arrival is replaced, so that no call waits in the core's pending list. */
    if (!arm_unary(fe, method))
        log_warn("grpc: cannot request the next %s call", kserve_grpc_methods[method].path);
}

static bool arm_unary(grpc_frontend_t *fe, grpc_method_id_t method)
{
    grpc_unary_t *u = unary_take(fe);
    grpc_call_error rc;

    if (!u)
        return false;
    u->fe = fe;
    u->method = method;
    u->arrived.complete = unary_arrived;
    /*
     * Both only mark a queued request cancelled and count references down,
     * freeing the state at the last: safe to run inline, on any thread.
     */
    u->closed.functor_run = unary_closed;
    u->closed.inlineable = 1;
    u->sent.functor_run = unary_sent;
    u->sent.inlineable = 1;
    u->status_details = grpc_empty_slice();
    atomic_init(&u->queued, NULL);
    atomic_init(&u->queued_plan, NULL);
    atomic_init(&u->gave_up, false);
    arena_init(&u->arena);
    grpc_metadata_array_init(&u->request_md);
    grpc_frontend_call_requested(fe);
    rc = grpc_server_request_registered_call(fe->server, fe->registered[method], &u->entry.call,
                                             &u->deadline, &u->request_md, &u->payload, fe->call_cq,
                                             fe->cq, &u->arrived);
    if (rc != GRPC_CALL_OK) {
        u->entry.call = NULL;
        unary_free(u);
        return false;
    }
    return true;
}

void grpc_unary_start_send(grpc_unary_t *u)
{
    grpc_op ops[3];
    size_t n = 0;
    grpc_call_error rc;

    memset(ops, 0, sizeof ops);
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (u->response) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = u->response;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = u->code;
    ops[n++].data.send_status_from_server.status_details =
        u->has_details ? &u->status_details : NULL;
    rc = grpc_call_start_batch(u->entry.call, ops, n, &u->sent, NULL);
    if (rc != GRPC_CALL_OK) {
        log_warn("grpc: %s: cannot send the answer (%d)", kserve_grpc_methods[u->method].path, rc);
        unary_release(u);
    }
}

/* Answers u with code, and message as its details unless NULL: now, or once the drain's hold ends.
 */
static void unary_send(grpc_unary_t *u, grpc_status_code code, const char *message)
{
    response_count_grpc(&u->fe->state->responses, (int)code);
    u->code = code;
    if (message) {
        grpc_slice_unref(u->status_details);
        u->status_details = grpc_slice_from_copied_string(message);
        u->has_details = true;
    }
    if (!grpc_drain_park(u))
        grpc_unary_start_send(u);
}

/* A ModelInfer or Predict call on a model is answered with st: counts its server time. */
static void infer_answered(grpc_unary_t *u, status_t st)
{
    if (u->model && runs_model(u->method))
        response_durations_add(&u->model->durations, st, request_now_us() - u->arrived_us);
}

void grpc_unary_reply(grpc_unary_t *u, const ProtobufCMessage *msg)
{
    u->response = grpc_pack_message(msg);
    if (!u->response) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory packing the response");
        return;
    }
    infer_answered(u, STATUS_OK);
    unary_send(u, GRPC_STATUS_OK, NULL);
}

void grpc_unary_fail(grpc_unary_t *u, status_t st, const char *message)
{
    infer_answered(u, st);
    unary_send(u, (grpc_status_code)api_grpc_status(st), message);
}

ProtobufCMessage *grpc_unary_message(grpc_unary_t *u, const ProtobufCMessageDescriptor *desc,
                                     arena_t *arena)
{
    ProtobufCMessage *msg = grpc_unpack_message(u->payload, desc, arena);
    char message[256];

    if (!msg) {
        snprintf(message, sizeof message, "the request is not a valid %s message", desc->name);
        grpc_unary_fail(u, STATUS_INVALID_ARGUMENT, message);
    }
    return msg;
}

bool grpc_frontend_allowed(const grpc_frontend_t *fe, grpc_method_id_t method,
                           const grpc_metadata_array *md, char *message, size_t size)
{
    const restricted_api_t *rules = &fe->cfg->grpc_restricted_protocol;
    restricted_api_category_t category = kserve_grpc_methods[method].category;
    const char *key = restricted_api_header(rules, category);
    size_t key_len;

    if (!key)
        return true;
    key_len = strlen(key);
    /* The first entry with the key counts; the core delivers keys in lower case. */
    for (size_t i = 0; i < md->count; i++) {
        const grpc_metadata *m = &md->metadata[i];
        if (GRPC_SLICE_LENGTH(m->key) != key_len ||
            memcmp(GRPC_SLICE_START_PTR(m->key), key, key_len) != 0)
            continue;
        if (restricted_api_allows(rules, category, (const char *)GRPC_SLICE_START_PTR(m->value),
                                  GRPC_SLICE_LENGTH(m->value)))
            return true;
        break;
    }
    snprintf(message, size, "the %s API is restricted: it needs metadata '%s'",
             restricted_api_category_name(category), key);
    return false;
}

/* ---- unknown methods ---- */

static void unknown_free(grpc_unknown_t *c)
{
    grpc_frontend_t *fe = c->fe;

    grpc_frontend_call_release(fe, &c->entry);
    grpc_call_details_destroy(&c->details);
    grpc_metadata_array_destroy(&c->request_md);
    grpc_slice_unref(c->status_details);
    free(c);
    grpc_frontend_call_gone(fe);
}

static void unknown_answered(grpc_tag_t *tag, bool ok)
{
    unknown_free((grpc_unknown_t *)((char *)tag - offsetof(grpc_unknown_t, answered)));
}

static bool arm_unknown(grpc_frontend_t *fe);

static void unknown_arrived(grpc_tag_t *tag, bool ok)
{
    grpc_unknown_t *c = (grpc_unknown_t *)((char *)tag - offsetof(grpc_unknown_t, arrived));
    char message[512];
    grpc_op ops[3];
    bool accepted;

    if (!ok) {
        unknown_free(c);
        return;
    }
    accepted = grpc_frontend_call_arrived(c->fe, &c->entry, true);
    arm_unknown(c->fe);
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[0].data.recv_close_on_server.cancelled = &c->cancelled;
    if (!accepted) {
        /* Refused: only the close, which the cut brings, releases it. */
        if (grpc_call_start_batch(c->entry.call, ops, 1, &c->answered, NULL) != GRPC_CALL_OK)
            unknown_free(c);
        return;
    }
    snprintf(message, sizeof message, "unknown method %.*s",
             (int)GRPC_SLICE_LENGTH(c->details.method),
             (const char *)GRPC_SLICE_START_PTR(c->details.method));
    c->status_details = grpc_slice_from_copied_string(message);
    response_count_grpc(&c->fe->state->responses, GRPC_STATUS_UNIMPLEMENTED);
    ops[1].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[2].data.send_status_from_server.status = GRPC_STATUS_UNIMPLEMENTED;
    ops[2].data.send_status_from_server.status_details = &c->status_details;
    if (grpc_call_start_batch(c->entry.call, ops, 3, &c->answered, NULL) != GRPC_CALL_OK)
        unknown_free(c);
}

static bool arm_unknown(grpc_frontend_t *fe)
{
    grpc_unknown_t *c = calloc(1, sizeof *c);

    if (!c)
        return false;
    c->fe = fe;
    c->arrived.complete = unknown_arrived;
    c->answered.complete = unknown_answered;
    c->status_details = grpc_empty_slice();
    grpc_call_details_init(&c->details);
    grpc_metadata_array_init(&c->request_md);
    grpc_frontend_call_requested(fe);
    if (grpc_server_request_call(fe->server, &c->entry.call, &c->details, &c->request_md, fe->cq,
                                 fe->cq, &c->arrived) != GRPC_CALL_OK) {
        c->entry.call = NULL;
        unknown_free(c);
        return false;
    }
    return true;
}

/* ---- server ---- */

static void *poll_main(void *arg)
{
    grpc_frontend_t *fe = arg;

    prctl(PR_SET_NAME, "grpc-poll");
    for (;;) {
        gpr_timespec until =
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                         gpr_time_from_millis(GRPC_DEAD_CALL_MAX_MS, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(fe->cq, until, NULL);

        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            ((grpc_tag_t *)ev.tag)->complete(ev.tag, ev.success != 0);
        /* After the event: an arrival's request is queued by now. */
        grpc_frontend_unref_dead(fe, false);
        grpc_log_flush();
    }
    return NULL;
}

/* Sets one of fe's shutdown flags and tells whoever waits on fe->changed. */
static void mark_done(grpc_frontend_t *fe, bool *flag)
{
    pthread_mutex_lock(&fe->lock);
    *flag = true;
    pthread_cond_broadcast(&fe->changed);
    pthread_mutex_unlock(&fe->lock);
}

static void call_cq_shut_down(grpc_callback_t *functor, int ok)
{
    grpc_frontend_t *fe =
        (grpc_frontend_t *)((char *)functor - offsetof(grpc_frontend_t, call_cq_shutdown));

    mark_done(fe, &fe->call_cq_done);
}

static void shutdown_complete(grpc_tag_t *tag, bool ok)
{
    grpc_frontend_t *fe =
        (grpc_frontend_t *)((char *)tag - offsetof(grpc_frontend_t, shutdown_tag));

    mark_done(fe, &fe->shutdown_done);
}

/* "host:port", with IPv6 addresses in brackets. */
static void format_address(const char *host, int port, char *buf, size_t size)
{
    if (strchr(host, ':'))
        snprintf(buf, size, "[%s]:%d", host, port);
    else
        snprintf(buf, size, "%s:%d", host, port);
}

/*
 * The core's certificate-config fetcher, called at every handshake (and
 * once when the port is added): a new config once the store's generation
 * has moved on, else UNCHANGED. The core takes the config it is given.
 */
static grpc_ssl_certificate_config_reload_status
fetch_certificates(void *user_data, grpc_ssl_server_certificate_config **config)
{
    grpc_frontend_t *fe = user_data;
    grpc_ssl_pem_key_cert_pair pair;
    tls_pem_t pem;
    error_t err = {0};

    if (tls_store_generation(fe->tls) == atomic_load(&fe->tls_served))
        return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
    if (tls_store_pem(fe->tls, &pem, &err)) {
        log_warn("grpc: cannot take the new TLS certificate: %s", err.message);
        return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
    }
    pair.private_key = pem.private_key;
    pair.cert_chain = pem.cert_chain;
    /*
     * The core asserts that a fetched config has root certificates even when
     * it asks for no client certificate. Without client authentication it
     * never uses them: the server's own chain stands in.
     */
    *config = grpc_ssl_server_certificate_config_create(
        pem.client_ca ? pem.client_ca : pem.cert_chain, &pair, 1);
    if (*config)
        atomic_store(&fe->tls_served, pem.generation);
    tls_pem_free(&pem);
    return *config ? GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW
                   : GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
}

/* TLS credentials whose certificates come from fe->tls, with its client authentication. */
static grpc_server_credentials *tls_credentials(grpc_frontend_t *fe)
{
    grpc_ssl_client_certificate_request_type request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    grpc_ssl_server_credentials_options *options;

    switch (tls_store_client_auth(fe->tls)) {
    case TLS_CLIENT_AUTH_NONE:
        break;
    case TLS_CLIENT_AUTH_REQUEST:
        request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
        break;
    case TLS_CLIENT_AUTH_REQUIRE:
        request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
        break;
    }
    options = grpc_ssl_server_credentials_create_options_using_config_fetcher(
        request, fetch_certificates, fe);
    return options ? grpc_ssl_server_credentials_create_with_options(options) : NULL;
}

static status_t listen_on(grpc_frontend_t *fe, error_t *err)
{
    grpc_server_credentials *creds =
        fe->tls ? tls_credentials(fe) : grpc_insecure_server_credentials_create();
    char address[GRPC_ADDRESS_MAX];

    format_address(fe->cfg->bind_address, fe->cfg->grpc_port, address, sizeof address);
    if (!creds)
        return error_set(err, STATUS_INTERNAL, "cannot create the gRPC TLS credentials");
    fe->port = grpc_server_add_http2_port(fe->server, address, creds);
    grpc_server_credentials_release(creds);
    if (fe->port <= 0)
        return error_set(err, STATUS_IO, "cannot listen for gRPC%s on %s",
                         fe->tls ? " over TLS" : "", address);
    return STATUS_OK;
}

/* The server with its options, queue and methods, not yet started. */
static status_t create_server(grpc_frontend_t *fe, error_t *err)
{
    size_t limit = fe->cfg->max_body_bytes;
    grpc_arg args[] = {
        /*
         * The core's optional filters are left out, but for compression:
         * the deadline filter (inferd applies the client's deadline to the
         * queued request, grpc_unary_deadline, and clients end their calls
         * at theirs) and the message size filter (inferd checks the size,
         * grpc_message_fits). Measured under callgrind at 16 h2load clients:
         * 2.4 % fewer instructions per ModelInfer in the server.
         */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MINIMAL_STACK, .value.integer = 1},
        {.type = GRPC_ARG_INTEGER,
         .key = GRPC_ARG_ENABLE_PER_MESSAGE_COMPRESSION,
         .value.integer = 1},
        {.type = GRPC_ARG_INTEGER,
         .key = GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION,
         .value.integer = 1},
        /* The decompression filter's limit on a decompressed message. */
        {.type = GRPC_ARG_INTEGER,
         .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = limit > INT_MAX ? INT_MAX : (int)limit},
        /* Responses are bounded by the model; the client's own limit applies to them. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = -1},
        /* A second server on a fixed port must fail, not share it. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
        /* The drain reads the connections' stream counts from channelz (grpc_connections.c). */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_CHANNELZ, .value.integer = 1},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};

    fe->server = grpc_server_create(&channel_args, NULL);
    if (!fe->server)
        return error_set(err, STATUS_INTERNAL, "cannot create the gRPC server");
    grpc_server_register_completion_queue(fe->server, fe->cq, NULL);
    for (int m = 0; m < KSERVE_GRPC_METHOD_COUNT; m++) {
        assert(kserve_grpc_methods[m].streaming == (handlers[m] == NULL));
        fe->registered[m] = grpc_server_register_method(
            fe->server, kserve_grpc_methods[m].path, NULL,
            kserve_grpc_methods[m].streaming ? GRPC_SRM_PAYLOAD_NONE
                                             : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
            0);
        if (!fe->registered[m])
            return error_set(err, STATUS_INTERNAL, "cannot register the gRPC method %s",
                             kserve_grpc_methods[m].path);
    }
    return listen_on(fe, err);
}

static status_t arm_all(grpc_frontend_t *fe, error_t *err)
{
    bool ok = true;

    for (int m = 0; ok && m < KSERVE_GRPC_METHOD_COUNT; m++)
        for (int i = 0;
             ok && i < (runs_model((grpc_method_id_t)m) ? GRPC_ARMED_INFER : GRPC_ARMED_PER_METHOD);
             i++)
            ok = kserve_grpc_methods[m].streaming ? grpc_stream_arm(fe)
                                                  : arm_unary(fe, (grpc_method_id_t)m);
    for (int i = 0; ok && i < GRPC_ARMED_UNKNOWN; i++)
        ok = arm_unknown(fe);
    return ok ? STATUS_OK : error_set(err, STATUS_OUT_OF_MEMORY, "cannot request gRPC calls");
}

status_t grpc_frontend_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                             tls_store_t *tls, grpc_frontend_t **out, error_t *err)
{
    grpc_frontend_t *fe = calloc(1, sizeof *fe);
    status_t st = STATUS_OK;
    /*
     * Pollers beyond half the cores only trade wake-ups with each other and
     * with the batcher's workers, which send the answers: on 2 cores, 4
     * pollers spent 1.6x the server CPU per ModelInfer of 1, and 2 pollers
     * 1.3x (56 against 43 us at 64 h2load clients), at the same throughput.
     */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cfg->http_threads;

    if (cores > 0 && threads > cores / 2)
        threads = (int)(cores / 2);
    if (threads > GRPC_FRONTEND_MAX_THREADS)
        threads = GRPC_FRONTEND_MAX_THREADS;
    if (threads < 1)
        threads = 1;

    *out = NULL;
    if (!fe)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    grpc_log_route_core();
    grpc_abseil_no_deadlock_detection();
    grpc_init();
    fe->cfg = cfg;
    fe->repo = repo;
    fe->state = state;
    fe->tls = tls;
    atomic_init(&fe->tls_served, 0);
    fe->shutdown_tag.complete = shutdown_complete;
    pthread_mutex_init(&fe->lock, NULL);
    pthread_cond_init(&fe->changed, NULL);
    pthread_mutex_init(&fe->spare_lock, NULL);
    fe->defer_unref = true;
    fe->cq = grpc_completion_queue_create_for_next(NULL);
    fe->call_cq_shutdown.functor_run = call_cq_shut_down;
    fe->call_cq = grpc_completion_queue_create_for_callback(&fe->call_cq_shutdown, NULL);
    /* Polling starts first, so every later failure can shut down through the threads. */
    for (; fe->n_threads < threads; fe->n_threads++)
        if (pthread_create(&fe->threads[fe->n_threads], NULL, poll_main, fe) != 0) {
            st = error_set(err, STATUS_INTERNAL, "cannot start gRPC threads");
            goto cleanup;
        }
    st = create_server(fe, err);
    if (st)
        goto cleanup;
    grpc_server_start(fe->server);
    fe->channelz_id = grpc_conn_server_id(fe->port, fe->cfg->grpc_port);
    if (fe->channelz_id == 0)
        log_warn("grpc: channelz does not list the server: a drain cannot see its connections");
    st = arm_all(fe, err);

cleanup:
    if (st) {
        grpc_frontend_stop(fe);
        return st;
    }
    *out = fe;
    return STATUS_OK;
}

int grpc_frontend_port(const grpc_frontend_t *fe)
{
    return fe->port;
}

void grpc_frontend_stop(grpc_frontend_t *fe)
{
    if (!fe)
        return;
    if (fe->server) {
        /* Without a drain, or after one that timed out, what is still open ends here. */
        grpc_drain_end(fe);
        grpc_server_destroy(fe->server);
    }
    for (int i = 0; i < fe->n_closing_peers; i++)
        gpr_free(fe->closing_peers[i]);
    free(fe->closing_peers);
    grpc_completion_queue_shutdown(fe->cq);
    for (int i = 0; i < fe->n_threads; i++)
        pthread_join(fe->threads[i], NULL);
    /* grpc_drain_end stopped leaving calls on fe->dead, and unreferenced those left. */
    assert(fe->n_dead == 0);
    grpc_completion_queue_destroy(fe->cq);
    /* Every call state is freed: nothing is pending, and the shutdown callback comes soon. */
    grpc_completion_queue_shutdown(fe->call_cq);
    pthread_mutex_lock(&fe->lock);
    while (!fe->call_cq_done)
        pthread_cond_wait(&fe->changed, &fe->lock);
    pthread_mutex_unlock(&fe->lock);
    grpc_completion_queue_destroy(fe->call_cq);
    for (int i = 0; i < fe->n_spare; i++) {
        request_free(fe->spare[i]->req);
        free(fe->spare[i]);
    }
    pthread_mutex_destroy(&fe->spare_lock);
    pthread_cond_destroy(&fe->changed);
    pthread_mutex_destroy(&fe->lock);
    free(fe);
    grpc_shutdown();
}
