/*
 * grpc_internal.h - what the gRPC front end's files share: the server
 * state, completion tags, the unary call state machine and the helpers
 * that move protobuf-c messages in and out of gRPC byte buffers.
 *
 * grpc_server.c     lifecycle, polling threads, method table, unary calls
 * grpc_handlers.c   the unary RPCs that answer at once
 * grpc_shm.c        the shared memory RPCs
 * grpc_infer.c      ModelInfer through the batcher
 * grpc_stream.c     ModelStreamInfer
 * grpc_tfserving.c  TF Serving's Predict (through the batcher), GetModelMetadata
 *                   and GetModelStatus
 * grpc_abseil.cc    abseil's Mutex deadlock detection, off (grpc_abseil.h)
 */
#ifndef INFERD_GRPC_INTERNAL_H
#define INFERD_GRPC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <grpc/grpc.h>

#include "batch_plan.h"
#include "grpc_server.h"
#include "kserve_grpc.h"
#include "kserve_routes.h"
#include "shm_request.h"

/*
 * What every completion queue event carries: the polling thread calls
 * complete(tag, ok). Each call state embeds one tag per kind of batch it
 * can have outstanding.
 */
typedef struct grpc_tag {
    void (*complete)(struct grpc_tag *tag, bool ok);
} grpc_tag_t;

/*
 * A unary call's batches complete on fe->call_cq, a callback queue: the
 * core runs the functor on the thread that completed the batch, at the end
 * of the API call that completed it, with no lock of the core held (or on
 * the core's executor when that thread cannot run it). The answer's send
 * is started by a batcher worker and usually completes there, so its
 * completion and the call's release no longer wake the polling thread.
 */
typedef grpc_completion_queue_functor grpc_callback_t;

/* Freed unary call states kept for the next calls (4 KB each, and a ModelInfer's 11 KB request). */
#define GRPC_SPARE_CALLS 64
/* Calls of freed unary states whose unreference may wait for a polling thread. */
#define GRPC_DEAD_CALLS_MAX 64
/* The longest a polling thread waits for an event before it unreferences those calls. */
#define GRPC_DEAD_CALL_MAX_MS 100

/*
 * A call state's place in the front end's books: from its arrival to its
 * release it is on fe->held (the drain compares those calls with the
 * core's connections), and an accepted call that owes an answer counts in
 * fe->owed (the cut waits for it).
 */
typedef struct grpc_call_entry {
    grpc_call *call; /* the call, once arrived */
    bool owed;
    struct grpc_call_entry *prev, *next;
} grpc_call_entry_t;

/*
 * The registered methods are api/kserve_routes.c's table (paths and
 * restricted-API categories); KSERVE_GRPC_MODEL_STREAM_INFER is the only
 * streaming one.
 */
typedef kserve_grpc_method_id_t grpc_method_id_t;

struct grpc_frontend {
    const server_config_t *cfg;
    repository_t *repo;
    server_state_t *state;
    tls_store_t *tls;                /* NULL: plain text */
    atomic_uint_fast64_t tls_served; /* the generation the core last took */
    grpc_server *server;
    grpc_completion_queue *cq;      /* arrivals, and every batch of the other calls: polled */
    grpc_completion_queue *call_cq; /* the batches of unary calls: callbacks */
    grpc_callback_t call_cq_shutdown;
    bool call_cq_done; /* call_cq's shutdown callback ran (under lock) */
    void *registered[KSERVE_GRPC_METHOD_COUNT];
    pthread_t threads[GRPC_FRONTEND_MAX_THREADS];
    int n_threads;
    int port;
    grpc_tag_t shutdown_tag;

