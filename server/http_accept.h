/*
 * http_accept.h - the HTTP port's listening socket and the thread that
 * accepts on it, handing each connection to libmicrohttpd's pool.
 *
 * libmicrohttpd's own accept keeps a connection on the pool thread that
 * accepted it, and the thread woken by a burst of connections accepts them
 * all: wrk's 16 or 64 connections, or a load balancer's keep-alive pool,
 * all landed on one of 4 threads, which then parsed every request while
 * the others slept. MHD_add_connection on the pool's daemon spreads them
 * by socket number instead.
 *
 * The acceptor also enforces --max-connections, closing a connection over
 * it at once: libmicrohttpd 0.9.75 deadlocks a pool thread that reaches
 * its own limit with connections added this way (seen here: a burst of 50
 * connections against a limit of 4 hung the server's stop), so the pool's
 * limit is set where no thread can reach it.
 */
#ifndef INFERD_HTTP_ACCEPT_H
#define INFERD_HTTP_ACCEPT_H

#include <microhttpd.h>
#include <stdatomic.h>

#include "http_watch.h"
#include "log.h"
#include "listen_address.h"
#include "status.h"

typedef struct http_acceptor http_acceptor_t;

/* The daemon's connections, kept by its owner from the daemon's connection notifications. */
typedef struct http_conn_count {
    atomic_int open;     /* started and not yet closed */
    atomic_uint started; /* ever started: the acceptor tells from it which are still queued */
} http_conn_count_t;

/*
 * Binds and listens on addr (port 0: any free one), reporting the bound
 * port in *port. Nothing is accepted before http_acceptor_start. The
 * caller owns *out and frees it with http_acceptor_close.
 */
status_t http_acceptor_open(const listen_address_t *addr, http_acceptor_t **out, int *port,
                            error_t *err);

/*
 * Starts accepting into daemon, which must have been started with
 * MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC and must outlive the acceptor.
 * When the daemon's open connections (*count) and those handed over but
 * not yet started add up to max_connections, a new connection is closed.
 * Every HTTP_WATCH_SWEEP_MS the thread also sweeps watch (http_watch.h)
 * and flushes daemon_log (the daemon's limited log lines, log.h); both
 * must outlive the acceptor too.
 */
status_t http_acceptor_start(http_acceptor_t *acceptor, struct MHD_Daemon *daemon,
                             const http_conn_count_t *count, http_watch_t *watch,
                             log_limit_t *daemon_log, int max_connections, error_t *err);

/*
 * The connection limit to start the daemon with: one no pool thread of
 * `threads` can reach while the acceptor enforces its own (see above).
 */
unsigned http_acceptor_daemon_limit(int threads);

/*
 * Stops accepting (a connection already handed over stays with the
 * daemon), closes the listening socket and frees acceptor. NULL is a no-op.
 */
void http_acceptor_close(http_acceptor_t *acceptor);

#endif
