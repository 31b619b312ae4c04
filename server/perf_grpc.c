/*
 * perf_grpc.c - KServe v2 over gRPC for `inferd perf`, on the gRPC C core
 * API: ModelMetadata for the inputs, then unary ModelInfer calls with
 * raw_input_contents. The request is serialised once into a slice every
 * call references. Each client has its own channel and, through a local
 * subchannel pool, its own connection (gRPC would otherwise share one).
 *
 * An asynchronous transport: the clients of a loop start their calls on
 * the loop's completion queue, and the loop's thread takes every ending
 * from it, polling all their connections at once. A blocking call per
 * thread (a queue plucked by each client's own thread) cost the load
 * generator about three times the server's CPU per call at 64 clients.
 *
 * The channels run the core's minimal filter stack, without channelz:
 * about a tenth less client CPU per call. That stack has no deadline
 * filter, so perf ends overdue calls itself (the load's loop cancels
 * them with DEADLINE_EXCEEDED); the deadline still travels to the server
 * as grpc-timeout.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "grpc_abseil.h"
#include "inference.pb-c.h"
#include "perf.h"
#include "perf_stats.h"
#include "status_map.h"

#define PERF_GRPC_METHOD_METADATA "/inference.GRPCInferenceService/ModelMetadata"
#define PERF_GRPC_METHOD_INFER    "/inference.GRPCInferenceService/ModelInfer"
/* Longest wait for the metadata call, connecting included (within --timeout-ms). */
#define PERF_GRPC_METADATA_TIMEOUT_MS 5000
/* Room for "HOST:PORT" with IPv6 brackets. */
#define PERF_GRPC_TARGET_MAX (PERF_HOST_MAX + PERF_PORT_MAX + 4)
/* The details of a call perf ended at its deadline, as the core's deadline filter words them. */
#define PERF_GRPC_DEADLINE_DETAILS "Deadline Exceeded"
/* Room for a status's details in a message. */
#define PERF_GRPC_DETAILS_MAX 256

typedef struct grpc_session {
    const perf_options_t *o;
    char target[PERF_GRPC_TARGET_MAX];
    grpc_slice request; /* the serialised ModelInferRequest */
    bool prepared;
} grpc_session_t;

/* A loop: the completion queue its clients' calls end on. */
typedef struct grpc_loop {
    grpc_completion_queue *cq;
} grpc_loop_t;

/* One ModelInfer call in flight: what its batch writes into. */
typedef struct grpc_inflight {
    grpc_call *call;
    void *tag; /* the loop's, given back with its end */
    grpc_byte_buffer *send;
    grpc_byte_buffer *response;
    grpc_metadata_array initial, trailing;
    grpc_status_code status;
    grpc_slice details;
} grpc_inflight_t;

typedef struct grpc_client {
    const grpc_session_t *session;
    grpc_channel *channel;
    grpc_completion_queue *cq; /* the loop's (not owned), or a plucked one of its own */
    bool own_cq;
    /* Registered once, so a call does not look its method up again. */
    void *metadata_method;
    void *infer_method;
    grpc_inflight_t inflight;
} grpc_client_t;

/* What one unary call gave back. */
typedef struct unary_result {
    bool completed; /* the call ran to a status */
    grpc_status_code status;
    char details[PERF_GRPC_DETAILS_MAX];
    grpc_byte_buffer *response; /* NULL unless asked for and sent; caller destroys */
} unary_result_t;

static const char *code_name(grpc_status_code code)
{
    const char *name = api_grpc_code_name((int)code);
    return name ? name : "UNKNOWN";
}

static void session_close(void *session)
{
    grpc_session_t *s = session;

    if (!s)
        return;
    if (s->prepared)
        grpc_slice_unref(s->request);
    free(s);
    grpc_shutdown();
}

static void *session_open(const perf_options_t *o, char *err, size_t size)
{
    grpc_session_t *s = calloc(1, sizeof *s);
    bool v6 = strchr(o->host, ':') != NULL;

    if (!s) {
        snprintf(err, size, "out of memory");
        return NULL;
    }
    /* The client pays abseil's debug lock tracking as much as the server (grpc_abseil.h). */
    grpc_abseil_no_deadlock_detection();
    grpc_init();
    s->o = o;
    snprintf(s->target, sizeof s->target, "%s%s%s:%s", v6 ? "[" : "", o->host, v6 ? "]" : "",
             o->port);
    return s;
}

/* Shuts cq down and takes what is left on it, as the core requires before destroying it. */
static void queue_destroy(grpc_completion_queue *cq, bool plucked)
{
    grpc_completion_queue_shutdown(cq);
    if (!plucked)
        while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
    grpc_completion_queue_destroy(cq);
}

