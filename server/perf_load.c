/*
 * perf_load.c - the workers of `inferd perf`: one thread and one client
 * (connection) each, created before the clock starts so set-up is not
 * measured.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "perf_load.h"
#include "perf_report.h"

#define NS_PER_SEC 1000000000.0
#define NS_PER_MS  1000000

typedef struct load {
    const perf_options_t *o;
    const perf_transport_t *t;
    perf_stats_t *stats;
    perf_window_t w;
    atomic_bool stop; /* set when the workers could not all start */
    bool open_loop;
    pthread_mutex_t lock;     /* the open loop's schedule: */
    uint64_t slots;           /* slots taken so far */
    double poisson_offset_ns; /* the next Poisson slot, after w.start_ns */
    uint64_t rng;
} load_t;

typedef struct worker {
    load_t *load;
    void *client;
    pthread_t thread;
    bool started;
} worker_t;

static void sleep_until(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* xorshift64*: uniform in [0, 1). */
static double uniform(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

/* Takes the next send time off the schedule. Called with the lock held. */
static int64_t take_slot(load_t *l)
{
    double offset_ns;

    if (l->o->distribution == PERF_POISSON) {
        offset_ns = l->poisson_offset_ns;
        l->poisson_offset_ns += -log(1.0 - uniform(&l->rng)) * NS_PER_SEC / l->o->request_rate;
    } else {
        /* k x 1e9 / R rather than a running sum: R x D slots fit exactly in D seconds. */
        offset_ns = (double)l->slots * NS_PER_SEC / l->o->request_rate;
    }
    l->slots++;
    return l->w.start_ns + llround(offset_ns);
}

/* The next send time; false when the run is over. */
static bool next_send(load_t *l, int64_t *send_ns)
{
    bool more;

    if (atomic_load(&l->stop))
        return false;
    if (!l->open_loop) {
        *send_ns = perf_now_ns();
        return *send_ns < l->w.end_ns;
    }
    pthread_mutex_lock(&l->lock);
    *send_ns = take_slot(l);
    more = *send_ns < l->w.end_ns;
    /* A slot still due when the run has ended stays unsent (counted by perf_load_run). */
    if (more && perf_now_ns() >= l->w.end_ns) {
        atomic_fetch_add(&l->stats->unsent, 1);
        more = false;
    }
    pthread_mutex_unlock(&l->lock);
    if (more) {
        sleep_until(*send_ns);
        perf_stats_send_lag(l->stats, (perf_now_ns() - *send_ns) / 1000);
    }
    return more;
}

static void *worker_main(void *arg)
{
    worker_t *wk = arg;
    load_t *l = wk->load;
    int64_t send_ns;

    while (next_send(l, &send_ns)) {
        char kind[PERF_KIND_MAX] = "";
        perf_outcome_t outcome = l->t->infer(wk->client, kind, sizeof kind);
        int64_t done_ns = perf_now_ns();

        perf_stats_record(l->stats, send_ns >= l->w.warmup_ns, outcome == PERF_OK,
                          (done_ns - send_ns) / 1000, done_ns, kind);
        /* A server that is down refuses at once: do not spin on it. */
        if (outcome == PERF_UNREACHABLE)
            sleep_until(done_ns + (int64_t)PERF_RECONNECT_BACKOFF_MS * NS_PER_MS);
    }
    return NULL;
}

/* Counts the open loop's slots due before the end that no worker took. */
static void count_unsent(load_t *l)
{
    pthread_mutex_lock(&l->lock);
    while (take_slot(l) < l->w.end_ns)
        atomic_fetch_add(&l->stats->unsent, 1);
    pthread_mutex_unlock(&l->lock);
}

static void show_progress(load_t *l)
{
    int64_t tick = l->w.start_ns + (int64_t)PERF_PROGRESS_INTERVAL_MS * NS_PER_MS;

    for (; tick < l->w.end_ns; tick += (int64_t)PERF_PROGRESS_INTERVAL_MS * NS_PER_MS) {
        sleep_until(tick);
        perf_report_progress(l->stats, &l->w, perf_now_ns());
    }
}

bool perf_load_run(const perf_options_t *o, const perf_transport_t *transport, void *session,
                   perf_stats_t *stats, perf_window_t *window, char *err, size_t size)
{
    load_t l = {.o = o,
                .t = transport,
                .stats = stats,
                .open_loop = o->request_rate > 0,
                .rng = PERF_SCHEDULE_SEED};
    int n = l.open_loop ? o->max_in_flight : o->concurrency;
    worker_t *workers = calloc((size_t)n, sizeof *workers);
    bool ok = false;

    atomic_init(&l.stop, false);
    pthread_mutex_init(&l.lock, NULL);
    if (!workers) {
        snprintf(err, size, "out of memory for %d workers", n);
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        workers[i].load = &l;
        workers[i].client = transport->client_create(session, err, size);
        if (!workers[i].client)
            goto cleanup;
    }
    l.w.start_ns = perf_now_ns();
    l.w.warmup_ns = l.w.start_ns + (int64_t)(o->warmup_s * NS_PER_SEC);
    l.w.end_ns = l.w.warmup_ns + (int64_t)(o->duration_s * NS_PER_SEC);
    for (int i = 0; i < n; i++) {
        int rc = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
        if (rc != 0) {
            snprintf(err, size, "cannot start worker %d of %d: %s", i + 1, n, strerror(rc));
            atomic_store(&l.stop, true);
            goto cleanup;
        }
        workers[i].started = true;
    }
    show_progress(&l);
    ok = true;
cleanup:
    for (int i = 0; workers && i < n; i++)
        if (workers[i].started)
            pthread_join(workers[i].thread, NULL);
    if (ok && l.open_loop)
        count_unsent(&l);
    for (int i = 0; workers && i < n; i++)
        transport->client_free(workers[i].client);
    free(workers);
    pthread_mutex_destroy(&l.lock);
    *window = l.w;
    return ok;
}
