/*
 * grpc_drain.c - the gRPC front end's books of its calls, and its drain.
 *
 * The books: every call state counts in live_calls from its request to
 * its free; a call the core delivered is on fe->held until released, and
 * an accepted one that owes an answer counts in owed.
 *
 * The drain. The gRPC core sends a GOAWAY only from
 * grpc_server_shutdown_and_notify, and from that moment on it answers
 * CANCELLED, which neither clients nor nginx retry, to every call that
 * reaches it: a stream it reads after the shutdown began (sent before the
 * GOAWAY arrived, by any of the callers sharing the connection: grpcio
 * shares one connection per target across a process's channels) and a
 * call still waiting in its pending list (server.cc: StartNewRpc and
 * PublishNewRpc check ShutdownCalled and zombify the call, and
 * ShutdownAndNotify zombifies the pending list). No server can know that
 * every caller on a connection waits, so the front end never shuts the
 * core down while a connection is open. And nginx, which proxies gRPC
 * without buffering, retries a call elsewhere only if it could not
 * connect: a connection it made must be served. The steps:
 *
 * 1. Hold (grpc_frontend_quiesce): every call is still accepted and run,
 *    but its answer is parked, so that a client waiting for one sends
 *    nothing new. The hold ends once every accepted call is parked, none
 *    arrived for GRPC_HOLD_QUIET_MS, and by the kernel's and the core's
 *    accounting (grpc_connections.c) no connection is on its way in; or
 *    after GRPC_HOLD_MAX_MS.
 * 2. Close the port beneath the core (its listening socket is shut down):
 *    new connections are refused, which clients and nginx retry
 *    elsewhere.
 * 3. Release the parked answers. From now on, on each connection, the
 *    first call since closing is still served (a connection nginx made
 *    just before the port closed carries one call), and any later call is
 *    refused: held with no answer and no headers.
 * 4. Settle (grpc_frontend_drain): wait until every accepted call is
 *    released and, by the same accounting, no connection is still to
 *    deliver a call and every send queue is empty (the answers reached the
 *    clients); at most GRPC_SETTLE_MAX_MS. Then seal: every call is
 *    refused.
 * 5. Cut: grpc_server_cancel_all_calls closes every connection without
 *    setting ShutdownCalled. The refused calls end UNAVAILABLE, which
 *    clients retry; no call is zombified.
 * 6. Once the core lists no connection (at most GRPC_CUT_CLOSE_MAX_MS),
 *    shutdown-and-notify returns the calls inferd had requested; with no
 *    connection left it has nothing to cancel.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/support/alloc.h>

#include "grpc_internal.h"
#include "log.h"
#include "monotonic.h"

/* Connections told apart while closing; calls on further ones are refused. */
#define GRPC_CLOSING_PEERS_MAX 4096
/* How often the drain looks again, in ms. */
#define GRPC_DRAIN_POLL_MS 5
/* Step 1: the quiet that ends the hold, and its longest. */
#define GRPC_HOLD_QUIET_MS 50
#define GRPC_HOLD_MAX_MS   1000
/* Step 4's longest, from the release. */
#define GRPC_SETTLE_MAX_MS 1000
/* Step 6's longest wait for the core to close the connections. */
#define GRPC_CUT_CLOSE_MAX_MS 1000

/* The CLOCK_REALTIME time ms milliseconds from now (pthread_cond_timedwait's clock). */
static struct timespec realtime_after_ms(long ms)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += (ms % 1000) * 1000000;
    t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000;
    t.tv_nsec %= 1000000000;
    return t;
}

/* Sleeps ms milliseconds; true, so that it can end a loop condition. */
static bool sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    while (nanosleep(&t, &t) != 0)
        continue;
    return true;
}

/* ---- the books ---- */

void grpc_frontend_call_requested(grpc_frontend_t *fe)
{
    atomic_fetch_add(&fe->live_calls, 1);
}

void grpc_frontend_call_gone(grpc_frontend_t *fe)
{
    if (atomic_fetch_sub(&fe->live_calls, 1) != 1)
        return;
    pthread_mutex_lock(&fe->lock);
    pthread_cond_broadcast(&fe->changed);
    pthread_mutex_unlock(&fe->lock);
}

/*
 * Whether call's connection has carried a call since closing; notes it if
 * not. Beyond GRPC_CLOSING_PEERS_MAX connections, or out of memory, every
 * connection counts as seen (its calls are refused once the port closed).
 */
