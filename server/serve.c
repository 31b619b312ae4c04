/*
 * serve.c - `inferd serve`: starts the repository and the front ends, then
 * waits for signals. SIGHUP reloads the TLS certificate, key and CAs (new
 * handshakes get them; open connections go on; a bad file is logged and
 * the current material kept). SIGTERM or SIGINT drains:
 *
 *   1. readiness turns false at once (liveness stays true), so the load
 *      balancer stops sending new work;
 *   2. the server keeps serving for --drain-delay-secs;
 *   3. it stops accepting connections (HTTP at once; gRPC once the
 *      clients waiting for answers have nothing on the wire, see
 *      grpc_drain.c), runs queued requests without waiting out their queue
 *      delay, and waits, up to --exit-timeout-secs, for every accepted
 *      request to be answered;
 *   4. gRPC closes its connections (calls it refused and streams still open
 *      end UNAVAILABLE) and shuts down, the batchers drain, everything is
 *      freed, and the process exits 0.
 */
#include <errno.h>
#include <malloc.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "grpc_server.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "monotonic.h"
#include "repository.h"
#include "server_config.h"
#include "server_state.h"
#include "tls.h"

/*
 * How often the main thread, otherwise idle, trims the allocator
 * (release_free_memory): often enough that a busy server's freed pages do
 * not pile up between trims (at 10 s they swung RSS by 3 MB), and a trim
 * of heaps this size takes well under a millisecond.
 */
#define SERVE_TRIM_INTERVAL_MS 1000
/* malloc arenas per core (limit_arenas). */
#define SERVE_ARENAS_PER_CORE 2
/* Free bytes a malloc heap keeps at its top between trims (keep_heap_top). */
#define SERVE_TRIM_THRESHOLD_BYTES (4 << 20)
/* How often the drain checks for in-flight requests. */
#define SERVE_DRAIN_POLL_MS 20

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Milliseconds left until deadline_ms (monotonic), 0 once it has passed. */
static long left_ms(int64_t deadline_ms)
{
    int64_t left = deadline_ms - monotonic_ms();
    return left > 0 ? (long)left : 0;
}

/* Waits for every accepted request to be answered, until deadline_ms (monotonic). */
static bool wait_in_flight(server_state_t *state, int64_t deadline_ms)
{
    while (atomic_load(&state->in_flight) != 0) {
        if (left_ms(deadline_ms) == 0)
            return false;
        sleep_ms(SERVE_DRAIN_POLL_MS);
    }
    return true;
}

/* Set by the handlers, on whichever thread the kernel picked to run them. */
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reload_requested;
static sem_t signal_posted;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    sem_post(&signal_posted);
}

static void on_reload_signal(int sig)
{
    reload_requested = 1;
    sem_post(&signal_posted);
}

/*
 * Waits for a signal: the stop signal's number, 0 when it was a reload
 * request, -1 when SERVE_TRIM_INTERVAL_MS passed without one.
 */
static int wait_for_signal(void)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(SERVE_TRIM_INTERVAL_MS % 1000) * 1000000;
    until.tv_sec += SERVE_TRIM_INTERVAL_MS / 1000 + until.tv_nsec / 1000000000;
    until.tv_nsec %= 1000000000;
    while (sem_timedwait(&signal_posted, &until) != 0)
        if (errno == ETIMEDOUT)
            return -1;
    return stop_signal;
}

/*
 * Hands the allocator's free pages back to the kernel. glibc keeps the
 * freed pages of its per-thread arenas resident, and request-sized buffers
 * freed between long-lived allocations (on threads the gRPC core adds
 * under load, too) leave them scattered where its own trimming of the
 * heap's top never reaches: the soak (docs/soak.md) saw RSS creep by 4 %
 * over 900,000 requests while live memory stayed flat.
 */
static void release_free_memory(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/*
 * Caps glibc's malloc arenas at SERVE_ARENAS_PER_CORE per core (its
 * default is 8) unless MALLOC_ARENA_MAX says otherwise. The gRPC core adds
 * executor threads under load and each new thread that allocates may get
 * an arena of its own, which stays; the soak saw RSS step up when that
 * happened well into a run. The server's threads mostly wait, and kernel
 * threads do not allocate per request, so a few arenas per core are
 * contended little.
 */
static void limit_arenas(void)
{
#ifdef __GLIBC__
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, (int)((cores > 0 ? cores : 1) * SERVE_ARENAS_PER_CORE));
#endif
}

/*
 * Lets each malloc heap keep SERVE_TRIM_THRESHOLD_BYTES free at its top
 * (glibc's default is 128 KiB; main.c's fixed mmap threshold stops glibc
 * from raising it itself). At the default, a thread's heap grew and was
 * trimmed back every few requests: page faults, madvise and the TLB
 * shootdowns they cause were 1/7 of the server's CPU for gRPC at 64
 * clients, whose core allocates a call arena per call.
 * release_free_memory still returns what stays free every second.
 */
static void keep_heap_top(void)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, SERVE_TRIM_THRESHOLD_BYTES);
#endif
}

/* SIGHUP: reads the TLS files again; on failure the server keeps what it has. */
static void reload_tls(tls_store_t *tls)
{
    char description[PATH_MAX * 2 + 256];
    error_t err = {0};

    if (!tls) {
        log_info("SIGHUP: TLS is off, nothing to reload");
        return;
    }
    if (tls_store_reload(tls, &err)) {
        log_error("SIGHUP: TLS reload failed, keeping the current certificate: %s", err.message);
        return;
    }
    tls_store_describe(tls, description, sizeof description);
    log_info("SIGHUP: TLS reloaded: %s", description);
}

/* The engine's warnings (a layer on reference code) go to the server's log. */
static void engine_warning(const char *message)
{
    log_warn("%s", message);
}