/* The client's call is over (no call in flight): frees it. */
static void client_free(void *client)
{
    grpc_client_t *c = client;

    if (!c)
        return;
    assert(!c->inflight.call);
    if (c->channel)
        grpc_channel_destroy(c->channel);
    if (c->own_cq && c->cq)
        queue_destroy(c->cq, true);
    free(c);
}

/*
 * A client whose calls end on loop's queue, or on a plucked queue of its
 * own when loop is NULL (the metadata call).
 */
static void *client_create(void *session, void *loop, char *err, size_t size)
{
    grpc_session_t *s = session;
    grpc_loop_t *lp = loop;
    grpc_client_t *c = calloc(1, sizeof *c);
    grpc_arg args[] = {
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, .value.integer = -1},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_RETRIES, .value.integer = 0},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MINIMAL_STACK, .value.integer = 1},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ENABLE_CHANNELZ, .value.integer = 0},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();

    if (!c || !creds) {
        snprintf(err, size, "out of memory");
        goto fail;
    }
    c->session = s;
    c->channel = grpc_channel_create(s->target, creds, &channel_args);
    c->own_cq = !lp;
    c->cq = lp ? lp->cq : grpc_completion_queue_create_for_pluck(NULL);
    if (c->channel) {
        c->metadata_method =
            grpc_channel_register_call(c->channel, PERF_GRPC_METHOD_METADATA, NULL, NULL);
        c->infer_method =
            grpc_channel_register_call(c->channel, PERF_GRPC_METHOD_INFER, NULL, NULL);
    }
    if (!c->channel || !c->cq || !c->metadata_method || !c->infer_method) {
        snprintf(err, size, "cannot create a gRPC channel to %s", s->target);
        goto fail;
    }
    grpc_channel_credentials_release(creds);
    /* Connecting starts now, before the clock, rather than with the first call. */
    if (lp)
        grpc_channel_check_connectivity_state(c->channel, 1);
    return c;
fail:
    if (creds)
        grpc_channel_credentials_release(creds);
    client_free(c);
    return NULL;
}

/* Ends call with DEADLINE_EXCEEDED, as the deadline filter the minimal stack lacks would. */
static void end_at_deadline(grpc_call *call)
{
    grpc_call_cancel_with_status(call, GRPC_STATUS_DEADLINE_EXCEEDED, PERF_GRPC_DEADLINE_DETAILS,
                                 NULL);
}

/*
 * One unary call of a registered method with the serialised request. The
 * deadline bounds it; the response message is kept only when keep_response.
 */
static void unary(grpc_client_t *c, void *method, grpc_slice request, int timeout_ms,
                  bool keep_response, unary_result_t *r)
{
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_call *call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
                                                          c->cq, method, deadline, NULL);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&request, 1);
    grpc_metadata_array initial, trailing;
    grpc_slice details = grpc_empty_slice();
    grpc_op ops[6];
    grpc_event ev;

    memset(r, 0, sizeof *r);
    memset(ops, 0, sizeof ops);
    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &r->response;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[5].data.recv_status_on_client.status = &r->status;
    ops[5].data.recv_status_on_client.status_details = &details;
    if (!call || !send ||
        grpc_call_start_batch(call, ops, sizeof ops / sizeof ops[0], call, NULL) != GRPC_CALL_OK) {
        r->status = GRPC_STATUS_INTERNAL;
        snprintf(r->details, sizeof r->details, "cannot start the call");
        goto cleanup;
    }
    /* The minimal stack does not end the call at its deadline: perf does. */
    ev = grpc_completion_queue_pluck(c->cq, call, deadline, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
        end_at_deadline(call);
        ev = grpc_completion_queue_pluck(c->cq, call, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    }
    r->completed = ev.type == GRPC_OP_COMPLETE && ev.success;
    if (!r->completed) {
        r->status = GRPC_STATUS_INTERNAL;
        snprintf(r->details, sizeof r->details, "the call batch failed");
    } else
        snprintf(r->details, sizeof r->details, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                 (const char *)GRPC_SLICE_START_PTR(details));
cleanup:
    if (!keep_response || r->status != GRPC_STATUS_OK) {
        if (r->response)
            grpc_byte_buffer_destroy(r->response);
        r->response = NULL;
    }
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    if (send)
        grpc_byte_buffer_destroy(send);
    if (call)
        grpc_call_unref(call);
}

