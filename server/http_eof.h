/*
 * http_eof.h - closing HTTP connections whose client has gone.
 *
 * libmicrohttpd 0.9.75 (epoll mode) can miss a client's close: when a
 * request's bytes and the FIN arrive before a pool thread reads, one epoll
 * edge reports both, the thread's read comes back short of its buffer, and
 * it stops reading until the next edge, which never comes. The connection
 * then sat in CLOSE-WAIT, counting toward --max-connections, until
 * --idle-timeout-secs (60 s by default): 200 clients that sent part of a
 * request and closed at once held 200 connections.
 *
 * The watch keeps the descriptor of every open connection (the daemon's
 * connection notifications add and remove it) and, on each sweep, peeks at
 * each: a socket with nothing left to read and the peer's FIN is shut for
 * reading, which wakes the pool thread's epoll again; the thread then reads
 * the end and closes the connection itself, as it would have after a FIN of
 * its own edge. Nothing else changes: an answer owed to a client that only
 * shut its sending side is still sent first (the daemon reads no more while
 * it answers).
 */
#ifndef INFERD_HTTP_EOF_H
#define INFERD_HTTP_EOF_H

#include <stdbool.h>

#include "status.h"

/* How often the acceptor sweeps: a gone client's connection closes within this. */
#define HTTP_EOF_SWEEP_MS 500

typedef struct http_eof_watch http_eof_watch_t;

/* Creates an empty watch into *out, which the caller frees with http_eof_watch_free. */
status_t http_eof_watch_create(http_eof_watch_t **out, error_t *err);

/*
 * Frees the watch. NULL is a no-op. Only once nothing calls in: after the
 * acceptor stopped sweeping and the daemon stopped notifying.
 */
void http_eof_watch_free(http_eof_watch_t *w);

/* A connection on fd started: watch it. False when out of memory (it goes unwatched). */
bool http_eof_watch_add(http_eof_watch_t *w, int fd);

/*
 * The connection on fd is closing: forget it. The daemon notifies before it
 * closes the socket, so the sweep never touches a descriptor reused since.
 */
void http_eof_watch_remove(http_eof_watch_t *w, int fd);

/*
 * Shuts for reading every watched socket whose client has gone, and stops
 * watching it (the daemon closes it now); returns how many.
 */
int http_eof_watch_sweep(http_eof_watch_t *w);

#endif
