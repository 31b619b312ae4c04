/*
 * grpc_server.c - the gRPC server's life cycle (start, quiesce, stop), the
 * threads polling its completion queue, the method table, and the state
 * machine of unary calls: requested -> arrived (close watch started,
 * handler run) -> answer sent -> released when both the answer and the
 * close notification are back.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "grpc_internal.h"
#include "health.pb-c.h"
#include "log.h"
#include "status_map.h"

/* Calls of each method requested from the server ahead of their arrival. */
#define GRPC_ARMED_PER_METHOD 2
/*
 * ModelInfer calls requested ahead: a call that finds none waits in the
 * core's pending list until an arrival re-arms one, which cost 2-3x the
 * throughput at 16 concurrent clients with only 2 requested.
 */
#define GRPC_ARMED_INFER 32
/* Unknown-method calls requested ahead, answered UNIMPLEMENTED. */
#define GRPC_ARMED_UNKNOWN 1
/* Room for "[address]:port". */
#define GRPC_ADDRESS_MAX 96
/*
 * The hold before the shutdown (grpc_frontend_quiesce): it ends once every
 * call that arrived is answered or parked and none arrived for
 * GRPC_HOLD_QUIET_MS, or after GRPC_HOLD_MAX_MS whatever the clients do,
 * checking every GRPC_HOLD_POLL_MS.
 */
#define GRPC_HOLD_QUIET_MS 50
#define GRPC_HOLD_MAX_MS   1000
#define GRPC_HOLD_POLL_MS  5

typedef struct grpc_method {
    const char *path;
    grpc_unary_fn handle; /* NULL for the streaming method */
} grpc_method_t;

static const grpc_method_t methods[GRPC_METHOD_COUNT] = {
    [GRPC_METHOD_SERVER_LIVE] = {"/inference.GRPCInferenceService/ServerLive",
                                 grpc_handle_server_live},
    [GRPC_METHOD_SERVER_READY] = {"/inference.GRPCInferenceService/ServerReady",
                                  grpc_handle_server_ready},
    [GRPC_METHOD_MODEL_READY] = {"/inference.GRPCInferenceService/ModelReady",
                                 grpc_handle_model_ready},
    [GRPC_METHOD_SERVER_METADATA] = {"/inference.GRPCInferenceService/ServerMetadata",
                                     grpc_handle_server_metadata},
    [GRPC_METHOD_MODEL_METADATA] = {"/inference.GRPCInferenceService/ModelMetadata",
                                    grpc_handle_model_metadata},
    [GRPC_METHOD_MODEL_INFER] = {"/inference.GRPCInferenceService/ModelInfer",
                                 grpc_handle_model_infer},
    [GRPC_METHOD_STREAM_INFER] = {"/inference.GRPCInferenceService/ModelStreamInfer", NULL},
    [GRPC_METHOD_MODEL_CONFIG] = {"/inference.GRPCInferenceService/ModelConfig",
                                  grpc_handle_model_config},
    [GRPC_METHOD_MODEL_STATISTICS] = {"/inference.GRPCInferenceService/ModelStatistics",
                                      grpc_handle_model_statistics},
    [GRPC_METHOD_REPOSITORY_INDEX] = {"/inference.GRPCInferenceService/RepositoryIndex",
                                      grpc_handle_repository_index},
    [GRPC_METHOD_REPOSITORY_LOAD] = {"/inference.GRPCInferenceService/RepositoryModelLoad",
                                     grpc_handle_repository_load},
    [GRPC_METHOD_REPOSITORY_UNLOAD] = {"/inference.GRPCInferenceService/RepositoryModelUnload",
                                       grpc_handle_repository_unload},
    [GRPC_METHOD_HEALTH_CHECK] = {"/grpc.health.v1.Health/Check", grpc_handle_health_check},
};

/* A call to a method the server does not have: answered UNIMPLEMENTED. */
typedef struct grpc_unknown {
    grpc_frontend_t *fe;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array request_md;
    grpc_slice status_details;
    int cancelled;
    grpc_tag_t arrived, answered;
} grpc_unknown_t;

