/*
 * perf_http.c - KServe v2 over HTTP for `inferd perf`: the model metadata
 * (GET /v2/models/NAME) and the infer request, either JSON data or the
 * binary tensor extension (Inference-Header-Content-Length, binary
 * outputs). The request is serialised once; every client sends the same
 * bytes over its own keep-alive connection.
 *
 * An asynchronous transport, as wrk is: a loop's thread drives all its
 * clients' connections through one epoll set (one-shot interest, re-armed
 * for each wait), and ends an exchange at its deadline itself. A thread
 * per client, as before, cost 1.6-1.9x wrk's client CPU per call at 64
 * clients, most of it switching between the threads.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "perf.h"
#include "perf_httpc.h"
#include "perf_stats.h"

/* Longest request path: a percent-encoded model name and a version. */
#define PERF_HTTP_PATH_MAX (3 * PERF_NAME_MAX + 64)
/* Room for the request line and headers. */
#define PERF_HTTP_HEAD_MAX (PERF_HTTP_PATH_MAX + PERF_HOST_MAX + 256)
/* Digits a JSON number keeps: enough for any FP32 value to round-trip. */
#define PERF_HTTP_JSON_PRECISION 9
/* How much of an error body a message quotes. */
#define PERF_HTTP_QUOTE_MAX 200

typedef struct http_session {
    const perf_options_t *o;
    bool binary;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char target[PERF_HOST_MAX + PERF_PORT_MAX + 16]; /* for messages */
    char host_header[PERF_HOST_MAX + PERF_PORT_MAX + 4];
    char path[PERF_HTTP_PATH_MAX]; /* /v2/models/NAME[/versions/V] */
    unsigned char *request;        /* the prepared infer request */
    size_t request_size;
} http_session_t;

#define PERF_HTTP_NS_PER_MS 1000000
/* Events one epoll_wait takes at most. */
#define PERF_HTTP_EVENTS_MAX 64

struct http_client;

/* A loop: its epoll set and its clients (to find exchanges past their deadline). */
/* A loop: its epoll set, and the exchanges that ended outside a wait, for the next one. */
typedef struct http_loop {
    int epfd;
    struct http_client *ended; /* linked by next_ended */
} http_loop_t;

typedef struct http_client {
    perf_httpc_t conn;
    const http_session_t *session;
    http_loop_t *loop;
    void *tag;      /* the exchange's, while one is under way */
    int watched_fd; /* the descriptor in the loop's epoll set, or -1 */
    /* An exchange that ended outside a wait (a failed connect, a cancel): how. */
    perf_httpc_result_t end;
    struct http_client *next_ended;
} http_client_t;

/* Appends name to out percent-encoded (RFC 3986 unreserved characters stay). */
static bool encode_segment(const char *name, char *out, size_t size)
{
    size_t n = strlen(out);

    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        int w = plain ? snprintf(out + n, size - n, "%c", *p)
                      : snprintf(out + n, size - n, "%%%02X", *p);
        if (w < 0 || (size_t)w >= size - n)
            return false;
        n += (size_t)w;
    }
    return true;
}

static void session_close(void *session)
{
    http_session_t *s = session;

    if (!s)
        return;
    free(s->request);
    free(s);
}

static void *session_open(const perf_options_t *o, bool binary, char *err, size_t size)
{
    http_session_t *s = calloc(1, sizeof *s);
    bool v6 = strchr(o->host, ':') != NULL;

    if (!s) {
        snprintf(err, size, "out of memory");
        return NULL;
    }
    s->o = o;
    s->binary = binary;
    perf_target_text(o, s->target, sizeof s->target);
    snprintf(s->host_header, sizeof s->host_header, "%s%s%s:%s", v6 ? "[" : "", o->host,
             v6 ? "]" : "", o->port);
    strcpy(s->path, "/v2/models/");
    if (!encode_segment(o->model, s->path, sizeof s->path)) {
        snprintf(err, size, "model name '%.64s...' is too long", o->model);
        goto fail;
    }
    if (o->model_version &&
        snprintf(s->path + strlen(s->path), sizeof s->path - strlen(s->path), "/versions/%s",
                 o->model_version) >= (int)(sizeof s->path - strlen(s->path))) {
        snprintf(err, size, "model version '%s' is too long", o->model_version);
        goto fail;
    }
    if (!perf_httpc_resolve(o->host, o->port, &s->addr, &s->addr_len, err, size))
        goto fail;
    return s;
fail:
    session_close(s);
    return NULL;
}

