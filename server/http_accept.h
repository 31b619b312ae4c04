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
 */
#ifndef INFERD_HTTP_ACCEPT_H
#define INFERD_HTTP_ACCEPT_H

#include <microhttpd.h>

#include "listen_address.h"
#include "status.h"

typedef struct http_acceptor http_acceptor_t;

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
 */
status_t http_acceptor_start(http_acceptor_t *acceptor, struct MHD_Daemon *daemon, error_t *err);

/*
 * Stops accepting (a connection already handed over stays with the
 * daemon), closes the listening socket and frees acceptor. NULL is a no-op.
 */
void http_acceptor_close(http_acceptor_t *acceptor);

#endif
