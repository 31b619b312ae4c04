/*
 * perf_stats.c - the shared latency histogram and counters of `inferd
 * perf`. A bucket index keeps the top PERF_HIST_SUB_BITS + 1 significant
 * bits of the latency, as HdrHistogram does: exact below 256 us, then
 * 128 buckets per power of two.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "perf_stats.h"

#define PERF_HIST_SUB   (1 << PERF_HIST_SUB_BITS)
#define PERF_HIST_TOP   (((int64_t)1 << PERF_HIST_TOP_BITS) - 1)
#define PERF_OTHER_KIND "other"

int64_t perf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int bucket_of(int64_t us)
{
    int msb, shift;

    if (us < 0)
        us = 0;
    if (us > PERF_HIST_TOP)
        us = PERF_HIST_TOP;
    if (us < 2 * PERF_HIST_SUB)
        return (int)us;
    msb = 63 - __builtin_clzll((unsigned long long)us);
    shift = msb - PERF_HIST_SUB_BITS;
    return PERF_HIST_SUB * (shift + 1) + (int)((us >> shift) - PERF_HIST_SUB);
}

/* The middle of bucket i, in microseconds. */
static double bucket_value_us(int i)
{
    int shift;
    int64_t low;

    if (i < 2 * PERF_HIST_SUB)
        return i;
    shift = i / PERF_HIST_SUB - 1;
    low = (int64_t)(i % PERF_HIST_SUB + PERF_HIST_SUB) << shift;
    return (double)low + (double)(((int64_t)1 << shift) - 1) / 2.0;
}

void perf_stats_init(perf_stats_t *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->kinds_lock, NULL);
}

void perf_stats_destroy(perf_stats_t *s)
{
    if (s)
        pthread_mutex_destroy(&s->kinds_lock);
}

static void raise_to(atomic_uint_fast64_t *max, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(max, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak(max, &cur, v))
        ;
}

static void count_kind(perf_stats_t *s, const char *kind)
{
    pthread_mutex_lock(&s->kinds_lock);
    for (int i = 0; i < s->n_kinds; i++)
        if (strcmp(s->kinds[i].name, kind) == 0) {
            s->kinds[i].count++;
            goto done;
        }
    if (s->n_kinds == PERF_MAX_ERROR_KINDS) {
        s->other_kinds++;
        goto done;
    }
    strncpy(s->kinds[s->n_kinds].name, kind, PERF_KIND_MAX - 1);
    s->kinds[s->n_kinds++].count = 1;
done:
    pthread_mutex_unlock(&s->kinds_lock);
}

static void raise_time(atomic_int_fast64_t *max, int64_t v)
{
    int64_t cur = atomic_load_explicit(max, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak(max, &cur, v))
        ;
}

void perf_stats_record(perf_stats_t *s, bool measured, bool ok, int64_t latency_us, int64_t done_ns,
                       const char *kind)
{
    if (latency_us < 0)
        latency_us = 0;
    if (!measured) {
        atomic_fetch_add_explicit(&s->warmup_requests, 1, memory_order_relaxed);
        if (!ok)
            atomic_fetch_add_explicit(&s->warmup_errors, 1, memory_order_relaxed);
        return;
    }
    if (ok) {
        atomic_fetch_add_explicit(&s->buckets[bucket_of(latency_us)], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->latency_sum_us, (uint64_t)latency_us, memory_order_relaxed);
        raise_to(&s->latency_max_us, (uint64_t)latency_us);
    } else {
        atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
        count_kind(s, kind && *kind ? kind : PERF_OTHER_KIND);
    }
    raise_time(&s->last_done_ns, done_ns);
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
}

void perf_stats_send_lag(perf_stats_t *s, int64_t lag_us)
{
    if (lag_us > 0)
        raise_to(&s->send_lag_max_us, (uint64_t)lag_us);
}

uint64_t perf_stats_successes(perf_stats_t *s)
{
    uint64_t n = 0;
    for (int i = 0; i < PERF_HIST_BUCKETS; i++)
        n += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
    return n;
}

double perf_stats_quantile_ms(perf_stats_t *s, double q)
{
    uint64_t total = perf_stats_successes(s), rank, seen = 0;
    double max_us = (double)atomic_load_explicit(&s->latency_max_us, memory_order_relaxed);

    if (total == 0)
        return 0;
    /* The smallest latency with at least q of the successes at or below it. */
    rank = (uint64_t)ceil(q * (double)total);
    if (rank < 1)
        rank = 1;
    for (int i = 0; i < PERF_HIST_BUCKETS; i++) {
        seen += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        if (seen >= rank) {
            double us = bucket_value_us(i);
            return (us < max_us ? us : max_us) / 1000.0;
        }
    }
    return max_us / 1000.0;
}