static void *session_open_json(const perf_options_t *o, char *err, size_t size)
{
    return session_open(o, false, err, size);
}

static void *session_open_binary(const perf_options_t *o, char *err, size_t size)
{
    return session_open(o, true, err, size);
}

/* Adds one tensor of the metadata ("inputs" or "outputs" entry i) to m. */
static bool add_tensor(perf_model_t *m, json_t *t, bool input, size_t i, char *err, size_t size)
{
    const char *name = json_string_value(json_object_get(t, "name"));
    const char *datatype = json_string_value(json_object_get(t, "datatype"));
    json_t *shape = json_object_get(t, "shape"), *dim;
    int64_t dims[PERF_MAX_RANK];
    size_t d;

    if (!name) {
        snprintf(err, size, "metadata %s[%zu] has no string \"name\"", input ? "inputs" : "outputs",
                 i);
        return false;
    }
    if (!input)
        return perf_model_add_output(m, name, err, size);
    if (!datatype || !json_is_array(shape) || json_array_size(shape) > PERF_MAX_RANK) {
        snprintf(err, size,
                 "metadata input '%s' needs a string \"datatype\" and a \"shape\" of at most %d "
                 "integers",
                 name, PERF_MAX_RANK);
        return false;
    }
    json_array_foreach(shape, d, dim)
    {
        if (!json_is_integer(dim)) {
            snprintf(err, size, "metadata input '%s' shape[%zu] is not an integer", name, d);
            return false;
        }
        dims[d] = json_integer_value(dim);
    }
    return perf_model_add_input(m, name, datatype, dims, (int)json_array_size(shape), err, size);
}

static bool parse_metadata(perf_model_t *m, const perf_httpc_t *c, char *err, size_t size)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)c->body, c->body_size, 0, &jerr);
    json_t *inputs = json_object_get(root, "inputs"), *outputs = json_object_get(root, "outputs");
    json_t *t;
    size_t i;
    bool ok = false;

    if (!root) {
        snprintf(err, size, "the model metadata is not JSON: %s", jerr.text);
        goto cleanup;
    }
    if (!json_is_array(inputs)) {
        snprintf(err, size, "the model metadata has no \"inputs\" array");
        goto cleanup;
    }
    json_array_foreach(inputs, i, t)
    {
        if (!add_tensor(m, t, true, i, err, size))
            goto cleanup;
    }
    json_array_foreach(outputs, i, t)
    {
        if (!add_tensor(m, t, false, i, err, size))
            goto cleanup;
    }
    ok = true;
cleanup:
    json_decref(root);
    return ok;
}

static bool metadata(void *session, perf_model_t *m, char *err, size_t size)
{
    const http_session_t *s = session;
    perf_httpc_t c;
    char request[PERF_HTTP_HEAD_MAX];
    perf_httpc_result_t r;
    bool ok = false;

    snprintf(request, sizeof request,
             "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n\r\n", s->path,
             s->host_header);
    perf_httpc_init(&c, &s->addr, s->addr_len, s->o->timeout_ms);
    r = perf_httpc_exchange(&c, request, strlen(request));
    if (r != PERF_HTTPC_OK) {
        snprintf(err, size, "cannot reach %s: %s", s->target, c.error);
        goto cleanup;
    }
    if (c.status != 200) {
        snprintf(err, size, "GET %s%s answered %d: %.*s", s->target, s->path, c.status,
                 (int)(c.body_size < PERF_HTTP_QUOTE_MAX ? c.body_size : PERF_HTTP_QUOTE_MAX),
                 (const char *)c.body);
        goto cleanup;
    }
    ok = parse_metadata(m, &c, err, size);
cleanup:
    perf_httpc_close(&c);
    return ok;
}