static bool add_tensors(perf_model_t *m, const Inference__ModelMetadataResponse *md, char *err,
                        size_t size)
{
    for (size_t i = 0; i < md->n_inputs; i++) {
        const Inference__ModelMetadataResponse__TensorMetadata *t = md->inputs[i];
        if (t->n_shape > PERF_MAX_RANK) {
            snprintf(err, size, "metadata input '%s' has rank %zu; perf handles up to %d", t->name,
                     t->n_shape, PERF_MAX_RANK);
            return false;
        }
        if (!perf_model_add_input(m, t->name, t->datatype, t->shape, (int)t->n_shape, err, size))
            return false;
    }
    for (size_t i = 0; i < md->n_outputs; i++)
        if (!perf_model_add_output(m, md->outputs[i]->name, err, size))
            return false;
    return true;
}

static bool metadata(void *session, perf_model_t *m, char *err, size_t size)
{
    grpc_session_t *s = session;
    Inference__ModelMetadataRequest req = INFERENCE__MODEL_METADATA_REQUEST__INIT;
    Inference__ModelMetadataResponse *md = NULL;
    grpc_client_t *c = client_create(s, NULL, err, size);
    grpc_byte_buffer_reader reader;
    grpc_slice packed, response;
    unary_result_t r = {0};
    bool ok = false;

    if (!c)
        return false;
    req.name = (char *)s->o->model;
    if (s->o->model_version)
        req.version = (char *)s->o->model_version;
    packed = grpc_slice_malloc(inference__model_metadata_request__get_packed_size(&req));
    inference__model_metadata_request__pack(&req, GRPC_SLICE_START_PTR(packed));
    unary(c, c->metadata_method, packed,
          s->o->timeout_ms < PERF_GRPC_METADATA_TIMEOUT_MS ? s->o->timeout_ms
                                                           : PERF_GRPC_METADATA_TIMEOUT_MS,
          true, &r);
    grpc_slice_unref(packed);
    if (r.status != GRPC_STATUS_OK) {
        snprintf(err, size, "%s %s over gRPC: %s: %s",
                 r.status == GRPC_STATUS_UNAVAILABLE || r.status == GRPC_STATUS_DEADLINE_EXCEEDED
                     ? "cannot reach"
                     : "ModelMetadata refused by",
                 s->target, code_name(r.status), r.details);
        goto cleanup;
    }
    if (!r.response || !grpc_byte_buffer_reader_init(&reader, r.response)) {
        snprintf(err, size, "ModelMetadata from %s sent no message", s->target);
        goto cleanup;
    }
    response = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    md = inference__model_metadata_response__unpack(NULL, GRPC_SLICE_LENGTH(response),
                                                    GRPC_SLICE_START_PTR(response));
    grpc_slice_unref(response);
    if (!md) {
        snprintf(err, size, "ModelMetadata from %s is not a ModelMetadataResponse", s->target);
        goto cleanup;
    }
    ok = add_tensors(m, md, err, size);
cleanup:
    if (md)
        inference__model_metadata_response__free_unpacked(md, NULL);
    if (r.response)
        grpc_byte_buffer_destroy(r.response);
    client_free(c);
    return ok;
}

static bool prepare(void *session, const perf_model_t *m, char *err, size_t size)
{
    grpc_session_t *s = session;
    Inference__ModelInferRequest req = INFERENCE__MODEL_INFER_REQUEST__INIT;
    Inference__ModelInferRequest__InferInputTensor tensors[PERF_MAX_TENSORS];
    Inference__ModelInferRequest__InferInputTensor *inputs[PERF_MAX_TENSORS];
    ProtobufCBinaryData raw[PERF_MAX_TENSORS];
    int64_t shapes[PERF_MAX_TENSORS][PERF_MAX_RANK];
    size_t packed_size;

    req.model_name = (char *)s->o->model;
    if (s->o->model_version)
        req.model_version = (char *)s->o->model_version;
    for (int i = 0; i < m->n_inputs; i++) {
        const perf_input_t *in = &m->inputs[i];
        Inference__ModelInferRequest__InferInputTensor init =
            INFERENCE__MODEL_INFER_REQUEST__INFER_INPUT_TENSOR__INIT;
        tensors[i] = init;
        tensors[i].name = (char *)in->name;
        tensors[i].datatype = (char *)in->datatype;
        memcpy(shapes[i], in->dims, (size_t)in->rank * sizeof in->dims[0]);
        tensors[i].shape = shapes[i];
        tensors[i].n_shape = (size_t)in->rank;
        inputs[i] = &tensors[i];
        raw[i].data = in->data;
        raw[i].len = in->size;
    }
    req.inputs = inputs;
    req.n_inputs = (size_t)m->n_inputs;
    req.raw_input_contents = raw;
    req.n_raw_input_contents = (size_t)m->n_inputs;
    packed_size = inference__model_infer_request__get_packed_size(&req);
    /* gRPC's allocator aborts when memory runs out: the slice is never short. */
    s->request = grpc_slice_malloc(packed_size);
    inference__model_infer_request__pack(&req, GRPC_SLICE_START_PTR(s->request));
    s->prepared = true;
    return true;
}