void grpc_frontend_call_count(grpc_frontend_t *fe, int delta)
{
    pthread_mutex_lock(&fe->lock);
    fe->live_calls += delta;
    if (fe->live_calls == 0)
        pthread_cond_broadcast(&fe->changed);
    pthread_mutex_unlock(&fe->lock);
}

int64_t grpc_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits on fe->changed (fe->lock held) for at most ms milliseconds. */
static void wait_changed_ms(grpc_frontend_t *fe, long ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (ms % 1000) * 1000000;
    until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000;
    until.tv_nsec %= 1000000000;
    pthread_cond_timedwait(&fe->changed, &fe->lock, &until);
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

ProtobufCMessage *grpc_unpack_message(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                                      arena_t *arena)
{
    grpc_byte_buffer_reader reader;
    ProtobufCAllocator allocator;
    ProtobufCMessage *msg;
    grpc_slice slice;

    if (!bb || !grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    slice = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    kserve_grpc_allocator(arena, &allocator);
    msg = protobuf_c_message_unpack(desc, &allocator, GRPC_SLICE_LENGTH(slice),
                                    GRPC_SLICE_START_PTR(slice));
    grpc_slice_unref(slice);
    return msg;
}

/* ---- unary calls ---- */

static void unary_free(grpc_unary_t *u)
{
    grpc_frontend_t *fe = u->fe;

    if (u->call)
        grpc_call_unref(u->call);
    if (u->accepted)
        atomic_fetch_sub(&fe->state->in_flight, 1);
    grpc_metadata_array_destroy(&u->request_md);
    if (u->payload)
        grpc_byte_buffer_destroy(u->payload);
    if (u->response)
        grpc_byte_buffer_destroy(u->response);
    grpc_slice_unref(u->status_details);
    request_free(u->req);
    repository_release(fe->repo, u->model);
    arena_release(&u->arena);
    free(u);
    grpc_frontend_call_count(fe, -1);
}

static void unary_release(grpc_unary_t *u)
{
    if (atomic_fetch_sub(&u->refs, 1) == 1)
        unary_free(u);
}

/* The client's side is closed: a cancellation stops the request if it is still queued. */
static void unary_closed(grpc_tag_t *tag, bool ok)
{
    grpc_unary_t *u = (grpc_unary_t *)((char *)tag - offsetof(grpc_unary_t, closed));
    request_t *req;

    if (u->cancelled) {
        atomic_store(&u->gave_up, true);
        req = atomic_load(&u->queued);
        if (req)
            atomic_store(&req->cancelled, true);
    }
    unary_release(u);
}

static void unary_sent(grpc_tag_t *tag, bool ok)
{
    grpc_unary_t *u = (grpc_unary_t *)((char *)tag - offsetof(grpc_unary_t, sent));
    unary_release(u);
}

static bool arm_unary(grpc_frontend_t *fe, grpc_method_id_t method);

static void unary_arrived(grpc_tag_t *tag, bool ok)
{
    grpc_unary_t *u = (grpc_unary_t *)((char *)tag - offsetof(grpc_unary_t, arrived));
    grpc_op op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER};
    grpc_call_error rc;

    if (!ok) {
        /* The server is shutting down: the request is returned unused. */
        unary_free(u);
        return;
    }
    u->accepted = true;
    atomic_fetch_add(&u->fe->state->in_flight, 1);
    pthread_mutex_lock(&u->fe->lock);
    u->fe->unanswered++;
    u->fe->last_arrival_ms = monotonic_ms();
    pthread_mutex_unlock(&u->fe->lock);
    if (!arm_unary(u->fe, u->method))
        log_warn("grpc: cannot request the next %s call", methods[u->method].path);
    atomic_init(&u->refs, 2);
    op.data.recv_close_on_server.cancelled = &u->cancelled;
    rc = grpc_call_start_batch(u->call, &op, 1, &u->closed, NULL);
    if (rc != GRPC_CALL_OK) {
        log_warn("grpc: %s: cannot watch for the close (%d)", methods[u->method].path, rc);
        unary_release(u);
    }
    methods[u->method].handle(u);
}

static bool arm_unary(grpc_frontend_t *fe, grpc_method_id_t method)
{
    grpc_unary_t *u = calloc(1, sizeof *u);
    grpc_call_error rc;

    if (!u)
        return false;
    u->fe = fe;
    u->method = method;
    u->arrived.complete = unary_arrived;
    u->closed.complete = unary_closed;
    u->sent.complete = unary_sent;
    u->status_details = grpc_empty_slice();
    atomic_init(&u->queued, NULL);
    atomic_init(&u->gave_up, false);
    arena_init(&u->arena);
    grpc_metadata_array_init(&u->request_md);
    grpc_frontend_call_count(fe, 1);
    rc = grpc_server_request_registered_call(fe->server, fe->registered[method], &u->call,
                                             &u->deadline, &u->request_md, &u->payload, fe->cq,
                                             fe->cq, &u->arrived);
    if (rc != GRPC_CALL_OK) {
        u->call = NULL;
        unary_free(u);
        return false;
    }
    return true;
}

/* Starts sending u's answer: its response if any, u->code and its details. */
static void unary_start_send(grpc_unary_t *u)
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
    rc = grpc_call_start_batch(u->call, ops, n, &u->sent, NULL);
    if (rc != GRPC_CALL_OK) {
        log_warn("grpc: %s: cannot send the answer (%d)", methods[u->method].path, rc);
        unary_release(u);
    }
}

