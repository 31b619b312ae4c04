/*
 * perf_httpc.c - a minimal HTTP/1.1 keep-alive client for `inferd perf`
 * and `inferd health`. Non-blocking socket plus poll() against one
 * deadline per exchange, so a server that is down or stuck gives an
 * error, never a hang. With TLS, GnuTLS runs over the same non-blocking
 * socket and the same waits.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "perf_httpc.h"
#include "perf_stats.h"

#define NS_PER_MS 1000000

/* The connection ended before any byte of the answer: the request may be sent again. */
#define PERF_HTTPC_NOT_ANSWERED (-1)

bool perf_httpc_resolve(const char *host, const char *port, struct sockaddr_storage *addr,
                        socklen_t *addr_len, char *err, size_t size)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res || res->ai_addrlen > sizeof *addr) {
        snprintf(err, size, "cannot resolve %s:%s: %s", host, port,
                 rc ? gai_strerror(rc) : "no address");
        if (res)
            freeaddrinfo(res);
        return false;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

void perf_httpc_init(perf_httpc_t *c, const struct sockaddr_storage *addr, socklen_t addr_len,
                     int timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->addr = *addr;
    c->addr_len = addr_len;
    c->timeout_ms = timeout_ms;
    c->fd = -1;
}

void perf_httpc_use_tls(perf_httpc_t *c, const perf_httpc_tls_t *tls)
{
    c->tls = tls;
}

static void close_fd(perf_httpc_t *c)
{
    if (c->session) {
        /* One try at close_notify; the socket is non-blocking and closes next anyway. */
        gnutls_bye(c->session, GNUTLS_SHUT_WR);
        gnutls_deinit(c->session);
        c->session = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void perf_httpc_close(perf_httpc_t *c)
{
    if (!c)
        return;
    close_fd(c);
    free(c->buf);
    c->buf = NULL;
    c->cap = c->len = 0;
}

/* 1 when fd is ready for events, 0 when deadline_ns passed first, -1 on error. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        int64_t left = deadline_ns - perf_now_ns();
        struct pollfd p = {.fd = fd, .events = events};
        int rc;

        if (left <= 0)
            return 0;
        rc = poll(&p, 1, (int)((left + NS_PER_MS - 1) / NS_PER_MS));
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

/* The poll events GnuTLS waits for after GNUTLS_E_AGAIN. */
static short tls_events(gnutls_session_t session)
{
    return gnutls_record_get_direction(session) ? POLLOUT : POLLIN;
}

/* True when name is a numeric address, which SNI must not carry. */
static bool is_address(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* Why the server's certificate did not verify, into c->error. */
static void describe_verify_failure(perf_httpc_t *c)
{
    gnutls_datum_t why = {NULL, 0};
    unsigned status = gnutls_session_get_verify_cert_status(c->session);

    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) >= 0) {
        snprintf(c->error, sizeof c->error, "TLS: the server's certificate: %s",
                 (const char *)why.data);
        gnutls_free(why.data);
    } else {
        snprintf(c->error, sizeof c->error, "TLS: the server's certificate did not verify");
    }
}

/* The TLS handshake on the connected socket, within the deadline. */
static int tls_handshake(perf_httpc_t *c, int64_t deadline_ns)
{
    const perf_httpc_tls_t *tls = c->tls;
    int ret = gnutls_init(&c->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);

    if (ret < 0) {
        c->session = NULL;
        snprintf(c->error, sizeof c->error, "TLS: %s", gnutls_strerror(ret));
        return PERF_HTTPC_CONNECT_FAILED;
    }
    ret = gnutls_set_default_priority(c->session);
    if (ret >= 0)
        ret = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, tls->credentials);
    if (ret >= 0 && tls->server_name && !is_address(tls->server_name))
        ret = gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, tls->server_name,
                                     strlen(tls->server_name));
    if (ret < 0) {
        snprintf(c->error, sizeof c->error, "TLS: %s", gnutls_strerror(ret));
        return PERF_HTTPC_CONNECT_FAILED;
    }
    if (tls->verify)
        gnutls_session_set_verify_cert(c->session, tls->server_name, 0);
    gnutls_transport_set_int(c->session, c->fd);
    for (;;) {
        int ready;
        ret = gnutls_handshake(c->session);
        if (ret >= 0)
            return PERF_HTTPC_OK;
        if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal(ret))
            break;
        ready = wait_fd(c->fd, tls_events(c->session), deadline_ns);
        if (ready == 0) {
            snprintf(c->error, sizeof c->error, "TLS handshake: no answer within %d ms",
                     c->timeout_ms);
            return PERF_HTTPC_TIMEOUT;
        }
        if (ready < 0) {
            snprintf(c->error, sizeof c->error, "poll: %s", strerror(errno));
            return PERF_HTTPC_CONNECT_FAILED;
        }
    }
    if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
        describe_verify_failure(c);
    else
        snprintf(c->error, sizeof c->error, "TLS handshake: %s", gnutls_strerror(ret));
    return PERF_HTTPC_CONNECT_FAILED;
}