/* A call's status as perf's outcome; names the kind unless OK. */
static perf_outcome_t outcome_of(grpc_status_code status, char *kind, size_t size)
{
    if (status == GRPC_STATUS_OK)
        return PERF_OK;
    snprintf(kind, size, "%s", code_name(status));
    /* No connection, or a full queue: either way a pause before the next try helps. */
    return status == GRPC_STATUS_UNAVAILABLE ? PERF_UNREACHABLE : PERF_FAILED;
}

static void *loop_create(void *session, char *err, size_t size)
{
    grpc_loop_t *lp = calloc(1, sizeof *lp);

    if (lp)
        lp->cq = grpc_completion_queue_create_for_next(NULL);
    if (!lp || !lp->cq) {
        snprintf(err, size, "cannot create a gRPC completion queue");
        free(lp);
        return NULL;
    }
    return lp;
}

/* After its clients: nothing is in flight on the queue any more. */
static void loop_free(void *loop)
{
    grpc_loop_t *lp = loop;

    if (!lp)
        return;
    queue_destroy(lp->cq, false);
    free(lp);
}

/* Releases what the call in flight held. */
static void inflight_clear(grpc_inflight_t *f)
{
    if (f->response)
        grpc_byte_buffer_destroy(f->response);
    if (f->send)
        grpc_byte_buffer_destroy(f->send);
    grpc_slice_unref(f->details);
    grpc_metadata_array_destroy(&f->initial);
    grpc_metadata_array_destroy(&f->trailing);
    if (f->call)
        grpc_call_unref(f->call);
    memset(f, 0, sizeof *f);
}

static bool call_start(void *client, void *tag, char *kind, size_t size)
{
    grpc_client_t *c = client;
    grpc_inflight_t *f = &c->inflight;
    grpc_slice request = c->session->request;
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis(c->session->o->timeout_ms, GPR_TIMESPAN));
    grpc_op ops[6];

    assert(!f->call);
    memset(ops, 0, sizeof ops);
    f->tag = tag;
    f->details = grpc_empty_slice();
    grpc_metadata_array_init(&f->initial);
    grpc_metadata_array_init(&f->trailing);
    f->call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
                                                  c->infer_method, deadline, NULL);
    f->send = grpc_raw_byte_buffer_create(&request, 1);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = f->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &f->initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &f->response;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &f->trailing;
    ops[5].data.recv_status_on_client.status = &f->status;
    ops[5].data.recv_status_on_client.status_details = &f->details;
    if (!f->call || !f->send ||
        grpc_call_start_batch(f->call, ops, sizeof ops / sizeof ops[0], c, NULL) != GRPC_CALL_OK) {
        inflight_clear(f);
        snprintf(kind, size, "cannot start the call");
        return false;
    }
    return true;
}

/* The queue's deadline for perf_now_ns's deadline_ns: gRPC's monotonic clock has its own epoch. */
static gpr_timespec queue_deadline(int64_t deadline_ns)
{
    if (deadline_ns == INT64_MAX)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_nanos(deadline_ns - perf_now_ns(), GPR_TIMESPAN));
}

static int loop_wait(void *loop, int64_t deadline_ns, perf_completion_t *out, int max)
{
    grpc_loop_t *lp = loop;
    gpr_timespec until = queue_deadline(deadline_ns);
    int n = 0;

    /* The first end is waited for; those already queued behind it are taken too. */
    while (n < max) {
        grpc_event ev = grpc_completion_queue_next(lp->cq, until, NULL);
        grpc_client_t *c;
        grpc_inflight_t *f;

        if (ev.type != GRPC_OP_COMPLETE)
            break;
        c = ev.tag;
        f = &c->inflight;
        out[n].tag = f->tag;
        out[n].kind[0] = '\0';
        /* The call's deadline ends the batch with a status; a batch that failed has none. */
        out[n].outcome = outcome_of(ev.success ? f->status : GRPC_STATUS_INTERNAL, out[n].kind,
                                    sizeof out[n].kind);
        inflight_clear(f);
        n++;
        until = gpr_inf_past(GPR_CLOCK_MONOTONIC);
    }
    return n;
}

/* The load's loop ends an overdue call here: the minimal stack keeps no deadline. */
static void call_cancel(void *client)
{
    grpc_client_t *c = client;

    end_at_deadline(c->inflight.call);
}

const perf_transport_t perf_grpc_transport = {
    .name = "grpc",
    .open = session_open,
    .metadata = metadata,
    .prepare = prepare,
    .client_create = client_create,
    .client_free = client_free,
    .loop_create = loop_create,
    .start = call_start,
    .wait = loop_wait,
    .cancel = call_cancel,
    .loop_free = loop_free,
    .close = session_close,
};
