/*
 * perf_httpc.h - the HTTP/1.1 client of `inferd perf` and `inferd health`:
 * one keep-alive connection over a non-blocking socket, optionally TLS
 * (GnuTLS), one exchange at a time. It sends prepared request bytes and
 * reads the status line, the headers and a Content-Length body; every wait
 * (the TLS handshake included) is bounded by the timeout.
 *
 * An exchange either blocks (perf_httpc_exchange) or is driven by the
 * caller's event loop: perf_httpc_begin, then perf_httpc_advance each time
 * the socket is ready for the events it asked for, and perf_httpc_abort
 * when its deadline passes first. Connecting (and the TLS handshake) blocks
 * in both, bounded by the timeout: it happens once per kept-alive connection.
 */
#ifndef INFERD_PERF_HTTPC_H
#define INFERD_PERF_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "perf.h"

/* Longest wait for a connection, within the request's timeout. */
#define PERF_HTTPC_CONNECT_TIMEOUT_MS 3000
/* Largest response head (status line and headers). */
#define PERF_HTTPC_MAX_HEAD_BYTES (64 * 1024)
/* Largest response body. */
#define PERF_HTTPC_MAX_BODY_BYTES ((size_t)1 << 30)
/* First size of the receive buffer; it grows as responses need. */
#define PERF_HTTPC_INITIAL_BUFFER (64 * 1024)

typedef enum perf_httpc_result {
    PERF_HTTPC_OK,
    PERF_HTTPC_CONNECT_FAILED,
    PERF_HTTPC_TIMEOUT,
    PERF_HTTPC_IO_ERROR,     /* reset, closed early, out of memory */
    PERF_HTTPC_BAD_RESPONSE, /* not HTTP/1.x, or too large */
    PERF_HTTPC_PENDING,      /* under way: wait for the events perf_httpc_advance names */
} perf_httpc_result_t;

/*
 * TLS for a client's connections; the caller owns it (and the
 * credentials) for as long as the client is used.
 */
typedef struct perf_httpc_tls {
    gnutls_certificate_credentials_t credentials; /* trust and any client certificate */
    const char *server_name; /* the server's host name or address: SNI, and checked when verify */
    bool verify;             /* the server's chain must verify against the credentials' trust */
} perf_httpc_tls_t;

typedef struct perf_httpc {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int timeout_ms;
    int fd;                      /* -1: not connected */
    const perf_httpc_tls_t *tls; /* NULL: plain HTTP */
    gnutls_session_t session;    /* the connection's TLS session, or NULL */
    unsigned char *buf;
    size_t cap;
    size_t len;
    /* The last exchange's answer; body points into buf until the next one. */
    int status;
    const unsigned char *body;
    size_t body_size;
    char error[PERF_ERROR_MAX]; /* why the last exchange failed */
    /* The exchange under way: its request (the caller's), NULL when none is. */
    const unsigned char *request;
    size_t request_size;
    size_t sent;
    int64_t deadline_ns;      /* perf_now_ns's clock */
    bool reused;              /* this attempt went out on a kept-alive connection */
    bool retried;             /* the request was sent again on a new one */
    size_t head_bytes;        /* the response head's length once read, else 0 */
    long long content_length; /* -1: the body runs to the end of the connection */
    bool close_after;
} perf_httpc_t;

/* Resolves host and port (TCP); false with a message in err. */
bool perf_httpc_resolve(const char *host, const char *port, struct sockaddr_storage *addr,
                        socklen_t *addr_len, char *err, size_t size);

/* Sets c up, not connected yet; perf_httpc_close releases it. */
void perf_httpc_init(perf_httpc_t *c, const struct sockaddr_storage *addr, socklen_t addr_len,
                     int timeout_ms);

/* Speaks TLS on c's later connections (tls is borrowed); NULL goes back to plain HTTP. */
void perf_httpc_use_tls(perf_httpc_t *c, const perf_httpc_tls_t *tls);

/*
 * Sends request (a whole HTTP/1.1 request, the caller's) and reads the
 * response, connecting first if needed. A kept-alive connection the
 * server closed before answering is reopened and the request sent once
 * more: the server never saw it. The connection closes on any failure
 * and after "Connection: close".
 */
perf_httpc_result_t perf_httpc_exchange(perf_httpc_t *c, const void *request, size_t size);

/*
 * Starts an exchange as perf_httpc_exchange does, without waiting past a
 * connect: PERF_HTTPC_PENDING, or why it could not start. request stays the
 * caller's until the exchange ends. c->deadline_ns is its deadline.
 */
perf_httpc_result_t perf_httpc_begin(perf_httpc_t *c, const void *request, size_t size);

/*
 * Moves the exchange on without blocking: PERF_HTTPC_PENDING with the
 * poll events to wait for in *events (c->fd may have changed: a dropped
 * kept-alive connection is reopened once), or its end.
 */
perf_httpc_result_t perf_httpc_advance(perf_httpc_t *c, short *events);

/* Ends the exchange under way at its deadline: closes the connection, says so in c->error. */
void perf_httpc_abort(perf_httpc_t *c);

/* Closes the connection and frees the buffer; c may be half set up. */
void perf_httpc_close(perf_httpc_t *c);

#endif