/* Little-endian integer element i of in. */
static json_int_t integer_at(const perf_input_t *in, size_t i, size_t elem, bool is_signed)
{
    uint64_t u = 0;

    for (size_t b = 0; b < elem; b++)
        u |= (uint64_t)in->data[i * elem + b] << (8 * b);
    if (is_signed && elem < 8 && (u >> (8 * elem - 1)))
        u |= ~(uint64_t)0 << (8 * elem);
    return (json_int_t)u;
}

/* The flat JSON "data" of input in; NULL (err set) for types JSON cannot carry. */
static json_t *json_data(const perf_input_t *in, char *err, size_t size)
{
    size_t elem = perf_datatype_size(in->datatype), n = in->size / elem;
    const char *dt = in->datatype;
    json_t *data = json_array();

    if (strcmp(dt, "FP16") == 0 || strcmp(dt, "BF16") == 0) {
        snprintf(err, size, "input '%s' is %s, which JSON cannot carry: use --protocol binary",
                 in->name, dt);
        json_decref(data);
        return NULL;
    }
    for (size_t i = 0; data && i < n; i++) {
        json_t *v;
        if (strcmp(dt, "FP32") == 0) {
            float f;
            memcpy(&f, in->data + i * elem, sizeof f);
            v = json_real(f);
        } else if (strcmp(dt, "FP64") == 0) {
            double f;
            memcpy(&f, in->data + i * elem, sizeof f);
            v = json_real(f);
        } else if (strcmp(dt, "BOOL") == 0)
            v = json_boolean(in->data[i]);
        else if (strcmp(dt, "BYTES") == 0)
            v = json_string("");
        else
            v = json_integer(integer_at(in, i, elem, dt[0] == 'I'));
        if (json_array_append_new(data, v) < 0) {
            json_decref(data);
            data = NULL;
        }
    }
    if (!data)
        snprintf(err, size, "out of memory for the JSON data of input '%s'", in->name);
    return data;
}

/* The request's JSON part: inline data, or binary_data_size and binary outputs. */
static json_t *request_json(const http_session_t *s, const perf_model_t *m, char *err, size_t size)
{
    json_t *root = json_object(), *inputs = json_array();

    json_object_set_new(root, "inputs", inputs);
    for (int i = 0; i < m->n_inputs; i++) {
        const perf_input_t *in = &m->inputs[i];
        json_t *t = json_object(), *shape = json_array();
        json_array_append_new(inputs, t);
        json_object_set_new(t, "name", json_string(in->name));
        json_object_set_new(t, "shape", shape);
        for (int d = 0; d < in->rank; d++)
            json_array_append_new(shape, json_integer(in->dims[d]));
        json_object_set_new(t, "datatype", json_string(in->datatype));
        if (s->binary) {
            json_object_set_new(t, "parameters",
                                json_pack("{sI}", "binary_data_size", (json_int_t)in->size));
        } else {
            json_t *data = json_data(in, err, size);
            if (!data) {
                json_decref(root);
                return NULL;
            }
            json_object_set_new(t, "data", data);
        }
    }
    if (s->binary)
        json_object_set_new(root, "parameters", json_pack("{sb}", "binary_data_output", 1));
    return root;
}

static bool prepare(void *session, const perf_model_t *m, char *err, size_t size)
{
    http_session_t *s = session;
    json_t *root = request_json(s, m, err, size);
    char *text =
        root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(PERF_HTTP_JSON_PRECISION))
             : NULL;
    char head[PERF_HTTP_HEAD_MAX], extra[64] = "";
    size_t json_len = text ? strlen(text) : 0, body = json_len, offset;
    bool ok = false;

    if (!text) {
        if (root)
            snprintf(err, size, "out of memory for the request JSON");
        goto cleanup;
    }
    if (s->binary) {
        for (int i = 0; i < m->n_inputs; i++)
            body += m->inputs[i].size;
        snprintf(extra, sizeof extra, "Inference-Header-Content-Length: %zu\r\n", json_len);
    }
    snprintf(head, sizeof head,
             "POST %s/infer HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: "
             "%zu\r\n%s\r\n",
             s->path, s->host_header, s->binary ? "application/octet-stream" : "application/json",
             body, extra);
    s->request_size = strlen(head) + body;
    s->request = malloc(s->request_size);
    if (!s->request) {
        snprintf(err, size, "out of memory for a %zu-byte request", s->request_size);
        goto cleanup;
    }
    memcpy(s->request, head, strlen(head));
    memcpy(s->request + strlen(head), text, json_len);
    offset = strlen(head) + json_len;
    for (int i = 0; s->binary && i < m->n_inputs; i++) {
        memcpy(s->request + offset, m->inputs[i].data, m->inputs[i].size);
        offset += m->inputs[i].size;
    }
    ok = true;
