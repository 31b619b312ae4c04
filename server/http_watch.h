/*
 * http_watch.h - closing HTTP connections that libmicrohttpd would hold:
 * those whose client has gone, and those whose request takes too long to
 * arrive.
 *
 * Gone clients. libmicrohttpd 0.9.75 (epoll mode) can miss a client's
 * close: when a request's bytes and the FIN arrive before a pool thread
 * reads, one epoll edge reports both, the thread's read comes back short of
 * its buffer, and it stops reading until the next edge, which never comes.
 * The connection then sat in CLOSE-WAIT, counting toward --max-connections,
 * until --idle-timeout-secs (60 s by default): 200 clients that sent part
 * of a request and closed at once held 200 connections.
 *
 * Slow requests. libmicrohttpd's only deadline is the idle timeout, which
 * every byte that arrives restarts: a client sending a request a byte at a
 * time held its connection for as long as it liked, and enough such
 * clients held every connection the server allows. With a request timeout,
 * a request must arrive whole within that time of its first byte (request
 * line, headers and body, and a new TLS connection's handshake with its
 * first request; the time the server then takes to answer does not
 * count). The first byte is seen in the kernel's count of the bytes the
 * socket received (TCP_INFO), since the daemon reads each byte as it comes,
 * even one of a request line it cannot parse yet.
 *
 * The watch keeps a record of every open connection (the daemon's
 * connection notifications add and remove it; the request hooks mark a
 * request received and done) and, on each sweep, looks at each socket. One
 * to close is shut (for reading when its client has gone, both ways when
 * its request is late), which wakes the pool thread's epoll again; the
 * thread then reads the end and closes the connection itself, as after a
 * close of the client's own. An answer owed to a client that only shut its
 * sending side after a whole request is still sent first (the daemon reads
 * no more while it answers).
 */
#ifndef INFERD_HTTP_WATCH_H
#define INFERD_HTTP_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "status.h"

/* How often the acceptor sweeps: a connection to close is closed within this of being due. */
#define HTTP_WATCH_SWEEP_MS 500

/* Connections the sweeps closed, by reason; relaxed atomics that metrics read. */
typedef struct http_watch_counts {
    _Atomic uint64_t client_gone;
    _Atomic uint64_t request_timeout;
} http_watch_counts_t;

typedef struct http_watch http_watch_t;
typedef struct http_watch_conn http_watch_conn_t;

/*
 * Creates an empty watch into *out, which the caller frees with
 * http_watch_free. A request may take request_timeout_ms to arrive (0: no
 * limit); closings are counted in *counts, which must outlive the watch.
 */
status_t http_watch_create(int64_t request_timeout_ms, http_watch_counts_t *counts,
                           http_watch_t **out, error_t *err);

/*
 * Frees the watch and any record left in it. NULL is a no-op. Only once
 * nothing calls in: after the acceptor stopped sweeping and the daemon
 * stopped notifying.
 */
void http_watch_free(http_watch_t *w);

/*
 * A connection on fd started: returns its record, which the watch owns
 * until http_watch_remove, or NULL when out of memory (the connection then
 * goes unwatched).
 */
http_watch_conn_t *http_watch_add(http_watch_t *w, int fd);

/*
 * The connection is closing: frees its record. NULL is a no-op. The daemon
 * notifies before it closes the socket, so a sweep never touches a
 * descriptor reused since.
 */
void http_watch_remove(http_watch_t *w, http_watch_conn_t *c);

/*
 * The request on c has arrived whole: the time the server takes to answer it
 * does not count against the request timeout. NULL is a no-op. Called by
 * the connection's own pool thread, without a lock.
 */
void http_watch_request_received(http_watch_conn_t *c);

/* The request on c is answered (or abandoned): the next one is timed afresh. NULL: no-op. */
void http_watch_request_done(http_watch_conn_t *c);

/*
 * Shuts every watched socket whose client has gone or whose request is
 * overdue at now_ms, and stops watching it (the daemon closes it now);
 * returns how many.
 */
int http_watch_sweep(http_watch_t *w, int64_t now_ms);

#endif
