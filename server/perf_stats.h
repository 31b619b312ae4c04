/*
 * perf_stats.h - what `inferd perf` workers record: a log-linear latency
 * histogram (under 1% error, lock-free) and counters, readable while the
 * workers run, so the progress line costs them nothing.
 */
#ifndef INFERD_PERF_STATS_H
#define INFERD_PERF_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "perf.h"

/* Each power of two is split into 2^PERF_HIST_SUB_BITS buckets: 128, so < 0.8% error. */
#define PERF_HIST_SUB_BITS 7
/* Latencies are microseconds below 2^PERF_HIST_TOP_BITS (134 s); longer ones count as the top. */
#define PERF_HIST_TOP_BITS 27
#define PERF_HIST_BUCKETS  ((PERF_HIST_TOP_BITS - PERF_HIST_SUB_BITS + 1) << PERF_HIST_SUB_BITS)
/* Distinct error kinds kept by name; the rest count as "other". */
#define PERF_MAX_ERROR_KINDS 32

typedef struct perf_error_kind {
    char name[PERF_KIND_MAX];
    uint64_t count;
} perf_error_kind_t;

typedef struct perf_stats {
    /* Measured requests: those sent (or scheduled) after the warmup. */
    atomic_uint_fast64_t requests; /* answered or failed */
    atomic_uint_fast64_t errors;
    atomic_uint_fast64_t buckets[PERF_HIST_BUCKETS]; /* successes only */
    atomic_uint_fast64_t latency_sum_us;
    atomic_uint_fast64_t latency_max_us;
    /* The open loop's largest lateness of a send behind its schedule. */
    atomic_uint_fast64_t send_lag_max_us;
    /* CLOCK_MONOTONIC ns when the last measured request finished. */
    atomic_int_fast64_t last_done_ns;
    /* Open loop: slots scheduled before the end but not sent when the run ended. */
    atomic_uint_fast64_t unsent;
    atomic_uint_fast64_t warmup_requests;
    atomic_uint_fast64_t warmup_errors;
    pthread_mutex_t kinds_lock; /* errors are rare: a lock is fine */
    perf_error_kind_t kinds[PERF_MAX_ERROR_KINDS];
    int n_kinds;
    uint64_t other_kinds;
} perf_stats_t;

/* Zeroes s. perf_stats_destroy releases it. */
void perf_stats_init(perf_stats_t *s);
void perf_stats_destroy(perf_stats_t *s);

/*
 * Records one finished request. measured: sent after the warmup;
 * latency_us counts from the (scheduled) send; kind names the error
 * when !ok. Any thread.
 */
void perf_stats_record(perf_stats_t *s, bool measured, bool ok, int64_t latency_us, int64_t done_ns,
                       const char *kind);

/* Raises the open loop's largest send lag to lag_us. Any thread. */
void perf_stats_send_lag(perf_stats_t *s, int64_t lag_us);

/* Successful measured requests so far. */
uint64_t perf_stats_successes(perf_stats_t *s);

/* The latency (ms) below which a fraction q of the successes finished; 0 with none. */
double perf_stats_quantile_ms(perf_stats_t *s, double q);

/* CLOCK_MONOTONIC nanoseconds. */
int64_t perf_now_ns(void);

#endif