cleanup:
    free(text);
    json_decref(root);
    return ok;
}

static void client_free(void *client)
{
    http_client_t *c = client;

    if (!c)
        return;
    assert(!c->conn.request);
    perf_httpc_close(&c->conn);
    free(c);
}

static void *client_create(void *session, void *loop, char *err, size_t size)
{
    const http_session_t *s = session;
    http_loop_t *lp = loop;
    http_client_t *c = calloc(1, sizeof *c);

    assert(lp);
    if (!c) {
        snprintf(err, size, "out of memory");
        return NULL;
    }
    c->session = s;
    c->watched_fd = -1;
    perf_httpc_init(&c->conn, &s->addr, s->addr_len, s->o->timeout_ms);
    c->loop = lp;
    return c;
}

/* An exchange's end as perf's outcome; names the kind unless OK. */
static perf_outcome_t outcome_of(const http_client_t *c, perf_httpc_result_t r, char *kind,
                                 size_t size)
{
    switch (r) {
    case PERF_HTTPC_OK:
        if (c->conn.status == 200)
            return PERF_OK;
        snprintf(kind, size, "http %d", c->conn.status);
        return PERF_FAILED;
    case PERF_HTTPC_CONNECT_FAILED:
        snprintf(kind, size, "connect");
        return PERF_UNREACHABLE;
    case PERF_HTTPC_TIMEOUT:
        snprintf(kind, size, "timeout");
        return PERF_FAILED;
    case PERF_HTTPC_IO_ERROR:
        snprintf(kind, size, "connection lost");
        return PERF_FAILED;
    case PERF_HTTPC_BAD_RESPONSE:
    case PERF_HTTPC_PENDING:
        break;
    }
    snprintf(kind, size, "bad response");
    return PERF_FAILED;
}

/* Writes the end of c's exchange into out. */
static void finish(http_client_t *c, perf_httpc_result_t r, perf_completion_t *out)
{
    out->tag = c->tag;
    out->kind[0] = '\0';
    out->outcome = outcome_of(c, r, out->kind, sizeof out->kind);
    c->tag = NULL;
}

/*
 * Watches c's connection for events (poll's), once: the loop's next wait
 * reports it at most one time. False when epoll refused it.
 */
