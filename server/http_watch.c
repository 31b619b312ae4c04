#include "http_watch.h"

#include <assert.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "log.h"

struct http_watch_conn {
    int fd;
    int at; /* index in the watch's conns, -1 once a sweep dropped it; under the lock */
    /* Written by the connection's pool thread, read by the sweep. */
    atomic_bool received;           /* the current request arrived whole */
    _Atomic unsigned requests_done; /* answered or abandoned, since the connection started */
    /* The sweep's own, under the lock. */
    unsigned done_seen;        /* requests_done at the last sweep */
    uint64_t bytes_base;       /* bytes the socket had received when a request last ended */
    int64_t arriving_since_ms; /* when a sweep first saw bytes of a request; 0: none */
};

/* The open connections, unordered (conns[0, n)). */
struct http_watch {
    pthread_mutex_t lock; /* the sweep holds it, so a remove waits: no reused descriptor is shut */
    http_watch_conn_t **conns;
    int n, cap;
    int64_t request_timeout_ms;
    http_watch_counts_t *counts;
    bool warned_no_count; /* the kernel gave no byte count: said once */
};

status_t http_watch_create(int64_t request_timeout_ms, http_watch_counts_t *counts,
                           http_watch_t **out, error_t *err)
{
    http_watch_t *w = calloc(1, sizeof *w);

    assert(request_timeout_ms >= 0 && counts);
    *out = NULL;
    if (!w)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    pthread_mutex_init(&w->lock, NULL);
    w->request_timeout_ms = request_timeout_ms;
    w->counts = counts;
    *out = w;
    return STATUS_OK;
}

void http_watch_free(http_watch_t *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n; i++)
        free(w->conns[i]);
    pthread_mutex_destroy(&w->lock);
    free(w->conns);
    free(w);
}

http_watch_conn_t *http_watch_add(http_watch_t *w, int fd)
{
    http_watch_conn_t *c = calloc(1, sizeof *c);

    assert(fd >= 0);
    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->received, false);
    atomic_init(&c->requests_done, 0);
    pthread_mutex_lock(&w->lock);
    if (w->n == w->cap) {
        int grown = w->cap ? w->cap * 2 : 64;
        http_watch_conn_t **conns = realloc(w->conns, (size_t)grown * sizeof *conns);
        if (!conns) {
            pthread_mutex_unlock(&w->lock);
            free(c);
            return NULL;
        }
        w->conns = conns;
        w->cap = grown;
    }
    c->at = w->n;
    w->conns[w->n++] = c;
    pthread_mutex_unlock(&w->lock);
    return c;
}

/* Takes c out of the sweep's list; called with the lock held. */
static void drop(http_watch_t *w, http_watch_conn_t *c)
{
    if (c->at >= 0) {
        http_watch_conn_t *last = w->conns[--w->n];
        w->conns[c->at] = last;
        last->at = c->at;
        c->at = -1;
    }
}

void http_watch_remove(http_watch_t *w, http_watch_conn_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&w->lock);
    drop(w, c);
    pthread_mutex_unlock(&w->lock);
    free(c);
}

void http_watch_request_received(http_watch_conn_t *c)
{
    if (c)
        atomic_store_explicit(&c->received, true, memory_order_relaxed);
}

void http_watch_request_done(http_watch_conn_t *c)
{
    if (!c)
        return;
    atomic_store_explicit(&c->received, false, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->requests_done, 1, memory_order_release);
}

/*
 * Whether the client of fd has gone and the daemon has read all it sent: a
 * peek finds the end of the stream (0) or a reset. Data still unread means
 * the daemon will read again; nothing and no end, a client that is idle.
 */
static bool client_gone(int fd)
{
    char byte;
    ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);

    if (got == 0)
        return true;
    return got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

/* The bytes fd has received since it opened (the kernel's count); false if it gives none. */
static bool bytes_received(int fd, uint64_t *out)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
        return false;
    *out = info.tcpi_bytes_received;
    return true;
}

/*
 * Whether c's request is overdue at now_ms: bytes came since the last
 * request ended, the request has not arrived whole, and the first sweep to
 * see them was request_timeout_ms ago. Called with the lock held.
 */
static bool request_overdue(http_watch_t *w, http_watch_conn_t *c, int64_t now_ms)
{
    unsigned done = atomic_load_explicit(&c->requests_done, memory_order_acquire);
    uint64_t bytes;

    if (!bytes_received(c->fd, &bytes)) {
        if (!w->warned_no_count) {
            log_warn("http: the kernel gives no received-byte count (TCP_INFO): "
                     "--request-timeout-secs cannot be enforced");
            w->warned_no_count = true;
        }
        return false;
    }
    if (done != c->done_seen) {
        /* A request ended since the last look: what came so far was its (or the next's start). */
        c->done_seen = done;
        c->bytes_base = bytes;
        c->arriving_since_ms = 0;
    }
    if (atomic_load_explicit(&c->received, memory_order_relaxed)) {
        c->arriving_since_ms = 0; /* being answered: that time is the server's, not the client's */
        return false;
    }
    if (bytes == c->bytes_base)
        return false; /* idle between requests: the idle timeout's business */
    if (c->arriving_since_ms == 0) {
        c->arriving_since_ms = now_ms;
        return false;
    }
    return now_ms - c->arriving_since_ms >= w->request_timeout_ms;
}

int http_watch_sweep(http_watch_t *w, int64_t now_ms)
{
    int gone = 0, late = 0;

    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->n;) {
        http_watch_conn_t *c = w->conns[i];
        /* Once is enough: the daemon wakes from the shutdown, not the socket's state. */
        if (client_gone(c->fd)) {
            shutdown(c->fd, SHUT_RD);
            gone++;
        } else if (w->request_timeout_ms > 0 && request_overdue(w, c, now_ms)) {
            shutdown(c->fd, SHUT_RDWR);
            late++;
        } else {
            i++;
            continue;
        }
        drop(w, c); /* conns[i] is now another connection */
    }
    pthread_mutex_unlock(&w->lock);
    if (gone > 0) {
        atomic_fetch_add_explicit(&w->counts->client_gone, (uint64_t)gone, memory_order_relaxed);
        log_debug("http: %d connection(s) whose client had gone, closing", gone);
    }
    if (late > 0) {
        atomic_fetch_add_explicit(&w->counts->request_timeout, (uint64_t)late,
                                  memory_order_relaxed);
        log_warn("http: closing %d connection(s) whose request took over %lld s to arrive "
                 "(--request-timeout-secs)",
                 late, (long long)(w->request_timeout_ms / 1000));
    }
    return gone + late;
}
