/*
 * perf_report.h - what `inferd perf` prints: a progress line on stderr
 * while the load runs, then a table (or one JSON line) on stdout.
 */
#ifndef INFERD_PERF_REPORT_H
#define INFERD_PERF_REPORT_H

#include "perf.h"
#include "perf_load.h"
#include "perf_stats.h"

/* One progress line on stderr: elapsed, req/s, p50/p99 and errors so far. */
void perf_report_progress(perf_stats_t *s, const perf_window_t *w, int64_t now_ns);

/* The final report on stdout: the table, or one JSON line with --output-json. */
void perf_report_final(const perf_options_t *o, const perf_transport_t *t, const perf_model_t *m,
                       perf_stats_t *s, const perf_window_t *w);

#endif
