/*
 * perf_load.c - the clients of `inferd perf`, created before the clock
 * starts so set-up is not measured. --threads loops each drive their share
 * of the clients through the transport, so that a request costs the load
 * generator no thread switch of its own and the server stays the
 * bottleneck.
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
/* Ends a loop takes from its transport per wait. */
#define PERF_LOOP_BATCH 64

typedef struct load {
    const perf_options_t *o;
    const perf_transport_t *t;
    void *session;
    perf_stats_t *stats;
    perf_window_t w;
    atomic_bool stop; /* set when the loops could not all start */
    bool open_loop;
    pthread_mutex_t lock;     /* the open loop's schedule: */
    uint64_t slots;           /* slots taken so far */
    double poisson_offset_ns; /* the next Poisson slot, after w.start_ns */
    uint64_t rng;
} load_t;

/* One client of a loop: its connection and its request in flight, if any. */
typedef struct loop_client {
    void *client;
    int64_t send_ns;   /* when its request was sent, or due to be (open loop) */
    int64_t resume_ns; /* while resting after PERF_UNREACHABLE: when it may send again */
    /* Its request's deadline (--timeout-ms from its start) while one is in flight, else 0. */
    int64_t deadline_ns;
    bool cancelled; /* its request is past its deadline and was ended */
    struct loop_client *next_idle;
} loop_client_t;

typedef struct loop {
    load_t *load;
    void *handle; /* the transport's loop */
    loop_client_t *clients;
    int n_clients;
    pthread_t thread;
    bool started;
    loop_client_t *idle; /* clients free to send, linked by next_idle */
    int busy;            /* requests in flight */
    int resting;         /* clients waiting out a back-off */
    int64_t slot_ns;     /* open loop: a slot taken and not yet sent, or -1 */
    perf_completion_t done[PERF_LOOP_BATCH];
} loop_t;

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

/*
 * A loop client's request ended at done_ns: counts it, then frees the
 * client, or rests it when rest (a request that could not start).
 */
static void loop_finish(loop_t *lp, loop_client_t *c, perf_outcome_t outcome, const char *kind,
                        int64_t done_ns, bool rest)
{
    load_t *l = lp->load;

    c->deadline_ns = 0;
    c->cancelled = false;
    perf_stats_record(l->stats, c->send_ns >= l->w.warmup_ns, outcome == PERF_OK,
                      (done_ns - c->send_ns) / 1000, done_ns, kind);
    /* A server that is down refuses at once: do not spin on it. */
    if (outcome == PERF_UNREACHABLE || rest) {
        c->resume_ns = done_ns + (int64_t)PERF_RECONNECT_BACKOFF_MS * NS_PER_MS;
        lp->resting++;
        return;
    }
    c->next_idle = lp->idle;
    lp->idle = c;
}

/* Sends on an idle client a request due at send_ns. */
static void loop_send(loop_t *lp, int64_t send_ns)
{
    loop_client_t *c = lp->idle;
    char kind[PERF_KIND_MAX] = "";

    lp->idle = c->next_idle;
    c->send_ns = send_ns;
    c->deadline_ns = perf_now_ns() + (int64_t)lp->load->o->timeout_ms * NS_PER_MS;
    if (lp->load->t->start(c->client, c, kind, sizeof kind))
        lp->busy++;
    else
        loop_finish(lp, c, PERF_FAILED, kind, perf_now_ns(), true);
}

/* Frees the resting clients whose back-off is over; returns the earliest back-off left. */
static int64_t loop_wake_resting(loop_t *lp, int64_t now)
{
    int64_t earliest = INT64_MAX;

    for (int i = 0; lp->resting && i < lp->n_clients; i++) {
        loop_client_t *c = &lp->clients[i];
        if (!c->resume_ns)
            continue;
        if (c->resume_ns <= now) {
            c->resume_ns = 0;
            lp->resting--;
            c->next_idle = lp->idle;
            lp->idle = c;
        } else if (c->resume_ns < earliest) {
            earliest = c->resume_ns;
        }
    }
    return earliest;
}

/*
 * Sends what is due at now on the idle clients; returns when to look
 * again, or -1 once the run sends no more.
 */
static int64_t loop_send_due(loop_t *lp, int64_t now)
{
    load_t *l = lp->load;
    int64_t next = loop_wake_resting(lp, now);

    if (atomic_load(&l->stop))
        return -1;
    if (!l->open_loop) {
        if (now >= l->w.end_ns)
            return -1;
        while (lp->idle)
            loop_send(lp, now);
        return next < l->w.end_ns ? next : l->w.end_ns;
    }
    /*
     * Every slot due before the end goes out while a client is free, even
     * from a loop that wakes after the end (late, and its lag counted): the
     * backlog left unsent is then the one every client in flight made.
     */
    while (lp->idle) {
        if (lp->slot_ns < 0) {
            pthread_mutex_lock(&l->lock);
            lp->slot_ns = take_slot(l);
            pthread_mutex_unlock(&l->lock);
            if (lp->slot_ns >= l->w.end_ns)
                return -1;
        }
        if (lp->slot_ns > now)
            return lp->slot_ns < next ? lp->slot_ns : next;
        perf_stats_send_lag(l->stats, (now - lp->slot_ns) / 1000);
        loop_send(lp, lp->slot_ns);
        lp->slot_ns = -1;
    }
    if (now >= l->w.end_ns)
        return -1;
    return next < l->w.end_ns ? next : l->w.end_ns;
}

/*
 * Ends the requests in flight past their deadline as of now (their ends
 * come back from a later wait); returns the earliest deadline left, or
 * INT64_MAX.
 */
