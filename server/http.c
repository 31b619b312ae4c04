/*
 * http.c - the libmicrohttpd daemon: connection life cycle, request bodies
 * (bounded by max_body_bytes, and together by the body budget), response
 * helpers.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_accept.h"
#include "http_encoding.h"
#include "http_internal.h"
#include "http_request.h"
#include "listen_address.h"
#include "log.h"
#include "mindspore.h"
#include "status_map.h"

/* First allocation for a body of unannounced length (chunked); it doubles from there. */
#define HTTP_BODY_INITIAL 4096
/* Room for body_budget_refusal's text. */
#define HTTP_BUDGET_MESSAGE_MAX 160

/* Queues json (taken) with status; Retry-After and Connection: close when asked. */
static enum MHD_Result respond(http_call_t *call, unsigned status, char *json, bool retry_after,
                               bool close)
{
    struct MHD_Response *resp;
    enum MHD_Result rc;

    if (!json)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (retry_after) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", API_RETRY_AFTER_SECS);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    if (close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    rc = http_queue_response(call, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result http_queue_response(http_call_t *call, unsigned status, struct MHD_Response *resp)
{
    response_count_http(&call->server->state->responses, status);
    return MHD_queue_response(call->conn, status, resp);
}

void http_infer_answered(http_call_t *call, status_t st)
{
    if (call->model &&
        (call->route.route == KSERVE_ROUTE_MODEL_INFER || compat_route_is_infer(&call->compat)))
        response_durations_add(&call->model->durations, st, request_now_us() - call->arrived_us);
}

int64_t http_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum MHD_Result http_respond_json(http_call_t *call, unsigned status, char *json)
{
    return respond(call, status, json, false, false);
}

enum MHD_Result http_respond_status(http_call_t *call, status_t st, char *json)
{
    return respond(call, (unsigned)api_http_status(st), json, api_status_retryable(st), false);
}

enum MHD_Result http_respond_error(http_call_t *call, status_t st, const char *message)
{
    bool tfs = call->compat.api == COMPAT_API_TFSERVING;
    char *json = call->compat.api == COMPAT_API_MINDSPORE ? mindspore_error_json(message)
                                                          : kserve_error_json(message);

    http_infer_answered(call, st);
    return respond(call, (unsigned)(tfs ? api_tfserving_http_status(st) : api_http_status(st)),
                   json, api_status_retryable(st), false);
}

/* 503 with Connection: close, for requests that arrive after the drain delay. */
static enum MHD_Result respond_closing(http_call_t *call)
{
    return respond(call, (unsigned)api_http_status(STATUS_UNAVAILABLE),
                   kserve_error_json("server is shutting down"), true, true);
}

/*
 * Grows the body buffer to cap bytes, taking the growth from the body
 * budget first: false (the buffer unchanged) when the budget or memory is
 * short, noted in over_budget or too_large.
 */
static bool grow_body(http_call_t *call, size_t cap)
{
    body_budget_t *budget = &call->server->state->bodies;
    char *grown;

    assert(cap > call->cap && call->held == call->cap);
    if (!body_budget_take(budget, cap - call->cap)) {
        call->over_budget = true;
        return false;
    }
    grown = realloc(call->body, cap);
    if (!grown) {
        body_budget_give(budget, cap - call->cap);
        call->too_large = true;
        return false;
    }
    call->body = grown;
    call->held = call->cap = cap;
    return true;
}

/* Appends an upload chunk, or notes that the body is over the limit or the budget. */
static void append_body(http_call_t *call, const char *data, size_t len)
{
    size_t limit = call->server->cfg->max_body_bytes;

    if (call->denied || call->over_budget)
        return;
    if (call->too_large || call->size + len > limit) {
        call->too_large = true;
        return;
    }
    if (call->size + len + 1 > call->cap) {
        size_t cap = call->cap ? call->cap : HTTP_BODY_INITIAL;
        while (cap < call->size + len + 1)
            cap *= 2;
        if (!grow_body(call, cap))
            return;
    }
    memcpy(call->body + call->size, data, len);
    call->size += len;
    call->body[call->size] = '\0';
}

/* The restricted-API category of the request's route; UNSET when it has none. */
static restricted_api_category_t route_category(const http_call_t *call)
{
    if (call->route.route != KSERVE_ROUTE_COUNT)
        return kserve_routes[call->route.route].category;
    return call->compat.category;
}

/*
 * Whether the request may reach its route: the route's category is open,
 * or the request has the header with the configured value. The value is
 * never logged.
 */
static bool allowed(const http_call_t *call)
{
    const restricted_api_t *rules = &call->server->cfg->http_restricted_api;
    restricted_api_category_t category = route_category(call);
    const char *header, *value = NULL;
    size_t len = 0;

    if (category == RESTRICTED_API_UNSET)
        return true;
    header = restricted_api_header(rules, category);
    if (!header)
        return true;
    if (MHD_lookup_connection_value_n(call->conn, MHD_HEADER_KIND, header, strlen(header), &value,
                                      &len) != MHD_YES)
        value = NULL;
    return restricted_api_allows(rules, category, value, len);
}

/* 403 for a restricted route: names the category and the header it needs, never the value. */
static enum MHD_Result respond_denied(http_call_t *call)
{
    restricted_api_category_t category = route_category(call);
    char message[RESTRICTED_API_HEADER_MAX + 128];

    snprintf(message, sizeof message, "the %s API is restricted: it needs header '%s'",
             restricted_api_category_name(category),
             restricted_api_header(&call->server->cfg->http_restricted_api, category));
    return http_respond_error(call, STATUS_PERMISSION_DENIED, message);
}

/*
 * A new request: its call state and route; an announced body over the
 * limit is refused now, and so is a restricted route without its header
 * (the body of either is discarded, not kept).
 */
static http_call_t *start_call(http_server_t *server, struct MHD_Connection *conn, const char *url,
                               const char *method)
{
    http_call_t *call = calloc(1, sizeof *call);
    const union MHD_ConnectionInfo *info;
    const char *length;
    size_t announced;

    if (!call)
        return NULL;
    call->server = server;
    call->conn = conn;
    call->arrived_us = request_now_us();
    info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    call->watch = info ? info->socket_context : NULL;
    atomic_init(&call->phase, HTTP_INFER_QUEUED);
    atomic_fetch_add(&server->state->in_flight, 1);
    length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (http_body_announced_over(length, server->cfg->max_body_bytes))
        call->too_large = true;
    kserve_route_find(url, method, &call->route);
    if (call->route.route == KSERVE_ROUTE_COUNT)
        compat_route_find(url, method, &call->compat);
    call->denied = !allowed(call);
    /* An announced body is held in one buffer of its size, taken from the budget now. */
    if (!call->too_large && !call->denied &&
        http_header_length(length, server->cfg->max_body_bytes, &announced) && announced > 0)
        grow_body(call, announced + 1);
    return call;
}

/*
 * A body sent with Content-Encoding gzip or deflate, replaced by its
 * decoding, which max_body_bytes bounds as it bounds any body (a
 * decompression bomb is answered 413 before it fills memory). Other
 * codings are refused.
 */
static status_t decode_body(http_call_t *call, error_t *err)
{
    const char *value =
        MHD_lookup_connection_value(call->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    http_coding_t coding = http_content_coding(value);
    char *plain = NULL;
    size_t len = 0;
    status_t st;

    if (coding == HTTP_CODING_IDENTITY)
        return STATUS_OK;
    if (coding == HTTP_CODING_UNSUPPORTED)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "Content-Encoding '%.*s' is not supported (gzip, deflate or identity)",
                         HTTP_CODING_NAME_MAX, value);
    st = http_decode_body(coding, call->body ? call->body : "", call->size,
                          call->server->cfg->max_body_bytes, &plain, &len, err);
    if (st)
        return st;
    if (!body_budget_take(&call->server->state->bodies, len + 1)) {
        char message[HTTP_BUDGET_MESSAGE_MAX];
        free(plain);
        body_budget_refusal(&call->server->state->bodies, message, sizeof message);
        return error_set(err, STATUS_UNAVAILABLE, "%s", message);
    }
    free(call->body);
    body_budget_give(&call->server->state->bodies, call->held);
    call->body = plain;
    call->size = len;
    call->held = call->cap = len + 1;
    return STATUS_OK;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    http_server_t *server = cls;
    http_call_t *call = *con_cls;
    char message[HTTP_BUDGET_MESSAGE_MAX];
    error_t err = {0};

    if (!call) {
        call = start_call(server, conn, url, method);
        if (!call)
            return MHD_NO;
        *con_cls = call;
        /* Keep-alive connections outlive the listening socket: close them as they ask. */
        if (atomic_load(&server->state->closing))
            return respond_closing(call);
        /* A body over the budget is read and dropped, so that the client reads the 503. */
        if (!call->too_large && !call->denied)
            return MHD_YES;
    } else if (!*upload_size) {
        /* The upload has ended: answering is the server's time, not the request's. */
        http_watch_request_received(call->watch);
    }
    if (call->req)
        return http_finish_infer(call);
    if (call->plan)
        return http_compat_finish(call);
    if (*upload_size) {
        append_body(call, upload_data, *upload_size);
        *upload_size = 0;
        /* MHD takes a response only once the upload has ended: an oversize one is discarded. */
        return MHD_YES;
    }
    if (call->denied)
        return respond_denied(call);
    if (call->too_large) {
        snprintf(message, sizeof message, "request body exceeds the limit of %zu bytes",
                 server->cfg->max_body_bytes);
        return http_respond_error(call, STATUS_TOO_LARGE, message);
    }
    if (call->over_budget) {
        body_budget_refusal(&server->state->bodies, message, sizeof message);
        return http_respond_error(call, STATUS_UNAVAILABLE, message);
    }
    if (decode_body(call, &err))
        return http_respond_error(call, err.code, err.message);
    return http_route(call, url, method);
}

/* The response is sent (or the client went away): everything the request held goes. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    http_server_t *server = cls;
    http_call_t *call = *con_cls;

    if (!call)
        return;
    http_watch_request_done(call->watch);
    request_free(call->req);
    shm_request_release(&call->shm);
    http_compat_free(call->plan);
    repository_release(server->repo, call->model);
    free(call->body);
    body_budget_give(&server->state->bodies, call->held);
    free(call);
    *con_cls = NULL;
    atomic_fetch_sub(&server->state->in_flight, 1);
}

/*
 * Keeps the count of open connections the acceptor limits them by, and the
 * records of the sockets it sweeps (the daemon notifies a close before it
 * closes the socket); a connection's record is its socket context.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server_t *server = cls;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = info ? info->connect_fd : -1;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        /* open first: the acceptor reads started first, so it never misses one in both. */
        atomic_fetch_add(&server->connections.open, 1);
        atomic_fetch_add(&server->connections.started, 1);
        *socket_context = fd >= 0 ? http_watch_add(server->watch, fd) : NULL;
        if (!*socket_context)
            log_warn("http: cannot watch a connection: a client that goes, or sends its request "
                     "slowly, may hold it until --idle-timeout-secs");
    } else {
        atomic_fetch_sub(&server->connections.open, 1);
        http_watch_remove(server->watch, *socket_context);
        *socket_context = NULL;
    }
}