static bool watch(http_client_t *c, short events)
{
    struct epoll_event ev = {.events = EPOLLONESHOT | (events & POLLIN ? EPOLLIN : 0) |
                                       (events & POLLOUT ? EPOLLOUT : 0),
                             .data.ptr = c};
    int fd = c->conn.fd;

    /*
     * A closed connection left the set by itself, and a reopened one may
     * have its descriptor's number: MOD then finds nothing, and it is added.
     */
    if (c->watched_fd == fd && epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
        return true;
    if (c->watched_fd == fd && errno != ENOENT)
        return false;
    c->watched_fd = -1;
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return false;
    c->watched_fd = fd;
    return true;
}

/*
 * Moves c's exchange on: PERF_HTTPC_PENDING while it waits for its socket
 * (watched), else how it ended.
 */
static perf_httpc_result_t drive(http_client_t *c)
{
    short events;
    perf_httpc_result_t r = perf_httpc_advance(&c->conn, &events);

    if (r == PERF_HTTPC_PENDING) {
        if (watch(c, events))
            return r;
        snprintf(c->conn.error, sizeof c->conn.error, "epoll: %s", strerror(errno));
        perf_httpc_abort(&c->conn);
        r = PERF_HTTPC_IO_ERROR;
    }
    if (c->conn.fd != c->watched_fd)
        c->watched_fd = -1;
    return r;
}

/* c's exchange ended outside a wait, as r: the loop's next wait reports it. */
static void ended(http_client_t *c, perf_httpc_result_t r)
{
    c->end = r;
    c->next_ended = c->loop->ended;
    c->loop->ended = c;
}

/* Nothing fails to start: a failed connect or send ends the exchange, which wait reports. */
static bool call_start(void *client, void *tag, char *kind, size_t size)
{
    http_client_t *c = client;
    perf_httpc_result_t r;

    assert(!c->conn.request);
    (void)kind;
    (void)size;
    c->tag = tag;
    r = perf_httpc_begin(&c->conn, c->session->request, c->session->request_size);
    if (r == PERF_HTTPC_PENDING)
        r = drive(c);
    if (r != PERF_HTTPC_PENDING)
        ended(c, r);
    return true;
}

/* Ends c's exchange at its deadline: the connection closes, and wait reports a timeout. */
static void call_cancel(void *client)
{
    http_client_t *c = client;

    perf_httpc_abort(&c->conn);
    c->watched_fd = -1;
    ended(c, PERF_HTTPC_TIMEOUT);
}

static void *loop_create(void *session, char *err, size_t size)
{
    http_loop_t *lp = calloc(1, sizeof *lp);

    (void)session;
    if (lp)
        lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!lp || lp->epfd < 0) {
        snprintf(err, size, "cannot create an epoll set: %s", strerror(errno));
        free(lp);
        return NULL;
    }
    return lp;
}

/* After its clients: nothing is under way any more. */
static void loop_free(void *loop)
{
    http_loop_t *lp = loop;

    if (!lp)
        return;
    assert(!lp->ended);
    close(lp->epfd);
    free(lp);
}

/*
 * epoll_wait until deadline_ns (INT64_MAX: none). epoll_pwait2 keeps an
 * open loop's send times to the microsecond; kernels before 5.11 lack it,
 * and get epoll_wait's whole milliseconds, rounded up.
 */
static int wait_events(int epfd, struct epoll_event *events, int max, int64_t deadline_ns)
{
    static atomic_bool no_pwait2;
    int64_t left = deadline_ns == INT64_MAX ? -1 : deadline_ns - perf_now_ns();
    struct timespec ts;
    int ready;

    if (deadline_ns != INT64_MAX && left < 0)
        left = 0;
    if (!atomic_load(&no_pwait2)) {
        ts.tv_sec = left / 1000000000;
        ts.tv_nsec = left % 1000000000;
        ready = epoll_pwait2(epfd, events, max, left < 0 ? NULL : &ts, NULL);
        if (ready >= 0 || errno != ENOSYS)
            return ready;
        atomic_store(&no_pwait2, true);
    }
    return epoll_wait(epfd, events, max,
                      left < 0 ? -1
                               : (int)((left + PERF_HTTP_NS_PER_MS - 1) / PERF_HTTP_NS_PER_MS));
}

static int loop_wait(void *loop, int64_t deadline_ns, perf_completion_t *out, int max)
{
    http_loop_t *lp = loop;
    struct epoll_event events[PERF_HTTP_EVENTS_MAX];
    int n = 0;

    for (; n < max && lp->ended; lp->ended = lp->ended->next_ended)
        finish(lp->ended, lp->ended->end, &out[n++]);
    while (n == 0 && perf_now_ns() < deadline_ns) {
        int ready = wait_events(
            lp->epfd, events, max < PERF_HTTP_EVENTS_MAX ? max : PERF_HTTP_EVENTS_MAX, deadline_ns);
        if (ready < 0 && errno != EINTR)
            break;
        for (int i = 0; i < ready; i++) {
            http_client_t *c = events[i].data.ptr;
            perf_httpc_result_t r = c->conn.request ? drive(c) : PERF_HTTPC_PENDING;
            if (r != PERF_HTTPC_PENDING)
                finish(c, r, &out[n++]);
        }
    }
    return n;
}

const perf_transport_t perf_http_json_transport = {
    .name = "http-json",
    .open = session_open_json,
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

const perf_transport_t perf_http_binary_transport = {
    .name = "http-binary",
    .open = session_open_binary,
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