static bool seen_since_closing_locked(grpc_frontend_t *fe, grpc_call *call)
{
    char *peer = grpc_call_get_peer(call);
    char **grown = NULL;

    for (int i = 0; i < fe->n_closing_peers; i++)
        if (strcmp(fe->closing_peers[i], peer) == 0) {
            gpr_free(peer);
            return true;
        }
    if (fe->n_closing_peers < GRPC_CLOSING_PEERS_MAX)
        grown = realloc(fe->closing_peers, (size_t)(fe->n_closing_peers + 1) * sizeof *grown);
    if (!grown) {
        gpr_free(peer);
        return true;
    }
    fe->closing_peers = grown;
    fe->closing_peers[fe->n_closing_peers++] = peer;
    return false;
}

bool grpc_frontend_call_arrived(grpc_frontend_t *fe, grpc_call_entry_t *entry, bool owes_answer)
{
    bool accepted = true;

    assert(entry->call && !entry->prev && !entry->next);
    pthread_mutex_lock(&fe->lock);
    if (fe->closing) {
        bool seen = seen_since_closing_locked(fe, entry->call);

        accepted = !fe->sealed && !(fe->port_closed && seen);
        fe->last_arrival_ms = monotonic_ms();
    }
    entry->owed = accepted && owes_answer;
    fe->owed += entry->owed;
    fe->refused += !accepted;
    entry->next = fe->held;
    if (fe->held)
        fe->held->prev = entry;
    fe->held = entry;
    pthread_mutex_unlock(&fe->lock);
    if (!accepted)
        response_count_grpc(&fe->state->responses, GRPC_STATUS_UNAVAILABLE);
    return accepted;
}

void grpc_frontend_call_release(grpc_frontend_t *fe, grpc_call_entry_t *entry)
{
    pthread_mutex_lock(&fe->lock);
    if (entry->prev)
        entry->prev->next = entry->next;
    else if (fe->held == entry)
        fe->held = entry->next;
    if (entry->next)
        entry->next->prev = entry->prev;
    entry->prev = entry->next = NULL;
    if (entry->owed) {
        assert(fe->owed > 0);
        entry->owed = false;
        if (--fe->owed == 0)
            pthread_cond_broadcast(&fe->changed);
    }
    pthread_mutex_unlock(&fe->lock);
    if (entry->call)
        grpc_call_unref(entry->call);
    entry->call = NULL;
}

/* ---- the drain ---- */

bool grpc_drain_park(grpc_unary_t *u)
{
    grpc_frontend_t *fe = u->fe;
    bool park;

    if (!atomic_load(&fe->holding))
        return false;
    pthread_mutex_lock(&fe->lock);
    park = atomic_load(&fe->holding);
    if (park) {
        u->next_parked = fe->parked;
        fe->parked = u;
        fe->n_parked++;
        pthread_cond_broadcast(&fe->changed);
    }
    pthread_mutex_unlock(&fe->lock);
    return park;
}

/* Ends the hold: sends every parked answer. */
static void release_parked(grpc_frontend_t *fe)
{
    grpc_unary_t *parked;

    pthread_mutex_lock(&fe->lock);
    atomic_store(&fe->holding, false);
    parked = fe->parked;
    fe->parked = NULL;
    fe->n_parked = 0;
    pthread_mutex_unlock(&fe->lock);
    while (parked) {
        grpc_unary_t *next = parked->next_parked;

        grpc_unary_start_send(parked);
        parked = next;
    }
}

/* Step 1's end: every accepted call parked, a quiet spell, nothing on its way in. */
static bool hold_settled(grpc_frontend_t *fe)
{
    bool quiet;

    pthread_mutex_lock(&fe->lock);
    quiet = fe->owed == fe->n_parked && monotonic_ms() - fe->last_arrival_ms >= GRPC_HOLD_QUIET_MS;
    pthread_mutex_unlock(&fe->lock);
    return quiet && grpc_conn_settled(fe, false);
}