static int open_connection(perf_httpc_t *c, int64_t deadline_ns)
{
    int64_t start = perf_now_ns();
    int64_t connect_deadline = start + (int64_t)PERF_HTTPC_CONNECT_TIMEOUT_MS * NS_PER_MS;
    int one = 1, so_error = 0, ready;
    socklen_t len = sizeof so_error;

    if (connect_deadline > deadline_ns)
        connect_deadline = deadline_ns;
    c->fd = socket(c->addr.ss_family, SOCK_STREAM, 0);
    if (c->fd < 0 || fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0 ||
        fcntl(c->fd, F_SETFD, FD_CLOEXEC) < 0) {
        snprintf(c->error, sizeof c->error, "socket: %s", strerror(errno));
        goto fail;
    }
    /* Requests are small and answered one at a time: Nagle would only add delay. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (const struct sockaddr *)&c->addr, c->addr_len) == 0)
        goto connected;
    if (errno != EINPROGRESS) {
        snprintf(c->error, sizeof c->error, "connect: %s", strerror(errno));
        goto fail;
    }
    ready = wait_fd(c->fd, POLLOUT, connect_deadline);
    if (ready == 0) {
        snprintf(c->error, sizeof c->error, "connect: no answer within %lld ms",
                 (long long)((connect_deadline - start) / NS_PER_MS));
        goto fail;
    }
    if (ready < 0 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0 || so_error) {
        snprintf(c->error, sizeof c->error, "connect: %s", strerror(so_error ? so_error : errno));
        goto fail;
    }
connected:
    if (c->tls) {
        int r = tls_handshake(c, deadline_ns);
        if (r != PERF_HTTPC_OK) {
            close_fd(c);
            return r;
        }
    }
    return PERF_HTTPC_OK;
fail:
    close_fd(c);
    return PERF_HTTPC_CONNECT_FAILED;
}

/*
 * send() or, over TLS, gnutls_record_send(): bytes sent, or -1 with errno
 * set (EAGAIN: wait for *events; EPROTO: a TLS failure, told in c->error).
 */
static ssize_t send_some(perf_httpc_t *c, const unsigned char *data, size_t size, short *events)
{
    ssize_t n;

    *events = POLLOUT;
    if (!c->session)
        return send(c->fd, data, size, MSG_NOSIGNAL);
    n = gnutls_record_send(c->session, data, size);
    if (n >= 0)
        return n;
    *events = tls_events(c->session);
    if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
        snprintf(c->error, sizeof c->error, "send: TLS: %s", gnutls_strerror((int)n));
    errno = n == GNUTLS_E_AGAIN ? EAGAIN : n == GNUTLS_E_INTERRUPTED ? EINTR : EPROTO;
    return -1;
}

/*
 * recv() or, over TLS, gnutls_record_recv(): bytes read, 0 at the end, or
 * -1 with errno set as send_some does. A TLS peer that closes without
 * close_notify ends the stream like a plain one.
 */
static ssize_t recv_some(perf_httpc_t *c, unsigned char *buf, size_t size, short *events)
{
    ssize_t n;

    *events = POLLIN;
    if (!c->session)
        return recv(c->fd, buf, size, 0);
    n = gnutls_record_recv(c->session, buf, size);
    if (n >= 0)
        return n;
    if (n == GNUTLS_E_PREMATURE_TERMINATION)
        return 0;
    *events = tls_events(c->session);
    if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED)
        snprintf(c->error, sizeof c->error, "receive: TLS: %s", gnutls_strerror((int)n));
    errno = n == GNUTLS_E_AGAIN ? EAGAIN : n == GNUTLS_E_INTERRUPTED ? EINTR : EPROTO;
    return -1;
}

static bool reserve(perf_httpc_t *c, size_t need)
{
    size_t cap = c->cap ? c->cap : PERF_HTTPC_INITIAL_BUFFER;
    unsigned char *grown;

    if (need <= c->cap)
        return true;
    while (cap < need)
        cap *= 2;
    grown = realloc(c->buf, cap);
    if (!grown) {
        snprintf(c->error, sizeof c->error, "out of memory for a %zu-byte response", need);
        return false;
    }
    c->buf = grown;
    c->cap = cap;
    return true;
}