    intptr_t channelz_id;  /* the server in channelz (grpc_connections.c); 0 when not found */
    atomic_bool holding;   /* answers are parked instead of sent (changed under lock) */
    atomic_int live_calls; /* call states allocated and not yet freed */
    /*
     * States of freed unary calls, each with its ModelInfer request if it
     * had one, kept where the call was freed (mostly a batcher worker,
     * after the answer's send) and taken, zeroed and reset by the next call
     * requested on the polling thread, which then allocates neither: the
     * worker frees no block the poller allocated (glibc serves neither size
     * from its thread caches). Their resources are released, and their
     * requests' arenas hold one small chunk at most; the rest is cleaned
     * when taken. Owned; guarded by spare_lock.
     */
    pthread_mutex_t spare_lock;
    struct grpc_unary *spare[GRPC_SPARE_CALLS];
    int n_spare;
    /*
     * The calls of freed unary states, still to be unreferenced (the
     * core's call and stream are destroyed then): the worker that sent an
     * answer leaves that to a polling thread, which does it after its next
     * event (at most GRPC_DEAD_CALL_MAX_MS later), off the client's way.
     * The answer's send woke the client onto the worker's core, where it
     * waited for the worker to finish (one h2load client, paired runs under
     * load: 1-2 % more requests/s, server CPU per call 110 -> 103 us). From
     * the drain on, calls are unreferenced at once (defer_unref false).
     * Guarded by spare_lock.
     */
    grpc_call *dead[GRPC_DEAD_CALLS_MAX];
    int n_dead;
    bool defer_unref;

    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t changed;
    /* The drain, step by step: grpc_drain.c. */
    bool closing;              /* grpc_frontend_quiesce has begun: the hold */
    bool port_closed;          /* the listening socket is shut down */
    bool sealed;               /* every call that arrives is refused */
    bool cut;                  /* the connections are closed, then the server shut down */
    bool shutdown_done;        /* shutdown-and-notify's tag came back */
    int64_t last_arrival_ms;   /* monotonic time of the last call's arrival */
    int owed;                  /* accepted calls that owe an answer, not yet released */
    int n_parked;              /* of those, answers parked */
    struct grpc_unary *parked; /* their calls, linked by next_parked */
    int refused;               /* calls refused while closing (logged at the cut) */
    grpc_call_entry_t *held;   /* every call that arrived and is not yet released */
    char **closing_peers;      /* the connections that carried a call since closing */
    int n_closing_peers;
};

typedef struct grpc_unary grpc_unary_t;

/* Handles a unary call that arrived; must end in grpc_unary_reply or _fail, now or later. */
typedef void (*grpc_unary_fn)(grpc_unary_t *u);

/*
 * One unary call, from its request to its release. Two references: the
 * close notification (RECV_CLOSE_ON_SERVER) and the answer (the handler,
 * then the batcher for ModelInfer and Predict, then the send batch). The
 * last one frees it.
 */
struct grpc_unary {
    grpc_frontend_t *fe;
    grpc_method_id_t method;
    gpr_timespec deadline;
    grpc_metadata_array request_md;
    grpc_call_entry_t entry;    /* call is entry.call */
    grpc_byte_buffer *payload;  /* the request message */
    grpc_byte_buffer *response; /* the answer, while being sent */
    grpc_slice status_details;  /* the failure message, while being sent */
    grpc_status_code code;      /* the answer's status, once decided */
    bool has_details;           /* status_details is the answer's message */
    struct grpc_unary *next_parked;
    int cancelled;      /* RECV_CLOSE_ON_SERVER: the client went away or timed out */
    bool accepted;      /* run, counted in state->in_flight (and owed, through entry) */
    size_t held;        /* bytes of the body budget its request message holds */
    int64_t arrived_us; /* request_now_us() when the core handed the call over */
    atomic_int refs;
    grpc_tag_t arrived;           /* on fe->cq */
    grpc_callback_t closed, sent; /* on fe->call_cq */
    arena_t arena;                /* the messages of calls other than ModelInfer */
    request_t *req;        /* ModelInfer: the request, owned (kept, reset, with a spare state) */
    int req_inputs;        /* of a spare state: the inputs req's last use may have written */
    served_model_t *model; /* ModelInfer, Predict: the version it runs on, a reference */
    kserve_output_prefs_t prefs; /* ModelInfer: which outputs go back classified */
    shm_request_t shm;           /* ModelInfer: the regions its outputs go to */
    batch_plan_t *plan;          /* Predict: its batches, owned (malloc'd) */
    uint64_t plan_outputs;       /* Predict: the outputs it answers with */
    /*
     * ModelInfer and Predict: the close watch and the handler run on different threads.
     * The handler publishes the request before queueing it and then reads
     * gave_up; the close watch sets gave_up and then reads queued. With
     * sequentially consistent atomics one of them sees the other, so a
     * cancellation always reaches a queued request.
     */
    _Atomic(request_t *) queued;
    _Atomic(batch_plan_t *) queued_plan; /* Predict: the same, for its batches */
    atomic_bool gave_up;
};

/* ---- grpc_drain.c: the books of calls, and the drain ---- */

/* A call state is allocated, to request a call from the core (counted until freed). */
void grpc_frontend_call_requested(grpc_frontend_t *fe);