static int64_t loop_end_overdue(loop_t *lp, int64_t now)
{
    int64_t earliest = INT64_MAX;

    for (int i = 0; lp->busy && i < lp->n_clients; i++) {
        loop_client_t *c = &lp->clients[i];
        if (!c->deadline_ns || c->cancelled)
            continue;
        if (c->deadline_ns <= now) {
            lp->load->t->cancel(c->client);
            c->cancelled = true;
        } else if (c->deadline_ns < earliest) {
            earliest = c->deadline_ns;
        }
    }
    return earliest;
}

static void *loop_main(void *arg)
{
    loop_t *lp = arg;
    load_t *l = lp->load;
    bool sending = true;

    while (sending || lp->busy) {
        int64_t now = perf_now_ns();
        int64_t until = sending ? loop_send_due(lp, now) : -1;
        int64_t due;
        int n;

        if (until < 0) {
            sending = false;
            until = INT64_MAX;
            if (!lp->busy)
                break;
        }
        /* Every request in flight ends by its deadline at the latest. */
        due = loop_end_overdue(lp, now);
        if (due < until)
            until = due;
        n = l->t->wait(lp->handle, until, lp->done, PERF_LOOP_BATCH);
        now = perf_now_ns();
        for (int i = 0; i < n; i++) {
            lp->busy--;
            loop_finish(lp, lp->done[i].tag, lp->done[i].outcome, lp->done[i].kind, now, false);
        }
    }
    /* A slot taken but never sent: it was due before the end, so it counts as unsent. */
    if (lp->slot_ns >= 0 && lp->slot_ns < l->w.end_ns)
        atomic_fetch_add(&l->stats->unsent, 1);
    return NULL;
}

/* Counts the open loop's slots due before the end that no loop took. */
static void count_unsent(load_t *l)
{
    pthread_mutex_lock(&l->lock);
    while (take_slot(l) < l->w.end_ns)
        atomic_fetch_add(&l->stats->unsent, 1);
    pthread_mutex_unlock(&l->lock);
}

/* The window starts now: the clients are connected. */
static void start_clock(load_t *l)
{
    l->w.start_ns = perf_now_ns();
    l->w.warmup_ns = l->w.start_ns + (int64_t)(l->o->warmup_s * NS_PER_SEC);
    l->w.end_ns = l->w.warmup_ns + (int64_t)(l->o->duration_s * NS_PER_SEC);
}

static void show_progress(load_t *l)
{
    int64_t tick = l->w.start_ns + (int64_t)PERF_PROGRESS_INTERVAL_MS * NS_PER_MS;

    for (; tick < l->w.end_ns; tick += (int64_t)PERF_PROGRESS_INTERVAL_MS * NS_PER_MS) {
        sleep_until(tick);
        perf_report_progress(l->stats, &l->w, perf_now_ns());
    }
}

/* The loops: --threads of them, n clients dealt out among them. */
static bool run_loops(load_t *l, int n, char *err, size_t size)
{
    int n_loops = l->o->threads < n ? l->o->threads : n;
    loop_t *loops = calloc((size_t)n_loops, sizeof *loops);
    loop_client_t *clients = calloc((size_t)n, sizeof *clients);
    bool ok = false;

    if (!loops || !clients) {
        snprintf(err, size, "out of memory for %d clients", n);
        goto cleanup;
    }
    for (int k = 0, first = 0; k < n_loops; k++) {
        loop_t *lp = &loops[k];
        lp->load = l;
        lp->slot_ns = -1;
        lp->clients = &clients[first];
        lp->n_clients = n / n_loops + (k < n % n_loops);
        first += lp->n_clients;
        lp->handle = l->t->loop_create(l->session, err, size);
        if (!lp->handle)
            goto cleanup;
        for (int i = 0; i < lp->n_clients; i++) {
            loop_client_t *c = &lp->clients[i];
            c->client = l->t->client_create(l->session, lp->handle, err, size);
            if (!c->client)
                goto cleanup;
            c->next_idle = lp->idle;
            lp->idle = c;
        }
    }
    start_clock(l);
    for (int k = 0; k < n_loops; k++) {
        int rc = pthread_create(&loops[k].thread, NULL, loop_main, &loops[k]);
        if (rc != 0) {
            snprintf(err, size, "cannot start thread %d of %d: %s", k + 1, n_loops, strerror(rc));
            atomic_store(&l->stop, true);
            goto cleanup;
        }
        loops[k].started = true;
    }
    show_progress(l);
    ok = true;
cleanup:
    for (int k = 0; loops && k < n_loops; k++)
        if (loops[k].started)
            pthread_join(loops[k].thread, NULL);
    for (int i = 0; clients && i < n; i++)
        l->t->client_free(clients[i].client);
    for (int k = 0; loops && k < n_loops; k++)
        if (loops[k].handle)
            l->t->loop_free(loops[k].handle);
    free(clients);
    free(loops);
    return ok;
}

bool perf_load_run(const perf_options_t *o, const perf_transport_t *transport, void *session,
                   perf_stats_t *stats, perf_window_t *window, char *err, size_t size)
{
    load_t l = {.o = o,
                .t = transport,
                .session = session,
                .stats = stats,
                .open_loop = o->request_rate > 0,
                .rng = PERF_SCHEDULE_SEED};
    int n = l.open_loop ? o->max_in_flight : o->concurrency;
    bool ok;

    atomic_init(&l.stop, false);
    pthread_mutex_init(&l.lock, NULL);
    ok = run_loops(&l, n, err, size);
    if (ok && l.open_loop)
        count_unsent(&l);
    pthread_mutex_destroy(&l.lock);
    *window = l.w;
    return ok;
}
