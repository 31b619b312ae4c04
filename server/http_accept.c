#include "http_accept.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "monotonic.h"

/*
 * After accept fails for want of descriptors or memory, the acceptor waits
 * this long before trying again: the pending connection stays in the
 * backlog instead of spinning the thread.
 */
#define HTTP_ACCEPT_BACKOFF_MS 10
/* At most one warning per this many ms about such failures, and about the connection limit. */
#define HTTP_ACCEPT_WARN_EVERY_MS 1000
/*
 * The daemon's limit per pool thread when the descriptor limit does not
 * bound it: more connections than any process can have descriptors for.
 */
#define HTTP_ACCEPT_THREAD_CONNECTIONS_MAX (1u << 22)
/*
 * A connection handed over and not started after this long was dropped by
 * the daemon (it closes one it cannot set up, without a notification): it
 * stops counting toward the limit. A pool thread takes one in microseconds.
 */
#define HTTP_ACCEPT_QUEUED_STALE_MS 1000

struct http_acceptor {
    int listen_fd;
    int stop_fd; /* an eventfd: written once, by http_acceptor_close */
    struct MHD_Daemon *daemon;
    const http_conn_count_t *count;
    http_watch_t *watch;
    log_limit_t *daemon_log;
    int max_connections;
    unsigned handed;       /* connections handed over, less those given up as dropped */
    unsigned seen_started; /* count->started when last read */
    int64_t progress_ms;   /* when a queued connection last started, or the queue last filled */
    pthread_t thread;
    sem_t named;             /* posted once the thread has its name */
    bool running;            /* the thread was started */
    int64_t warned_ms;       /* when the last accept failure was logged */
    int64_t limit_warned_ms; /* when the connection limit was last logged */
};

/* True at most once per HTTP_ACCEPT_WARN_EVERY_MS for each *last_ms: time to log again. */
static bool warning_due(int64_t *last_ms)
{
    int64_t now = monotonic_ms();

    if (now - *last_ms < HTTP_ACCEPT_WARN_EVERY_MS)
        return false;
    *last_ms = now;
    return true;
}

/* Waits for the stop signal at most ms; true when it came. */
static bool stopped_within(const http_acceptor_t *a, int ms)
{
    struct pollfd p = {.fd = a->stop_fd, .events = POLLIN};
    return poll(&p, 1, ms) > 0;
}

/* Connections handed over that the daemon has not started yet. */
static unsigned queued(http_acceptor_t *a)
{
    unsigned started = atomic_load(&a->count->started);
    unsigned q;

    if (started != a->seen_started) {
        a->seen_started = started;
        a->progress_ms = monotonic_ms();
    }
    /* One given up as dropped may still start after all. */
    if ((int)(a->handed - started) < 0)
        a->handed = started;
    q = a->handed - started;
    if (q > 0 && monotonic_ms() - a->progress_ms > HTTP_ACCEPT_QUEUED_STALE_MS) {
        a->handed = started;
        q = 0;
    }
    return q;
}

/* Hands fd to the daemon, or closes it when the connection limit is reached. */
static void hand_over(http_acceptor_t *a, int fd, const struct sockaddr_storage *addr,
                      socklen_t len)
{
    unsigned waiting = queued(a);
    int open = atomic_load(&a->count->open) + (int)waiting;

    if (open >= a->max_connections) {
        close(fd);
        if (warning_due(&a->limit_warned_ms))
            log_warn("http: %d connections open, the limit (--max-connections): closing new ones",
                     open);
        return;
    }
    /* MHD makes the socket non-blocking itself, and closes it when it cannot take it. */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (MHD_add_connection(a->daemon, fd, (const struct sockaddr *)addr, len) != MHD_YES) {
        log_debug("http: a connection was refused: %s", strerror(errno));
        return;
    }
    if (waiting == 0)
        a->progress_ms = monotonic_ms();
    a->handed++;
}

/* Accepts every pending connection; false once accepting should pause (see the backoff). */
static bool accept_pending(http_acceptor_t *a)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = accept(a->listen_fd, (struct sockaddr *)&addr, &len);
        int cause = errno; /* before anything else can change it */

        if (fd >= 0) {
            hand_over(a, fd, &addr, len);
            continue;
        }
        switch (cause) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return true;
        case EINTR:
        case ECONNABORTED: /* the client gave up while queued: the next one may be fine */
        case EPROTO:
            continue;
        default:
            /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the process or system is short of something. */
            if (warning_due(&a->warned_ms))
                log_warn("http: cannot accept connections: %s", strerror(cause));
            return false;
        }
    }
}