void grpc_frontend_quiesce(grpc_frontend_t *fe)
{
    int64_t start = monotonic_ms();

    pthread_mutex_lock(&fe->lock);
    if (fe->closing || !fe->server) {
        pthread_mutex_unlock(&fe->lock);
        return;
    }
    fe->closing = true;
    fe->last_arrival_ms = start;
    atomic_store(&fe->holding, true);
    pthread_mutex_unlock(&fe->lock);
    grpc_frontend_unref_dead(fe, true);
    while (!hold_settled(fe) && monotonic_ms() - start < GRPC_HOLD_MAX_MS)
        sleep_ms(GRPC_DRAIN_POLL_MS);
    pthread_mutex_lock(&fe->lock);
    fe->port_closed = true;
    pthread_mutex_unlock(&fe->lock);
    grpc_log_port_closed();
    if (grpc_conn_close_port(fe->port) == 0)
        log_warn("grpc: no listening socket found on port %d: new connections are refused only "
                 "once the drain shuts the server down",
                 fe->port);
    release_parked(fe);
}

/*
 * Step 4: waits until every accepted call is released and the
 * connections are settled and flushed (at most GRPC_SETTLE_MAX_MS), then
 * seals. False when the deadline passed with calls still owed.
 */
static bool settle(grpc_frontend_t *fe, const struct timespec *deadline)
{
    int64_t settle_by = monotonic_ms() + GRPC_SETTLE_MAX_MS;

    for (;;) {
        bool settled, sealed = false;

        pthread_mutex_lock(&fe->lock);
        while (fe->owed > 0 && pthread_cond_timedwait(&fe->changed, &fe->lock, deadline) == 0)
            continue;
        if (fe->owed > 0) {
            pthread_mutex_unlock(&fe->lock);
            return false;
        }
        pthread_mutex_unlock(&fe->lock);
        settled = monotonic_ms() >= settle_by || grpc_conn_settled(fe, true);
        pthread_mutex_lock(&fe->lock);
        /* A call accepted meanwhile is waited for first. */
        if (settled && fe->owed == 0)
            sealed = fe->sealed = true;
        pthread_mutex_unlock(&fe->lock);
        if (sealed)
            return true;
        if (!settled)
            sleep_ms(GRPC_DRAIN_POLL_MS);
    }
}

/* Steps 5 and 6 (once). */
static void cut(grpc_frontend_t *fe)
{
    int64_t give_up = monotonic_ms() + GRPC_CUT_CLOSE_MAX_MS;
    int refused;

    pthread_mutex_lock(&fe->lock);
    if (fe->cut) {
        pthread_mutex_unlock(&fe->lock);
        return;
    }
    fe->cut = fe->sealed = true;
    refused = fe->refused;
    pthread_mutex_unlock(&fe->lock);
    if (refused > 0)
        log_info("grpc: %d calls that arrived while closing were refused (their clients see "
                 "UNAVAILABLE)",
                 refused);
    /* The core completes tags that the pollers handle under fe->lock: not held here. */
    do
        grpc_server_cancel_all_calls(fe->server);
    while (grpc_conn_any(fe) && monotonic_ms() < give_up && sleep_ms(GRPC_DRAIN_POLL_MS));
    grpc_server_shutdown_and_notify(fe->server, fe->cq, &fe->shutdown_tag);
    /* Only if a connection outlived the wait: ends it before it carries a zombified call. */
    grpc_server_cancel_all_calls(fe->server);
}

/* True once the core has finished every call and inferd has freed every call state. */
static bool drained_locked(const grpc_frontend_t *fe)
{
    return fe->shutdown_done && atomic_load(&fe->live_calls) == 0;
}

bool grpc_frontend_drain(grpc_frontend_t *fe, long timeout_ms)
{
    struct timespec deadline = realtime_after_ms(timeout_ms);
    bool drained;

    if (!fe->server)
        return true;
    grpc_frontend_quiesce(fe);
    if (!settle(fe, &deadline))
        return false;
    cut(fe);
    pthread_mutex_lock(&fe->lock);
    while (!drained_locked(fe) && pthread_cond_timedwait(&fe->changed, &fe->lock, &deadline) == 0)
        continue;
    drained = drained_locked(fe);
    pthread_mutex_unlock(&fe->lock);
    return drained;
}

void grpc_drain_end(grpc_frontend_t *fe)
{
    pthread_mutex_lock(&fe->lock);
    fe->closing = fe->sealed = true;
    pthread_mutex_unlock(&fe->lock);
    grpc_frontend_unref_dead(fe, true);
    release_parked(fe);
    cut(fe);
    pthread_mutex_lock(&fe->lock);
    while (!drained_locked(fe))
        pthread_cond_wait(&fe->changed, &fe->lock);
    pthread_mutex_unlock(&fe->lock);
}
