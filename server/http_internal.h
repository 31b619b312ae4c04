/*
 * http_internal.h - what http.c (daemon, connections, bodies, responses)
 * and http_routes.c (endpoints) share.
 */
#ifndef INFERD_HTTP_INTERNAL_H
#define INFERD_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>

#include "compat_route.h"
#include "http_accept.h"
#include "http_watch.h"
#include "http.h"
#include "kserve.h"
#include "kserve_routes.h"
#include "shm_request.h"

struct http_server {
    const server_config_t *cfg;
    repository_t *repo;
    server_state_t *state;
    struct MHD_Daemon *daemon;
    http_acceptor_t *acceptor;     /* NULL once quiesced */
    http_conn_count_t connections; /* counted from the daemon's connection notifications */
    http_watch_t *watch;           /* their sockets, swept by the acceptor (http_watch.h) */
    int port;
};

/*
 * Where a queued infer request stands between the batcher's worker and
 * the connection: the worker resumes the connection only if the handler
 * has already suspended it, so neither waits for the other.
 */
typedef enum http_infer_phase {
    HTTP_INFER_QUEUED = 0, /* in the batcher; the connection is not suspended yet */
    HTTP_INFER_SUSPENDED,  /* the connection waits for the completion */
    HTTP_INFER_COMPLETED,  /* the completion came: req holds the answer */
} http_infer_phase_t;

/* A TF Serving or MindSpore request's batches in flight (http_compat.c). */
typedef struct http_plan http_plan_t;

/* One HTTP request, from its first byte to the end of its response. */
typedef struct http_call {
    http_server_t *server;
    struct MHD_Connection *conn;
    char *body; /* malloc'd; grows as the upload arrives */
    size_t size;
    size_t cap;
    bool too_large;             /* the body passed max_body_bytes: answered 413 */
    bool over_budget;           /* the body did not fit the body budget: answered 503 */
    size_t held;                /* bytes the body holds of state->bodies (its buffer's) */
    bool denied;                /* a restricted route without its header: answered 403 */
    kserve_route_match_t route; /* found when the headers arrived */
    compat_route_t compat;      /* a TF Serving or MindSpore path, when route is none */
    http_plan_t *plan;          /* such a path's batches, from parsing to the answer */
    served_model_t *model;      /* the version an infer request holds */
    request_t *req;             /* an infer request in the batcher */
    kserve_output_prefs_t prefs;
    shm_request_t shm;        /* the regions req's outputs go to */
    atomic_int phase;         /* http_infer_phase_t of req */
    int64_t arrived_us;       /* request_now_us() when the headers were read */
    http_watch_conn_t *watch; /* the connection's record in the watch; NULL: unwatched */
} http_call_t;

/* Queues resp with status on call's connection, counting the status. */
enum MHD_Result http_queue_response(http_call_t *call, unsigned status, struct MHD_Response *resp);

/* An infer request on a model is answered with st: counts its server time. */
void http_infer_answered(http_call_t *call, status_t st);

/* Answers with a JSON body (taken: freed by MHD) and status. */
enum MHD_Result http_respond_json(http_call_t *call, unsigned status, char *json);

/*
 * Answers a JSON body (taken) with the status the table gives st, and
 * Retry-After when st is retryable.
 */
enum MHD_Result http_respond_status(http_call_t *call, status_t st, char *json);

/*
 * Answers an error in the request's dialect: {"error": message} with the
 * status the table gives st (TF Serving's column of it for a TF Serving
 * path), or {"error_msg": message} for a MindSpore path.
 */
enum MHD_Result http_respond_error(http_call_t *call, status_t st, const char *message);

/* Handles a complete request (body received): calls its route's handler. */
enum MHD_Result http_route(http_call_t *call, const char *url, const char *method);

/* Sends the response of an infer request whose batch has completed. */
enum MHD_Result http_finish_infer(http_call_t *call);

/* Milliseconds since the epoch (a model's last inference). */
int64_t http_wall_ms(void);

/*
 * The shared memory endpoints (http_shm.c). region is the path's region,
 * NULL for the routes about every region.
 */
enum MHD_Result http_shm_status(http_call_t *call, const char *region);
enum MHD_Result http_shm_register(http_call_t *call, const char *region);
enum MHD_Result http_shm_unregister(http_call_t *call, const char *region);
/* Any CUDA shared memory endpoint: 501, not supported. */
enum MHD_Result http_shm_cuda(http_call_t *call);

/* Handles a complete request to a TF Serving or MindSpore path (call->compat). */
enum MHD_Result http_compat_route(http_call_t *call, const char *url);

/* Sends the answer of a TF Serving or MindSpore request once all its batches completed. */
enum MHD_Result http_compat_finish(http_call_t *call);

/* Frees a request's batches (all completed); NULL is a no-op. */
void http_compat_free(http_plan_t *plan);

#endif