static void *accept_main(void *arg)
{
    http_acceptor_t *a = arg;
    struct pollfd p[2] = {{.fd = a->listen_fd, .events = POLLIN},
                          {.fd = a->stop_fd, .events = POLLIN}};
    int64_t swept_ms = monotonic_ms();

    prctl(PR_SET_NAME, "http-accept");
    sem_post(&a->named);
    for (;;) {
        int64_t now = monotonic_ms(), wait_ms = swept_ms + HTTP_WATCH_SWEEP_MS - now;

        if (wait_ms <= 0) {
            http_watch_sweep(a->watch, now);
            log_limit_flush(a->daemon_log);
            swept_ms = now;
            wait_ms = HTTP_WATCH_SWEEP_MS;
        }
        if (poll(p, 2, (int)wait_ms) < 0) {
            if (errno == EINTR)
                continue;
            log_error("http: the acceptor cannot poll: %s", strerror(errno));
            break;
        }
        if (p[1].revents)
            break;
        if (p[0].revents && !accept_pending(a) && stopped_within(a, HTTP_ACCEPT_BACKOFF_MS))
            break;
    }
    return NULL;
}

status_t http_acceptor_open(const listen_address_t *addr, http_acceptor_t **out, int *port,
                            error_t *err)
{
    http_acceptor_t *a = calloc(1, sizeof *a);
    int family = addr->addr.ss_family;
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_storage bound;
    int on = 1;
    status_t st = STATUS_OK;

    *out = NULL;
    if (!a)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    a->stop_fd = -1;
    a->listen_fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->listen_fd < 0) {
        st = error_set(err, STATUS_IO, "socket: %s", strerror(errno));
        goto cleanup;
    }
    /* As libmicrohttpd did: a restart may bind while old connections linger in TIME_WAIT. */
    setsockopt(a->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    /* An IPv6 address serves IPv6 only, as --bind-address says. */
    if (family == AF_INET6)
        setsockopt(a->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(a->listen_fd, (const struct sockaddr *)&addr->addr, len) != 0 ||
        listen(a->listen_fd, SOMAXCONN) != 0) {
        st = error_set(err, STATUS_IO, "%s", strerror(errno));
        goto cleanup;
    }
    len = sizeof bound;
    if (getsockname(a->listen_fd, (struct sockaddr *)&bound, &len) != 0) {
        st = error_set(err, STATUS_IO, "getsockname: %s", strerror(errno));
        goto cleanup;
    }
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                     : ((struct sockaddr_in *)&bound)->sin_port);
    a->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (a->stop_fd < 0)
        st = error_set(err, STATUS_IO, "eventfd: %s", strerror(errno));

cleanup:
    if (st) {
        http_acceptor_close(a);
        return st;
    }
    *out = a;
    return STATUS_OK;
}

unsigned http_acceptor_daemon_limit(int threads)
{
    struct rlimit nofile;
    rlim_t per_thread = HTTP_ACCEPT_THREAD_CONNECTIONS_MAX;

    /* A pool thread cannot hold more connections than the process has descriptors. */
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < per_thread)
        per_thread = nofile.rlim_cur;
    assert(threads > 0 && (rlim_t)threads * per_thread <= UINT_MAX);
    return (unsigned)((rlim_t)threads * per_thread);
}

status_t http_acceptor_start(http_acceptor_t *a, struct MHD_Daemon *daemon,
                             const http_conn_count_t *count, http_watch_t *watch,
                             log_limit_t *daemon_log, int max_connections, error_t *err)
{
    assert(!a->running);
    a->daemon = daemon;
    a->count = count;
    a->watch = watch;
    a->daemon_log = daemon_log;
    a->seen_started = atomic_load(&count->started);
    a->handed = a->seen_started;
    a->max_connections = max_connections;
    if (sem_init(&a->named, 0, 0) != 0)
        return error_set(err, STATUS_INTERNAL, "cannot start the HTTP acceptor thread");
    if (pthread_create(&a->thread, NULL, accept_main, a) != 0) {
        sem_destroy(&a->named);
        return error_set(err, STATUS_INTERNAL, "cannot start the HTTP acceptor thread");
    }
    a->running = true;
    /* Named before the server says it is ready: tools (and tests) find it by name at once. */
    while (sem_wait(&a->named) != 0 && errno == EINTR)
        ;
    return STATUS_OK;
}

void http_acceptor_close(http_acceptor_t *a)
{
    if (!a)
        return;
    if (a->running) {
        uint64_t one = 1;
        /* An eventfd write of 1 cannot fail short of overflowing its counter. */
        if (write(a->stop_fd, &one, sizeof one) != (ssize_t)sizeof one)
            log_error("http: cannot stop the acceptor: %s", strerror(errno));
        pthread_join(a->thread, NULL);
        sem_destroy(&a->named);
    }
    if (a->listen_fd >= 0)
        close(a->listen_fd);
    if (a->stop_fd >= 0)
        close(a->stop_fd);
    free(a);
}