/* The head's end (after the blank line), or 0 while incomplete. */
static size_t head_end(const perf_httpc_t *c)
{
    for (size_t i = 3; i < c->len; i++)
        if (c->buf[i] == '\n' && c->buf[i - 1] == '\r' && c->buf[i - 2] == '\n' &&
            c->buf[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* Reads status and the headers that frame the body. Content-Length -1: until EOF. */
static int parse_head(perf_httpc_t *c, size_t end, long long *content_length, bool *close_after)
{
    const char *p = (const char *)c->buf, *limit = (const char *)c->buf + end;
    const char *line_end = memchr(p, '\r', end);

    *content_length = -1;
    *close_after = false;
    if (end < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' || p[9] < '1' || p[9] > '5' ||
        p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9') {
        snprintf(c->error, sizeof c->error, "not an HTTP/1.x response: '%.40s'", p);
        return PERF_HTTPC_BAD_RESPONSE;
    }
    c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (p[7] == '0')
        *close_after = true;
    for (p = line_end + 2; p < limit - 2; p = line_end + 2) {
        const char *colon, *value;
        line_end = memchr(p, '\r', (size_t)(limit - p));
        colon = memchr(p, ':', (size_t)(line_end - p));
        if (!colon)
            continue;
        for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
            ;
        if ((size_t)(colon - p) == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
            char *num_end;
            *content_length = strtoll(value, &num_end, 10);
            if (num_end == value || *content_length < 0) {
                snprintf(c->error, sizeof c->error, "bad Content-Length '%.20s'", value);
                return PERF_HTTPC_BAD_RESPONSE;
            }
        } else if ((size_t)(colon - p) == 10 && strncasecmp(p, "Connection", 10) == 0) {
            *close_after = strncasecmp(value, "close", 5) == 0;
        } else if ((size_t)(colon - p) == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0 &&
                   strncasecmp(value, "identity", 8) != 0) {
            snprintf(c->error, sizeof c->error, "Transfer-Encoding '%.20s' is not supported",
                     value);
            return PERF_HTTPC_BAD_RESPONSE;
        }
    }
    if (c->status == 204 || c->status == 304)
        *content_length = 0;
    if (*content_length > (long long)PERF_HTTPC_MAX_BODY_BYTES) {
        snprintf(c->error, sizeof c->error, "a %lld-byte body is over the %zu-byte limit",
                 *content_length, PERF_HTTPC_MAX_BODY_BYTES);
        return PERF_HTTPC_BAD_RESPONSE;
    }
    return PERF_HTTPC_OK;
}

/*
 * Whether the response in buf is whole: 1 yes, 0 not yet, or a failure.
 * Parses the head once it is in.
 */
static int response_complete(perf_httpc_t *c)
{
    int r;

    if (!c->head_bytes) {
        size_t end = head_end(c);
        if (!end) {
            if (c->len < PERF_HTTPC_MAX_HEAD_BYTES)
                return 0;
            snprintf(c->error, sizeof c->error, "response head over %d bytes",
                     PERF_HTTPC_MAX_HEAD_BYTES);
            return PERF_HTTPC_BAD_RESPONSE;
        }
        r = parse_head(c, end, &c->content_length, &c->close_after);
        if (r != PERF_HTTPC_OK)
            return r;
        if (c->content_length >= 0 && !reserve(c, end + (size_t)c->content_length))
            return PERF_HTTPC_IO_ERROR;
        c->head_bytes = end;
    }
    if (c->content_length < 0) {
        if (c->len - c->head_bytes <= PERF_HTTPC_MAX_BODY_BYTES)
            return 0;
        snprintf(c->error, sizeof c->error, "body over %zu bytes", PERF_HTTPC_MAX_BODY_BYTES);
        return PERF_HTTPC_BAD_RESPONSE;
    }
    return c->len >= c->head_bytes + (size_t)c->content_length;
}

/* The response in buf is whole (or ended by the peer): where its body is. */
static int response_done(perf_httpc_t *c)
{
    c->body = c->buf + c->head_bytes;
    c->body_size = c->content_length < 0 ? c->len - c->head_bytes : (size_t)c->content_length;
    if (c->close_after || c->content_length < 0)
        close_fd(c);
    c->request = NULL;
    return PERF_HTTPC_OK;
}

/*
 * Sends what is left of the request, then reads what the socket has:
 * PERF_HTTPC_OK with the whole response, PERF_HTTPC_PENDING with the
 * events to wait for, or a failure (PERF_HTTPC_NOT_ANSWERED when the
 * connection ended before any byte of the answer).
 */
static int step(perf_httpc_t *c, short *events)
{
    bool wrote = false;

    while (c->sent < c->request_size) {
        ssize_t n = send_some(c, c->request + c->sent, c->request_size - c->sent, events);
        if (n > 0) {
            c->sent += (size_t)n;
            wrote = true;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return PERF_HTTPC_PENDING;
        if (errno != EPROTO)
            snprintf(c->error, sizeof c->error, "send: %s", strerror(errno));
        return errno == EPIPE || errno == ECONNRESET ? PERF_HTTPC_NOT_ANSWERED
                                                     : PERF_HTTPC_IO_ERROR;
    }
    /* The answer cannot be in yet: a recv now would only say EAGAIN (TLS may hold records). */
    if (wrote && !c->session) {
        *events = POLLIN;
        return PERF_HTTPC_PENDING;
    }
    for (;;) {
        int done = response_complete(c);
        ssize_t n;
        if (done)
            return done > 0 ? response_done(c) : done;
        if (!reserve(c, c->len + PERF_HTTPC_INITIAL_BUFFER / 4))
            return PERF_HTTPC_IO_ERROR;
        n = recv_some(c, c->buf + c->len, c->cap - c->len, events);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n == 0) {
            if (c->head_bytes && c->content_length < 0)
                return response_done(c);
            snprintf(c->error, sizeof c->error, "the server closed the connection %s",
                     c->head_bytes ? "inside the body"
                     : c->len      ? "inside the response head"
                                   : "without answering");
            return c->len ? PERF_HTTPC_IO_ERROR : PERF_HTTPC_NOT_ANSWERED;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return PERF_HTTPC_PENDING;
        if (errno != EPROTO)
            snprintf(c->error, sizeof c->error, "receive: %s", strerror(errno));
        return c->len == 0 && errno == ECONNRESET ? PERF_HTTPC_NOT_ANSWERED : PERF_HTTPC_IO_ERROR;
    }
}

/* Starts sending the exchange's request, on a new connection when c has none. */
static int start_attempt(perf_httpc_t *c)
{
    c->reused = c->fd >= 0;
    if (!c->reused) {
        int r = open_connection(c, c->deadline_ns);
        if (r != PERF_HTTPC_OK)
            return r;
    }
    c->sent = 0;
    c->len = 0;
    c->head_bytes = 0;
    return PERF_HTTPC_PENDING;
}

perf_httpc_result_t perf_httpc_begin(perf_httpc_t *c, const void *request, size_t size)
{
    int r;

    c->status = 0;
    c->body = NULL;
    c->body_size = 0;
    c->error[0] = '\0';
    c->request = request;
    c->request_size = size;
    c->deadline_ns = perf_now_ns() + (int64_t)c->timeout_ms * NS_PER_MS;
    c->retried = false;
    r = start_attempt(c);
    if (r != PERF_HTTPC_PENDING)
        c->request = NULL;
    return (perf_httpc_result_t)r;
}

perf_httpc_result_t perf_httpc_advance(perf_httpc_t *c, short *events)
{
    assert(c->request);
    for (;;) {
        int r = step(c, events);
        if (r == PERF_HTTPC_OK || r == PERF_HTTPC_PENDING)
            return (perf_httpc_result_t)r;
        close_fd(c);
        /* An idle keep-alive connection the server dropped: it never saw the request. */
        if (r == PERF_HTTPC_NOT_ANSWERED && c->reused && !c->retried) {
            c->retried = true;
            r = start_attempt(c);
            if (r == PERF_HTTPC_PENDING)
                continue;
        }
        c->request = NULL;
        return r == PERF_HTTPC_NOT_ANSWERED ? PERF_HTTPC_IO_ERROR : (perf_httpc_result_t)r;
    }
}

void perf_httpc_abort(perf_httpc_t *c)
{
    snprintf(c->error, sizeof c->error, "%s within %d ms",
             c->sent < c->request_size ? "request not sent" : "no answer", c->timeout_ms);
    close_fd(c);
    c->request = NULL;
}

perf_httpc_result_t perf_httpc_exchange(perf_httpc_t *c, const void *request, size_t size)
{
    perf_httpc_result_t r = perf_httpc_begin(c, request, size);
    short events;

    while (r == PERF_HTTPC_PENDING && (r = perf_httpc_advance(c, &events)) == PERF_HTTPC_PENDING) {
        int ready = wait_fd(c->fd, events, c->deadline_ns);
        if (ready == 0) {
            perf_httpc_abort(c);
            return PERF_HTTPC_TIMEOUT;
        }
        if (ready < 0) {
            snprintf(c->error, sizeof c->error, "poll: %s", strerror(errno));
            close_fd(c);
            c->request = NULL;
            return PERF_HTTPC_IO_ERROR;
        }
    }
    return r;
}