/* Sends u's answer now, or parks it while the front end holds answers back. */
static void unary_send(grpc_unary_t *u, grpc_status_code code, const char *message)
{
    grpc_frontend_t *fe = u->fe;
    bool park;

    u->code = code;
    if (message) {
        grpc_slice_unref(u->status_details);
        u->status_details = grpc_slice_from_copied_string(message);
        u->has_details = true;
    }
    pthread_mutex_lock(&fe->lock);
    park = fe->holding;
    if (park) {
        u->next_parked = fe->parked;
        fe->parked = u;
        fe->n_parked++;
        pthread_cond_broadcast(&fe->changed);
    } else {
        fe->unanswered--;
    }
    pthread_mutex_unlock(&fe->lock);
    if (!park)
        unary_start_send(u);
}

void grpc_unary_reply(grpc_unary_t *u, const ProtobufCMessage *msg)
{
    u->response = grpc_pack_message(msg);
    if (!u->response) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory packing the response");
        return;
    }
    unary_send(u, GRPC_STATUS_OK, NULL);
}

void grpc_unary_fail(grpc_unary_t *u, status_t st, const char *message)
{
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

/* ---- unknown methods ---- */

static void unknown_free(grpc_unknown_t *c)
{
    grpc_frontend_t *fe = c->fe;

    if (c->call)
        grpc_call_unref(c->call);
    grpc_call_details_destroy(&c->details);
    grpc_metadata_array_destroy(&c->request_md);
    grpc_slice_unref(c->status_details);
    free(c);
    grpc_frontend_call_count(fe, -1);
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

    if (!ok) {
        unknown_free(c);
        return;
    }
    arm_unknown(c->fe);
    snprintf(message, sizeof message, "unknown method %.*s",
             (int)GRPC_SLICE_LENGTH(c->details.method),
             (const char *)GRPC_SLICE_START_PTR(c->details.method));
    c->status_details = grpc_slice_from_copied_string(message);
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[1].data.recv_close_on_server.cancelled = &c->cancelled;
    ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[2].data.send_status_from_server.status = GRPC_STATUS_UNIMPLEMENTED;
    ops[2].data.send_status_from_server.status_details = &c->status_details;
    if (grpc_call_start_batch(c->call, ops, 3, &c->answered, NULL) != GRPC_CALL_OK)
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
    grpc_frontend_call_count(fe, 1);
    if (grpc_server_request_call(fe->server, &c->call, &c->details, &c->request_md, fe->cq, fe->cq,
                                 &c->arrived) != GRPC_CALL_OK) {
        c->call = NULL;
        unknown_free(c);
        return false;
    }
    return true;
}

/* ---- server ---- */

static void *poll_main(void *arg)
{
    grpc_frontend_t *fe = arg;

    for (;;) {
        grpc_event ev =
            grpc_completion_queue_next(fe->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            ((grpc_tag_t *)ev.tag)->complete(ev.tag, ev.success != 0);
    }
    return NULL;
}

static void shutdown_complete(grpc_tag_t *tag, bool ok)
{
    grpc_frontend_t *fe =
        (grpc_frontend_t *)((char *)tag - offsetof(grpc_frontend_t, shutdown_tag));

    pthread_mutex_lock(&fe->lock);
    fe->shutdown_done = true;
    pthread_cond_broadcast(&fe->changed);
    pthread_mutex_unlock(&fe->lock);
}

/* "host:port", with IPv6 addresses in brackets. */
static void format_address(const char *host, int port, char *buf, size_t size)
{
    if (strchr(host, ':'))
        snprintf(buf, size, "[%s]:%d", host, port);
    else
        snprintf(buf, size, "%s:%d", host, port);
}

static status_t listen_on(grpc_frontend_t *fe, error_t *err)
{
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    char address[GRPC_ADDRESS_MAX];

    format_address(fe->cfg->bind_address, fe->cfg->grpc_port, address, sizeof address);
    fe->port = grpc_server_add_http2_port(fe->server, address, creds);
    grpc_server_credentials_release(creds);
    if (fe->port <= 0)
        return error_set(err, STATUS_IO, "cannot listen for gRPC on %s", address);
    return STATUS_OK;
}

/* The server with its options, queue and methods, not yet started. */
static status_t create_server(grpc_frontend_t *fe, error_t *err)
{
    size_t limit = fe->cfg->max_body_bytes;
    grpc_arg args[] = {
        {.type = GRPC_ARG_INTEGER,
         .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
         .value.integer = limit > INT_MAX ? INT_MAX : (int)limit},
        /* Responses are bounded by the model; the client's own limit applies to them. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = -1},
        /* A second server on a fixed port must fail, not share it. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};

    fe->server = grpc_server_create(&channel_args, NULL);
    if (!fe->server)
        return error_set(err, STATUS_INTERNAL, "cannot create the gRPC server");
    grpc_server_register_completion_queue(fe->server, fe->cq, NULL);
    for (int m = 0; m < GRPC_METHOD_COUNT; m++) {
        fe->registered[m] = grpc_server_register_method(
            fe->server, methods[m].path, NULL,
            methods[m].handle ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE,
            0);
        if (!fe->registered[m])
            return error_set(err, STATUS_INTERNAL, "cannot register the gRPC method %s",
                             methods[m].path);
    }
    return listen_on(fe, err);
}

static status_t arm_all(grpc_frontend_t *fe, error_t *err)
{
    bool ok = true;

    for (int m = 0; ok && m < GRPC_METHOD_COUNT; m++)
        for (int i = 0;
             ok && i < (m == GRPC_METHOD_MODEL_INFER ? GRPC_ARMED_INFER : GRPC_ARMED_PER_METHOD);
             i++)
            ok = m == GRPC_METHOD_STREAM_INFER ? grpc_stream_arm(fe)
                                               : arm_unary(fe, (grpc_method_id_t)m);
    for (int i = 0; ok && i < GRPC_ARMED_UNKNOWN; i++)
        ok = arm_unknown(fe);
    return ok ? STATUS_OK : error_set(err, STATUS_OUT_OF_MEMORY, "cannot request gRPC calls");
}

status_t grpc_frontend_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                             grpc_frontend_t **out, error_t *err)
{
    grpc_frontend_t *fe = calloc(1, sizeof *fe);
    status_t st = STATUS_OK;
    /*
     * More pollers than cores only trade wake-ups: on 2 cores, 4 pollers
     * spent 1.6x the server CPU per ModelInfer of 1 at the same throughput.
     */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cfg->http_threads;

    if (cores > 0 && threads > cores)
        threads = (int)cores;
    if (threads > GRPC_FRONTEND_MAX_THREADS)
        threads = GRPC_FRONTEND_MAX_THREADS;
    if (threads < 1)
        threads = 1;

    *out = NULL;
    if (!fe)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    grpc_init();
    fe->cfg = cfg;
    fe->repo = repo;
    fe->state = state;
    fe->shutdown_tag.complete = shutdown_complete;
    pthread_mutex_init(&fe->lock, NULL);
    pthread_cond_init(&fe->changed, NULL);
    fe->cq = grpc_completion_queue_create_for_next(NULL);
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

/* True when every unary call that arrived is parked and none arrived for GRPC_HOLD_QUIET_MS. */
static bool hold_settled_locked(const grpc_frontend_t *fe, int64_t now)
{
    return fe->unanswered == fe->n_parked && now - fe->last_arrival_ms >= GRPC_HOLD_QUIET_MS;
}

/*
 * Why the hold. Once shutdown-and-notify has begun, the gRPC core answers
 * CANCELLED to every call whose stream arrives before its GOAWAY reaches
 * that connection, and neither clients nor nginx retry CANCELLED. So
 * answers are held back first: a client waiting for one sends nothing new,
 * and once every client is waiting, the shutdown starts with no call on
 * the wire. The parked answers then go out, and the clients' next calls
 * meet the GOAWAY or a closed port, which they and nginx retry elsewhere.
 * Clients with more calls in flight than they have answers pending can
 * still meet the race; the hold ends after GRPC_HOLD_MAX_MS regardless.
 */
void grpc_frontend_quiesce(grpc_frontend_t *fe)
{
    grpc_unary_t *parked;
    int64_t start = monotonic_ms();

    pthread_mutex_lock(&fe->lock);
    if (!fe->server || fe->quiescing) {
        pthread_mutex_unlock(&fe->lock);
        return;
    }
    fe->quiescing = true;
    fe->holding = true;
    for (int64_t now = start; !hold_settled_locked(fe, now) && now - start < GRPC_HOLD_MAX_MS;
         now = monotonic_ms())
        wait_changed_ms(fe, GRPC_HOLD_POLL_MS);
    pthread_mutex_unlock(&fe->lock);
    grpc_server_shutdown_and_notify(fe->server, fe->cq, &fe->shutdown_tag);
    pthread_mutex_lock(&fe->lock);
    fe->holding = false;
    parked = fe->parked;
    fe->parked = NULL;
    fe->unanswered -= fe->n_parked;
    fe->n_parked = 0;
    pthread_mutex_unlock(&fe->lock);
    while (parked) {
        grpc_unary_t *next = parked->next_parked;
        unary_start_send(parked);
        parked = next;
    }
}

/* True once the core has finished every call and inferd has released every call state. */
static bool drained_locked(const grpc_frontend_t *fe)
{
    return fe->shutdown_done && fe->live_calls == 0;
}

bool grpc_frontend_drain(grpc_frontend_t *fe, int timeout_secs)
{
    struct timespec deadline;
    bool drained;

    if (!fe->server)
        return true;
    grpc_frontend_quiesce(fe);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_secs;
    pthread_mutex_lock(&fe->lock);
    while (!drained_locked(fe))
        if (pthread_cond_timedwait(&fe->changed, &fe->lock, &deadline) != 0)
            break;
    drained = drained_locked(fe);
    pthread_mutex_unlock(&fe->lock);
    return drained;
}

void grpc_frontend_stop(grpc_frontend_t *fe)
{
    bool drained;

    if (!fe)
        return;
    if (fe->server) {
        grpc_frontend_quiesce(fe);
        pthread_mutex_lock(&fe->lock);
        drained = drained_locked(fe);
        pthread_mutex_unlock(&fe->lock);
        /*
         * Only calls that outlived the drain are cancelled (streams a client
         * keeps open): a call the core had accepted but inferd had not yet
         * picked up would otherwise end CANCELLED, which clients do not retry.
         */
        if (!drained)
            grpc_server_cancel_all_calls(fe->server);
        pthread_mutex_lock(&fe->lock);
        while (!drained_locked(fe))
            pthread_cond_wait(&fe->changed, &fe->lock);
        pthread_mutex_unlock(&fe->lock);
        grpc_server_destroy(fe->server);
    }
    grpc_completion_queue_shutdown(fe->cq);
    for (int i = 0; i < fe->n_threads; i++)
        pthread_join(fe->threads[i], NULL);
    grpc_completion_queue_destroy(fe->cq);
    pthread_cond_destroy(&fe->changed);
    pthread_mutex_destroy(&fe->lock);
    free(fe);
    grpc_shutdown();
}
