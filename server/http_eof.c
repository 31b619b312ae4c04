#include "http_eof.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "log.h"

/*
 * The watched descriptors, unordered (fds[0, n)), and where each sits:
 * slot[fd] is its index in fds, or -1. Both arrays grow on demand, slot to
 * the largest descriptor seen, which the process's descriptor limit bounds.
 */
struct http_eof_watch {
    pthread_mutex_t lock; /* the sweep holds it, so a remove waits: no reused descriptor is shut */
    int *fds;
    int n, cap;
    int *slot;
    int n_slots;
};

status_t http_eof_watch_create(http_eof_watch_t **out, error_t *err)
{
    http_eof_watch_t *w = calloc(1, sizeof *w);

    *out = NULL;
    if (!w)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    pthread_mutex_init(&w->lock, NULL);
    *out = w;
    return STATUS_OK;
}

void http_eof_watch_free(http_eof_watch_t *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->lock);
    free(w->fds);
    free(w->slot);
    free(w);
}

/* Makes room for one more descriptor, fd; called with the lock held. */
static bool reserve(http_eof_watch_t *w, int fd)
{
    if (fd >= w->n_slots) {
        int grown = w->n_slots ? w->n_slots : 64;
        int *slot;
        while (grown <= fd)
            grown *= 2;
        slot = realloc(w->slot, (size_t)grown * sizeof *slot);
        if (!slot)
            return false;
        for (int i = w->n_slots; i < grown; i++)
            slot[i] = -1;
        w->slot = slot;
        w->n_slots = grown;
    }
    if (w->n == w->cap) {
        int grown = w->cap ? w->cap * 2 : 64;
        int *fds = realloc(w->fds, (size_t)grown * sizeof *fds);
        if (!fds)
            return false;
        w->fds = fds;
        w->cap = grown;
    }
    return true;
}

bool http_eof_watch_add(http_eof_watch_t *w, int fd)
{
    bool ok;

    assert(fd >= 0);
    pthread_mutex_lock(&w->lock);
    ok = reserve(w, fd);
    if (ok && w->slot[fd] < 0) {
        w->slot[fd] = w->n;
        w->fds[w->n++] = fd;
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

/* Drops fd from the watch if it is there; called with the lock held. */
static void forget(http_eof_watch_t *w, int fd)
{
    if (fd >= 0 && fd < w->n_slots && w->slot[fd] >= 0) {
        int at = w->slot[fd], last = w->fds[--w->n];
        w->fds[at] = last;
        w->slot[last] = at;
        w->slot[fd] = -1;
    }
}

void http_eof_watch_remove(http_eof_watch_t *w, int fd)
{
    pthread_mutex_lock(&w->lock);
    forget(w, fd);
    pthread_mutex_unlock(&w->lock);
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

int http_eof_watch_sweep(http_eof_watch_t *w)
{
    int shut = 0;

    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->n;) {
        int fd = w->fds[i];
        if (!client_gone(fd)) {
            i++;
            continue;
        }
        /* Once is enough: the daemon wakes from the shutdown, not the socket's state. */
        shutdown(fd, SHUT_RD);
        forget(w, fd); /* fds[i] is now another descriptor */
        shut++;
    }
    pthread_mutex_unlock(&w->lock);
    if (shut > 0)
        log_debug("http: %d connection(s) whose client had gone, closing", shut);
    return shut;
}
