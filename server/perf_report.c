/*
 * perf_report.c - the output of `inferd perf`. Throughput counts
 * successful measured requests over the measurement window, which runs
 * from the end of the warmup to the last measured answer (never shorter
 * than --duration). Latency percentiles cover successes only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "perf_report.h"

#define NS_PER_SEC 1e9
/* Room for the target text. */
#define PERF_TARGET_MAX (PERF_HOST_MAX + PERF_PORT_MAX + 16)

void perf_report_progress(perf_stats_t *s, const perf_window_t *w, int64_t now_ns)
{
    double elapsed = (double)(now_ns - w->start_ns) / NS_PER_SEC;
    double measured = (double)(now_ns - w->warmup_ns) / NS_PER_SEC;

    /* A tick at the warmup's end has nothing measured yet to divide by. */
    if (measured < (double)PERF_PROGRESS_INTERVAL_MS / 2000.0) {
        fprintf(stderr, "[perf] %6.1f s  warmup: %llu requests, %llu errors\n", elapsed,
                (unsigned long long)atomic_load(&s->warmup_requests),
                (unsigned long long)atomic_load(&s->warmup_errors));
        return;
    }
    fprintf(stderr, "[perf] %6.1f s  %9.1f req/s  p50 %8.3f ms  p99 %8.3f ms  errors %llu\n",
            elapsed, (double)perf_stats_successes(s) / measured, perf_stats_quantile_ms(s, 0.50),
            perf_stats_quantile_ms(s, 0.99), (unsigned long long)atomic_load(&s->errors));
}

/* The figures both formats print. */
typedef struct figures {
    uint64_t requests, successes, errors;
    double window_s;
    double rps, ips;
    double p50, p90, p99, max, mean;
    double send_lag_max_ms;
} figures_t;

static figures_t compute(const perf_model_t *m, perf_stats_t *s, const perf_window_t *w)
{
    figures_t f;
    int64_t last = atomic_load(&s->last_done_ns);

    memset(&f, 0, sizeof f);
    f.requests = atomic_load(&s->requests);
    f.errors = atomic_load(&s->errors);
    f.successes = perf_stats_successes(s);
    f.window_s = (double)((last > w->end_ns ? last : w->end_ns) - w->warmup_ns) / NS_PER_SEC;
    f.rps = (double)f.successes / f.window_s;
    f.ips = f.rps * (double)m->rows;
    f.p50 = perf_stats_quantile_ms(s, 0.50);
    f.p90 = perf_stats_quantile_ms(s, 0.90);
    f.p99 = perf_stats_quantile_ms(s, 0.99);
    f.max = (double)atomic_load(&s->latency_max_us) / 1000.0;
    f.mean =
        f.successes ? (double)atomic_load(&s->latency_sum_us) / 1000.0 / (double)f.successes : 0;
    f.send_lag_max_ms = (double)atomic_load(&s->send_lag_max_us) / 1000.0;
    return f;
}

static void print_json(const perf_options_t *o, const perf_transport_t *t, const perf_model_t *m,
                       perf_stats_t *s, const figures_t *f)
{
    char target[PERF_TARGET_MAX];
    json_t *root, *kinds = json_object();
    char *text;

    pthread_mutex_lock(&s->kinds_lock);
    for (int i = 0; i < s->n_kinds; i++)
        json_object_set_new(kinds, s->kinds[i].name, json_integer((json_int_t)s->kinds[i].count));
    if (s->other_kinds)
        json_object_set_new(kinds, "other", json_integer((json_int_t)s->other_kinds));
    pthread_mutex_unlock(&s->kinds_lock);
    root = json_pack(
        "{ss ss ss ss si sf ss sI sI sf sf sI sI sI sI so sI sI sf sf s{sf sf sf sf sf} sf}",
        "model", o->model, "protocol", t->name, "target",
        perf_target_text(o, target, sizeof target), "mode",
        o->request_rate > 0 ? "request_rate" : "concurrency", "concurrency",
        o->request_rate > 0 ? o->max_in_flight : o->concurrency, "request_rate", o->request_rate,
        "request_distribution", o->distribution == PERF_POISSON ? "poisson" : "constant", "batch",
        (json_int_t)o->batch, "inferences_per_request", (json_int_t)m->rows, "duration_s",
        f->window_s, "warmup_s", o->warmup_s, "warmup_requests",
        (json_int_t)atomic_load(&s->warmup_requests), "warmup_errors",
        (json_int_t)atomic_load(&s->warmup_errors), "requests", (json_int_t)f->requests, "errors",
        (json_int_t)f->errors, "errors_by_kind", kinds, "successes", (json_int_t)f->successes,
        "unsent_requests", (json_int_t)atomic_load(&s->unsent), "throughput_rps", f->rps,
        "inferences_per_s", f->ips, "latency_ms", "p50", f->p50, "p90", f->p90, "p99", f->p99,
        "max", f->max, "mean", f->mean, "send_lag_max_ms", f->send_lag_max_ms);
    text = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text)
        printf("%s\n", text);
    else
        fputs("inferd perf: out of memory for the JSON report\n", stderr);
    free(text);
    json_decref(root);
}

static void print_table(const perf_options_t *o, const perf_transport_t *t, const perf_model_t *m,
                        perf_stats_t *s, const figures_t *f)
{
    char target[PERF_TARGET_MAX];

    printf("model %s over %s to %s, ", o->model, t->name,
           perf_target_text(o, target, sizeof target));
    if (o->request_rate > 0)
        printf("%s schedule at %g req/s (at most %d in flight)",
               o->distribution == PERF_POISSON ? "poisson" : "constant", o->request_rate,
               o->max_in_flight);
    else
        printf("concurrency %d", o->concurrency);
    printf(", %lld inference(s) per request\n", (long long)m->rows);
    printf("  window        %.2f s after %.2f s of warmup (%llu requests, %llu errors)\n",
           f->window_s, o->warmup_s, (unsigned long long)atomic_load(&s->warmup_requests),
           (unsigned long long)atomic_load(&s->warmup_errors));
    printf("  requests      %llu\n", (unsigned long long)f->requests);
    printf("  errors        %llu", (unsigned long long)f->errors);
    pthread_mutex_lock(&s->kinds_lock);
    for (int i = 0; i < s->n_kinds; i++)
        printf("%s%s: %llu", i ? ", " : " (", s->kinds[i].name,
               (unsigned long long)s->kinds[i].count);
    if (s->other_kinds)
        printf(", other: %llu", (unsigned long long)s->other_kinds);
    printf("%s\n", s->n_kinds ? ")" : "");
    pthread_mutex_unlock(&s->kinds_lock);
    printf("  throughput    %.1f req/s, %.1f infer/s\n", f->rps, f->ips);
    printf("  latency (ms)  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f\n", f->p50, f->p90,
           f->p99, f->max, f->mean);
    if (o->request_rate > 0)
        printf("  schedule      sends at most %.3f ms late, %llu never sent\n", f->send_lag_max_ms,
               (unsigned long long)atomic_load(&s->unsent));
}

void perf_report_final(const perf_options_t *o, const perf_transport_t *t, const perf_model_t *m,
                       perf_stats_t *s, const perf_window_t *w)
{
    figures_t f = compute(m, s, w);

    if (o->output_json)
        print_json(o, t, m, s, &f);
    else
        print_table(o, t, m, s, &f);
    fflush(stdout);
}