int cli_serve(int argc, char **argv)
{
    server_config_t cfg;
    server_state_t state = {0};
    repository_t *repo = NULL;
    http_server_t *http = NULL;
    grpc_frontend_t *grpc = NULL;
    metrics_server_t *metrics = NULL;
    tls_store_t *tls = NULL;
    char description[PATH_MAX * 2 + 256];
    sigset_t signals;
    struct sigaction action = {0};
    error_t err = {0};
    bool help = false;
    status_t st;
    int sig;
    int64_t drain_deadline_ms;

    st = server_config_parse(argc - 1, argv + 1, &cfg, &help, &err);
    if (st) {
        fprintf(stderr, "inferd serve: %s\n(see inferd serve --help)\n", err.message);
        return 2;
    }
    if (help)
        return 0;
    log_init(cfg.log_level, cfg.log_format);
    engine_set_warning_handler(engine_warning);
    atomic_init(&state.ready, false);
    atomic_init(&state.draining, false);
    atomic_init(&state.closing, false);
    atomic_init(&state.in_flight, 0);
    body_budget_init(&state.bodies, cfg.body_memory_limit
                                        ? cfg.body_memory_limit
                                        : body_budget_default_limit(cfg.max_body_bytes));
    log_info("request bodies: at most %llu bytes held at once (--body-memory-limit)",
             (unsigned long long)state.bodies.limit);
    /*
     * A handler, not sigwait: threads that libraries start before main
     * (OpenBLAS) do not block the signals, and the default action taken on
     * one of them would end the process without a drain. Threads started
     * from here on inherit the mask, so the signals do not interrupt them.
     * SIGHUP's default would end the process: it is handled from the start.
     */
    sem_init(&signal_posted, 0, 0);
    limit_arenas();
    keep_heap_top();
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    action.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &action, NULL);
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Before any model loads; nothing opens libascendcl.so until an .om model does. */
    backend_configure(&(backend_settings_t){.ascend_library = cfg.ascend_library});
    state.shm = shm_registry_create();
    st = state.shm ? tls_store_create(&cfg, &tls, &err)
                   : error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (!st)
        st = repository_create(&cfg, &repo, &err);
    if (!st)
        st = http_server_start(&cfg, repo, &state, tls, &http, &err);
    if (!st)
        st = grpc_frontend_start(&cfg, repo, &state, tls, &grpc, &err);
    if (!st && cfg.metrics_port >= 0)
        st = metrics_server_start(&cfg, repo, &state, cfg.metrics_tls ? tls : NULL, &metrics, &err);
    if (st) {
        log_error("cannot start: %s", err.message);
        goto cleanup;
    }
    if (tls) {
        tls_store_describe(tls, description, sizeof description);
        log_info("tls on http, grpc%s (client certificates: %s): %s",
                 cfg.metrics_tls && metrics ? " and metrics" : "",
                 cfg.tls_client_auth == TLS_CLIENT_AUTH_REQUIRE   ? "required"
                 : cfg.tls_client_auth == TLS_CLIENT_AUTH_REQUEST ? "requested"
                                                                  : "not asked for",
                 description);
    }
    atomic_store(&state.ready, true);
    /* Its own line, before "ready:", whose format clients and tests parse. */
    log_info("grpc on %s:%d", cfg.bind_address, grpc_frontend_port(grpc));
    log_info("ready: http on %s:%d, metrics on %s:%d, repository %s", cfg.bind_address,
             http_server_port(http), cfg.bind_address, metrics ? metrics_server_port(metrics) : -1,
             cfg.model_repository);

    pthread_sigmask(SIG_UNBLOCK, &signals, NULL);
    while ((sig = wait_for_signal()) <= 0) {
        if (sig < 0)
            release_free_memory();
        if (reload_requested) {
            reload_requested = 0;
            reload_tls(tls);
        }
    }
    atomic_store(&state.draining, true);
    atomic_store(&state.ready, false);
    log_info("signal %d: not ready; serving for %d s more, then draining", sig,
             cfg.drain_delay_secs);
    sleep_ms((long)cfg.drain_delay_secs * 1000);
    atomic_store(&state.closing, true);
    /* One deadline for the whole drain, so that it never takes longer than the exit timeout. */
    drain_deadline_ms = monotonic_ms() + (int64_t)cfg.exit_timeout_secs * 1000;
    http_server_quiesce(http);
    grpc_frontend_quiesce(grpc);
    log_info("stopped accepting connections; %d requests in flight", atomic_load(&state.in_flight));
    /* Queued requests run now: a long queue delay must not hold their answers past the deadline. */
    repository_hurry(repo);
    if (!wait_in_flight(&state, drain_deadline_ms))
        log_warn("exit timeout: %d requests still in flight", atomic_load(&state.in_flight));
    /* The first call on each open gRPC connection since the quiesce runs now, on live batchers. */
    if (!grpc_frontend_drain(grpc, left_ms(drain_deadline_ms)))
        log_warn("exit timeout: gRPC calls still open are cut off");
    /* Queued work still completes; its connections resume before the daemon stops. */
    repository_drain(repo);
    wait_in_flight(&state, drain_deadline_ms);
cleanup:
    http_server_stop(http);
    /* After repository_drain: no batcher completion can reach a gRPC call any more. */
    grpc_frontend_stop(grpc);
    metrics_server_stop(metrics);
    repository_free(repo);
    /* After every call that could hold a region. */
    shm_registry_free(state.shm);
    /* After every model and worker: a device runtime finalizes last (aclFinalize). */
    backend_shutdown();
    /* After every daemon and the gRPC server: their handshakes read it. */
    tls_store_free(tls);
    log_info("stopped");
    return st ? 1 : 0;
}