/*
 * The core delivered entry->call: true when it is accepted, false when the
 * drain refuses it. A refused call must get no answer and no headers: its
 * state only watches for the close, which the cut brings (counted as
 * UNAVAILABLE, which is what its client sees). An accepted call that owes
 * an answer (every method but ModelStreamInfer) counts in owed until it is
 * released, and the drain waits for it.
 */
bool grpc_frontend_call_arrived(grpc_frontend_t *fe, grpc_call_entry_t *entry, bool owes_answer);

/*
 * A call state is being freed: takes entry off the books (its answer, if
 * it owed one, is out) and unreferences its call, if it ever arrived.
 * First thing in a state's destructor: the drain reads held calls.
 */
void grpc_frontend_call_release(grpc_frontend_t *fe, grpc_call_entry_t *entry);

/* A call state is freed: counted out. Last thing in its destructor. */
void grpc_frontend_call_gone(grpc_frontend_t *fe);

/*
 * Unreferences the calls left on fe->dead; with stop, every later call is
 * unreferenced at once instead (the drain: the core closes a connection
 * only once its calls are gone). Any thread, no lock held.
 */
void grpc_frontend_unref_dead(grpc_frontend_t *fe, bool stop);

/*
 * Whether u's answer is to wait: true while the drain holds answers back
 * (u is parked, and the drain sends it later with grpc_unary_start_send);
 * false when it is to go now.
 */
bool grpc_drain_park(grpc_unary_t *u);

/*
 * Ends what is still open without waiting for it (grpc_frontend_stop):
 * seals, sends the parked answers, cuts, and returns once every call
 * state is freed.
 */
void grpc_drain_end(grpc_frontend_t *fe);

/* ---- grpc_connections.c: beneath the core's API ---- */

/*
 * Stops the core accepting connections on port without shutting its server
 * down: shuts down every listening socket of this process bound to port
 * (connections waiting in its accept queue are reset). Returns how many.
 */
int grpc_conn_close_port(int port);

/*
 * The channelz id of the server listening on port, 0 when channelz has
 * none. channelz names a listening socket after the address it was asked
 * for, so one asked for port 0 (any free port) is found by requested_port.
 */
intptr_t grpc_conn_server_id(int port, int requested_port);

/*
 * True when, by the kernel's and the core's own accounting, nothing is on
 * its way to inferd: no connection waits in the port's accept queue or in
 * its handshake, every connection has started a stream, and none carries
 * a stream beyond the calls on fe->held (the core has delivered all it has
 * read). With flushed, also every connection's send queue is empty (what
 * inferd answered has reached the client). False when the kernel or
 * channelz cannot tell. Takes fe->lock; call it without.
 */
bool grpc_conn_settled(grpc_frontend_t *fe, bool flushed);

/* True while channelz lists a connection of fe's server; false when it cannot tell. */
bool grpc_conn_any(grpc_frontend_t *fe);

/* ---- grpc_log.c ---- */

/*
 * Sends the gRPC core's log lines to inferd's log (log.h), at their level
 * and in its format. Process-wide; calling it again changes nothing.
 */
void grpc_log_route_core(void);

/*
 * The drain has closed a port under the core: from now on a failed accept
 * is expected, and logged as debug rather than as an error.
 */
void grpc_log_port_closed(void);

/* Writes the count of the core's lines the log limit left out, once their second has passed. */
void grpc_log_flush(void);

/*
 * Unpacks u's request message of type desc into arena. On failure answers
 * INVALID_ARGUMENT (RESOURCE_EXHAUSTED when out of memory) and returns NULL.
 */
ProtobufCMessage *grpc_unary_message(grpc_unary_t *u, const ProtobufCMessageDescriptor *desc,
                                     arena_t *arena);

/*
 * Answers OK with msg (packed now: msg may be freed afterwards). The call
 * may complete and be freed before this returns, on another thread or on
 * this one (the send's completion callback runs inline): the caller must
 * not touch u (or its arena) afterwards. The same holds for
 * grpc_unary_fail, grpc_unary_message's failure and grpc_unary_start_send.
 */
void grpc_unary_reply(grpc_unary_t *u, const ProtobufCMessage *msg);

/* Answers with the gRPC status the table gives st, and message. */
void grpc_unary_fail(grpc_unary_t *u, status_t st, const char *message);

/* Sends u's answer (u->response if any, u->code and its details) now, parked or not. */
void grpc_unary_start_send(grpc_unary_t *u);

/*
 * Whether a received message bb (NULL: none) is within --max-body-bytes;
 * when not, message (size bytes) says so. The core's message size filter
 * is left out (grpc_server.c); a compressed message arrives decompressed.
 */
