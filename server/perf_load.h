/*
 * perf_load.h - the load of `inferd perf`. Closed loop: --concurrency
 * workers, each sending its next request when the previous one answers.
 * Open loop: one shared send schedule at --request-rate, served by
 * --max-in-flight workers; latency counts from the scheduled time, so a
 * server (or client) that falls behind shows as latency, not as fewer
 * samples (no coordinated omission).
 */
#ifndef INFERD_PERF_LOAD_H
#define INFERD_PERF_LOAD_H

#include "perf.h"
#include "perf_stats.h"

/* How long a worker waits after a failed connect before trying again. */
#define PERF_RECONNECT_BACKOFF_MS 10
/* Seconds between progress lines. */
#define PERF_PROGRESS_INTERVAL_MS 1000
/* Seed of the Poisson schedule: fixed, so runs are comparable. */
#define PERF_SCHEDULE_SEED 0x9e3779b97f4a7c15ull

/* The measurement window, CLOCK_MONOTONIC ns (perf_now_ns). */
typedef struct perf_window {
    int64_t start_ns;  /* load begins (warmup) */
    int64_t warmup_ns; /* measurement begins */
    int64_t end_ns;    /* no request is sent (or scheduled) from here on */
} perf_window_t;

/*
 * Runs the load of o through transport's session (prepared) into stats,
 * printing a progress line on stderr every second, and waits for every
 * request sent to finish. Fills window. False (err set) when the workers
 * cannot be set up; stats then holds nothing.
 */
bool perf_load_run(const perf_options_t *o, const perf_transport_t *transport, void *session,
                   perf_stats_t *stats, perf_window_t *window, char *err, size_t size);

#endif