/* Most of these are about one client's connection (it closed mid-request, it sent garbage). */
static log_limit_t mhd_log_limit = LOG_LIMIT_INIT("http");

/* MHD's own messages; its printf-style format is passed on. */
__attribute__((format(printf, 2, 0))) static void on_mhd_error(void *cls, const char *fmt,
                                                               va_list ap)
{
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    log_write_limited(&mhd_log_limit, LOG_WARN, "http: %s", message);
}

status_t http_server_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                           tls_store_t *tls, http_server_t **out, error_t *err)
{
    http_server_t *server;
    listen_address_t listen;
    struct MHD_OptionItem tls_options[TLS_MHD_OPTIONS_MAX];
    unsigned tls_flags;
    status_t st = listen_address_parse(cfg->bind_address, cfg->http_port, &listen, err);

    *out = NULL;
    if (!st)
        st = tls_mhd_options(tls, &tls_flags, tls_options, err);
    if (st)
        return st;
    server = calloc(1, sizeof *server);
    if (!server)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    server->cfg = cfg;
    server->repo = repo;
    server->state = state;
    atomic_init(&server->connections.open, 0);
    atomic_init(&server->connections.started, 0);
    st = http_watch_create((int64_t)cfg->request_timeout_secs * 1000, &state->http_closed,
                           &server->watch, err);
    if (st)
        goto cleanup;
    st = http_acceptor_open(&listen, &server->acceptor, &server->port, err);
    if (st) {
        error_prefix(err, "cannot listen for HTTP on %s:%d", cfg->bind_address, cfg->http_port);
        goto cleanup;
    }
    /* The pool accepts nothing itself: the acceptor hands it every connection (http_accept.h). */
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG | tls_flags,
        0, NULL, NULL, on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_LIMIT,
        http_acceptor_daemon_limit(cfg->http_threads), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->idle_timeout_secs, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, server, MHD_OPTION_ARRAY, tls_options,
        MHD_OPTION_END);
    if (!server->daemon) {
        st = error_set(err, STATUS_IO, "cannot start the HTTP server on %s:%d", cfg->bind_address,
                       cfg->http_port);
        goto cleanup;
    }
    st = http_acceptor_start(server->acceptor, server->daemon, &server->connections, server->watch,
                             &mhd_log_limit, cfg->max_connections, err);

cleanup:
    if (st) {
        http_server_stop(server);
        return st;
    }
    *out = server;
    return STATUS_OK;
}

int http_server_port(const http_server_t *server)
{
    return server->port;
}

void http_server_quiesce(http_server_t *server)
{
    http_acceptor_close(server->acceptor);
    server->acceptor = NULL;
}

void http_server_stop(http_server_t *server)
{
    if (!server)
        return;
    /* The acceptor first: it hands connections to the daemon. */
    http_acceptor_close(server->acceptor);
    if (server->daemon)
        MHD_stop_daemon(server->daemon);
    /* After the daemon: it notifies closes into the watch until it stops. */
    http_watch_free(server->watch);
    free(server);
}