bool grpc_message_fits(const grpc_frontend_t *fe, grpc_byte_buffer *bb, char *message, size_t size);

/*
 * Takes a received message's bytes (bb; NULL: none) from the body budget
 * into *held, which the caller gives back (body_budget_give) once the
 * request is answered; false when they do not fit, and message says so.
 */
bool grpc_message_hold(grpc_frontend_t *fe, grpc_byte_buffer *bb, size_t *held, char *message,
                       size_t size);

/* Room for grpc_message_fits's message. */
#define GRPC_TOO_LARGE_MESSAGE_MAX 128

/* msg packed into a new byte buffer (the caller destroys it); NULL when out of memory. */
grpc_byte_buffer *grpc_pack_message(const ProtobufCMessage *msg);

/* The message in bb unpacked into arena; NULL when malformed or out of memory. */
ProtobufCMessage *grpc_unpack_message(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                                      arena_t *arena);

/* A request's model version: "" is -1 (the server picks), else a non-negative integer. */
status_t grpc_parse_version(const char *text, int64_t *out, error_t *err);

/*
 * Microseconds left before deadline: 0 when there is none (infinite), a
 * negative number when it has passed, else at least 1.
 */
int64_t grpc_deadline_left_us(gpr_timespec deadline);

/* Room for a PERMISSION_DENIED message: the category and the metadata key. */
#define GRPC_DENIED_MESSAGE_MAX (RESTRICTED_API_HEADER_MAX + 128)

/*
 * Whether a call to method with request metadata md may run: its category
 * is open, or md holds the configured key and value. On false, message
 * (size bytes) says what is missing, never the value.
 */
bool grpc_frontend_allowed(const grpc_frontend_t *fe, grpc_method_id_t method,
                           const grpc_metadata_array *md, char *message, size_t size);

/* Milliseconds since the epoch, for statistics' last_inference. */
int64_t grpc_wall_ms(void);

/* The handlers of grpc_handlers.c. */
void grpc_handle_server_live(grpc_unary_t *u);
void grpc_handle_server_ready(grpc_unary_t *u);
void grpc_handle_model_ready(grpc_unary_t *u);
void grpc_handle_server_metadata(grpc_unary_t *u);
void grpc_handle_model_metadata(grpc_unary_t *u);
void grpc_handle_model_config(grpc_unary_t *u);
void grpc_handle_model_statistics(grpc_unary_t *u);
void grpc_handle_repository_index(grpc_unary_t *u);
void grpc_handle_repository_load(grpc_unary_t *u);
void grpc_handle_repository_unload(grpc_unary_t *u);
void grpc_handle_health_check(grpc_unary_t *u);

/* The shared memory RPCs (grpc_shm.c); every CUDA one answers UNIMPLEMENTED. */
void grpc_handle_shm_status(grpc_unary_t *u);
void grpc_handle_shm_register(grpc_unary_t *u);
void grpc_handle_shm_unregister(grpc_unary_t *u);
void grpc_handle_cuda_shm(grpc_unary_t *u);

/* ModelInfer (grpc_infer.c): parses, queues, and answers from the batcher's completion. */
void grpc_handle_model_infer(grpc_unary_t *u);

/* TF Serving's RPCs (grpc_tfserving.c); Predict answers from the last batch's completion. */
void grpc_handle_tfs_predict(grpc_unary_t *u);
void grpc_handle_tfs_model_metadata(grpc_unary_t *u);
void grpc_handle_tfs_model_status(grpc_unary_t *u);

/* Cancels u's published ModelInfer request (u->queued) or Predict batches (u->queued_plan). */
void grpc_unary_cancel_queued(grpc_unary_t *u);

/*
 * The handler's half of the handshake with the close watch: after
 * publishing u->queued or u->queued_plan and before submitting, cancels
 * them if the client already gave up.
 */
void grpc_unary_cancel_if_gone(grpc_unary_t *u);

/*
 * Applies u's deadline to a request about to be queued: its timeout
 * becomes the time left, unless it asked for less. DEADLINE_EXCEEDED when
 * the deadline has passed.
 */
status_t grpc_unary_deadline(const grpc_unary_t *u, request_t *req, error_t *err);

/*
 * ModelStreamInfer (grpc_stream.c): asks the server for the next stream
 * call; false when out of memory or shutting down.
 */
bool grpc_stream_arm(grpc_frontend_t *fe);

#endif
