#include "metrics.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen_address.h"
#include "status_map.h"

/* Model versions one scrape reports. */
#define METRICS_MAX_MODELS 1024

struct metrics_server {
    repository_t *repo;
    server_state_t *state;
    struct MHD_Daemon *daemon;
    int port;
};

/* A growing text buffer; on allocation failure it stays failed and is dropped. */
typedef struct text {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} text_t;

static void text_printf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text_t *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->data && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 8192;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
}

/* Process CPU seconds and resident bytes, from /proc. */
static void process_usage(double *cpu_seconds, long long *rss_bytes)
{
    FILE *f = fopen("/proc/self/stat", "r");
    unsigned long utime = 0, stime = 0;
    long pages = 0;

    *cpu_seconds = 0;
    *rss_bytes = 0;
    if (f) {
        /* Fields 14 and 15 (utime, stime) follow the parenthesised command name. */
        if (fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                   &stime) == 2)
            *cpu_seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
        fclose(f);
    }
    f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%*s %ld", &pages) == 1)
            *rss_bytes = (long long)pages * sysconf(_SC_PAGESIZE);
        fclose(f);
    }
}

/* One model's sample of a family: what a family's renderer is given. */
typedef struct metric_sample {
    const char *name;   /* the family's */
    const char *labels; /* model="...",version="..." */
    const served_model_t *model;
    const batcher_stats_t *stats;
    size_t field; /* offset of the family's uint64_t in batcher_stats_t (or, for device
                     counters, in backend_device_stats_t) */
} metric_sample_t;

typedef void (*metric_render_fn)(text_t *t, const metric_sample_t *m);

/* A counter kept as one uint64_t of batcher_stats_t. */
static void render_counter(text_t *t, const metric_sample_t *m)
{
    uint64_t value;

    memcpy(&value, (const char *)m->stats + m->field, sizeof value);
    text_printf(t, "%s{%s} %llu\n", m->name, m->labels, (unsigned long long)value);
}

/* Failures by reason; "invalid" adds the requests the front ends refused before queueing. */
static void render_failures(text_t *t, const metric_sample_t *m)
{
    const batcher_stats_t *s = m->stats;
    const struct {
        const char *reason;
        uint64_t count;
    } reasons[] = {
        {"invalid", s->failed_invalid + atomic_load(&m->model->rejected)},
        {"queue_full", s->failed_queue_full},
        {"timeout", s->failed_timeout},
        {"unavailable", s->failed_unavailable},
        {"internal", s->failed_internal},
    };

    for (size_t r = 0; r < sizeof reasons / sizeof reasons[0]; r++)
        text_printf(t, "%s{%s,reason=\"%s\"} %llu\n", m->name, m->labels, reasons[r].reason,
                    (unsigned long long)reasons[r].count);
}

/* Server time of infer requests by outcome (response_stats.h), cumulative buckets per outcome. */
static void render_durations(text_t *t, const metric_sample_t *m)
{
    const response_durations_t *d = &m->model->durations;

    for (int o = 0; o < RESPONSE_OUTCOMES; o++) {
        const char *outcome = response_outcome_name((response_outcome_t)o);
        uint64_t cumulative = 0;

        for (int b = 0; b <= RESPONSE_DURATION_BOUNDS; b++) {
            cumulative += atomic_load_explicit(&d->buckets[o][b], memory_order_relaxed);
            if (b < RESPONSE_DURATION_BOUNDS)
                text_printf(t, "%s_bucket{%s,outcome=\"%s\",le=\"%lld\"} %llu\n", m->name,
                            m->labels, outcome, (long long)response_duration_bounds_us[b],
                            (unsigned long long)cumulative);
            else
                text_printf(t, "%s_bucket{%s,outcome=\"%s\",le=\"+Inf\"} %llu\n", m->name,
                            m->labels, outcome, (unsigned long long)cumulative);
        }
        text_printf(t, "%s_sum{%s,outcome=\"%s\"} %llu\n%s_count{%s,outcome=\"%s\"} %llu\n",
                    m->name, m->labels, outcome,
                    (unsigned long long)atomic_load_explicit(&d->sum_us[o], memory_order_relaxed),
                    m->name, m->labels, outcome, (unsigned long long)cumulative);
    }
}

/* Rows per execution, in power-of-two buckets. */
static void render_batch_sizes(text_t *t, const metric_sample_t *m)
{
    const batcher_stats_t *s = m->stats;
    uint64_t cumulative = 0;

    for (int b = 0; b < BATCHER_HISTOGRAM_BUCKETS - 1; b++) {
        cumulative += s->batch_histogram[b];
        text_printf(t, "%s_bucket{%s,le=\"%d\"} %llu\n", m->name, m->labels, 1 << b,
                    (unsigned long long)cumulative);
    }
    cumulative += s->batch_histogram[BATCHER_HISTOGRAM_BUCKETS - 1];
    text_printf(t, "%s_bucket{%s,le=\"+Inf\"} %llu\n%s_sum{%s} %llu\n%s_count{%s} %llu\n", m->name,
                m->labels, (unsigned long long)cumulative, m->name, m->labels,
                (unsigned long long)s->inferences, m->name, m->labels,
                (unsigned long long)s->executions);
}

static void render_pending(text_t *t, const metric_sample_t *m)
{
    text_printf(t, "%s{%s} %d\n", m->name, m->labels, m->stats->pending);
}

static void render_reference_layers(text_t *t, const metric_sample_t *m)
{
    backend_stats_t stats = {0};

    if (m->model->backend)
        backend_model_stats(m->model->backend, &stats);
    text_printf(t, "%s{%s} %d\n", m->name, m->labels, stats.reference_layers);
}

/*
 * A counter per device the model runs on (device backends); field is its
 * offset in backend_device_stats_t. A CPU model has no lines.
 */
static void render_device_counter(text_t *t, const metric_sample_t *m)
{
    backend_device_stats_t devices[BACKEND_MAX_DEVICES];
    int n = m->model->backend
                ? backend_model_device_stats(m->model->backend, devices, BACKEND_MAX_DEVICES)
                : 0;

    for (int d = 0; d < n; d++) {
        uint64_t value;
        memcpy(&value, (const char *)&devices[d] + m->field, sizeof value);
        text_printf(t, "%s{%s,device=\"%d\"} %llu\n", m->name, m->labels, devices[d].device,
                    (unsigned long long)value);
    }
}

static void render_fallback_layers(text_t *t, const metric_sample_t *m)
{
    backend_stats_t stats = {0};

    if (m->model->backend)
        backend_model_stats(m->model->backend, &stats);
    text_printf(t, "%s{%s} %d\n", m->name, m->labels, stats.fallback_layers);
}

static void model_metrics(text_t *t, served_model_t *const *models, int n)
{
    static const struct {
        const char *name, *type, *help;
        metric_render_fn render;
        size_t field;
    } families[] = {
        {"inferd_request_success_total", "counter", "Requests answered with outputs.",
         render_counter, offsetof(batcher_stats_t, success)},
        {"inferd_request_failure_total", "counter", "Requests that failed, by reason.",
         render_failures, 0},
        {"inferd_inference_count_total", "counter", "Inferences (batch rows) run.", render_counter,
         offsetof(batcher_stats_t, inferences)},
        {"inferd_execution_count_total", "counter", "Model executions (batches) run.",
         render_counter, offsetof(batcher_stats_t, executions)},
        {"inferd_batch_size", "histogram", "Rows per execution.", render_batch_sizes, 0},
        {"inferd_queue_duration_us_total", "counter", "Microseconds requests spent queued.",
         render_counter, offsetof(batcher_stats_t, queue_us)},
        {"inferd_compute_duration_us_total", "counter", "Microseconds spent running batches.",
         render_counter, offsetof(batcher_stats_t, compute_us)},
        {"inferd_pending_requests", "gauge", "Requests queued now.", render_pending, 0},
        {"inferd_request_duration_us", "histogram",
         "Server time of infer requests, arrival to answer, by outcome.", render_durations, 0},
        {"inferd_reference_layers", "gauge",
         "Layers of the model's plans so far that run on reference code (should be 0).",
         render_reference_layers, 0},
        {"inferd_fallback_layers", "gauge",
         "Layers of the model's plans so far on a slower fallback route (a quantized layer "
         "run in float, an int8 convolution off oneDNN).",
         render_fallback_layers, 0},
        {"inferd_device_execution_count_total", "counter",
         "Model executions that succeeded on each device (NPU models).", render_device_counter,
         offsetof(backend_device_stats_t, executions)},
        {"inferd_device_compute_duration_us_total", "counter",
         "Microseconds of those executions on each device: copies in, execution, copies out.",
         render_device_counter, offsetof(backend_device_stats_t, compute_us)},
        {"inferd_device_padding_rows_total", "counter",
         "Rows added to batches on each device to reach one of the model's batch gears.",
         render_device_counter, offsetof(backend_device_stats_t, padded_rows)},
        {"inferd_device_failure_count_total", "counter",
         "Model executions that failed on each device.", render_device_counter,
         offsetof(backend_device_stats_t, failures)},
    };
    batcher_stats_t *stats = calloc((size_t)n + 1, sizeof *stats);

    if (!stats) {
        t->failed = true;
        return;
    }
    for (int i = 0; i < n; i++)
        batcher_stats(models[i]->batcher, &stats[i]);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
                    families[f].name, families[f].type);
        for (int i = 0; i < n; i++) {
            char labels[MODEL_NAME_MAX + 64];
            metric_sample_t m = {.name = families[f].name,
                                 .labels = labels,
                                 .model = models[i],
                                 .stats = &stats[i],
                                 .field = families[f].field};
            snprintf(labels, sizeof labels, "model=\"%s\",version=\"%lld\"", models[i]->name,
                     (long long)models[i]->version);
            families[f].render(t, &m);
        }
    }
    free(stats);
}

/* Answers by HTTP status and gRPC code, whatever the route. */
static void response_metrics(text_t *t, server_state_t *state)
{
    const response_counts_t *c = &state->responses;

    text_printf(t, "# HELP inferd_http_responses_total HTTP responses by status.\n"
                   "# TYPE inferd_http_responses_total counter\n");
    for (int i = 0; i <= RESPONSE_HTTP_CODES; i++) {
        unsigned long long n = atomic_load_explicit(&c->http[i], memory_order_relaxed);
        if (i < RESPONSE_HTTP_CODES)
            text_printf(t, "inferd_http_responses_total{code=\"%u\"} %llu\n",
                        response_http_codes[i], n);
        else
            text_printf(t, "inferd_http_responses_total{code=\"other\"} %llu\n", n);
    }
    text_printf(t,
                "# HELP inferd_request_body_bytes Bytes of request bodies (HTTP) and messages "
                "(gRPC) the server holds now.\n"
                "# TYPE inferd_request_body_bytes gauge\n"
                "inferd_request_body_bytes %llu\n"
                "# HELP inferd_request_body_bytes_limit What they may hold at once "
                "(--body-memory-limit); a request over it is refused 503 / UNAVAILABLE.\n"
                "# TYPE inferd_request_body_bytes_limit gauge\n"
                "inferd_request_body_bytes_limit %llu\n",
                (unsigned long long)atomic_load_explicit(&state->bodies.held, memory_order_relaxed),
                (unsigned long long)state->bodies.limit);
    text_printf(t,
                "# HELP inferd_http_connections_closed_total HTTP connections the server closed: "
                "the client had gone, or its request took over --request-timeout-secs to arrive.\n"
                "# TYPE inferd_http_connections_closed_total counter\n"
                "inferd_http_connections_closed_total{reason=\"client_gone\"} %llu\n"
                "inferd_http_connections_closed_total{reason=\"request_timeout\"} %llu\n",
                (unsigned long long)atomic_load_explicit(&state->http_closed.client_gone,
                                                         memory_order_relaxed),
                (unsigned long long)atomic_load_explicit(&state->http_closed.request_timeout,
                                                         memory_order_relaxed));
    text_printf(t, "# HELP inferd_grpc_responses_total gRPC calls answered, by status code.\n"
                   "# TYPE inferd_grpc_responses_total counter\n");
    for (int i = 0; i <= RESPONSE_GRPC_CODES; i++)
        text_printf(t, "inferd_grpc_responses_total{code=\"%s\"} %llu\n",
                    i < RESPONSE_GRPC_CODES ? api_grpc_code_name(i) : "other",
                    (unsigned long long)atomic_load_explicit(&c->grpc[i], memory_order_relaxed));
}

/* The shared memory regions registered and the tensor bytes they carried. */
static void shm_metrics(text_t *t, shm_registry_t *shm)
{
    shm_registry_counts_t c;

    shm_registry_counts(shm, &c);
    text_printf(t,
                "# HELP inferd_shared_memory_regions System shared memory regions registered.\n"
                "# TYPE inferd_shared_memory_regions gauge\ninferd_shared_memory_regions %d\n"
                "# HELP inferd_shared_memory_bytes_total Tensor bytes read from (input) and "
                "written to (output) shared memory regions.\n"
                "# TYPE inferd_shared_memory_bytes_total counter\n"
                "inferd_shared_memory_bytes_total{direction=\"input\"} %llu\n"
                "inferd_shared_memory_bytes_total{direction=\"output\"} %llu\n",
                c.regions, (unsigned long long)c.bytes_read, (unsigned long long)c.bytes_written);
}

char *metrics_render(repository_t *repo, server_state_t *state)
{
    served_model_t **models = calloc(METRICS_MAX_MODELS, sizeof *models);
    text_t t = {0};
    double cpu;
    long long rss;
    int n = models ? repository_snapshot(repo, models, METRICS_MAX_MODELS) : 0;

    model_metrics(&t, models, n);
    for (int i = 0; i < n; i++)
        repository_release(repo, models[i]);
    free(models);
    if (state)
        response_metrics(&t, state);
    if (state && state->shm)
        shm_metrics(&t, state->shm);
    process_usage(&cpu, &rss);
    text_printf(&t,
                "# HELP process_cpu_seconds_total User and system CPU time.\n"
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
                "# HELP process_resident_memory_bytes Resident memory.\n"
                "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %lld\n",
                cpu, rss);
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}

static enum MHD_Result on_scrape(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **con_cls)
{
    metrics_server_t *server = cls;
    struct MHD_Response *resp;
    enum MHD_Result rc;
    char *body;
    unsigned status = MHD_HTTP_OK;

    if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
        body = strdup("not found: metrics are at GET /metrics\n");
        status = MHD_HTTP_NOT_FOUND;
    } else {
        body = metrics_render(server->repo, server->state);
    }
    if (!body)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

status_t metrics_server_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                              tls_store_t *tls, metrics_server_t **out, error_t *err)
{
    metrics_server_t *server;
    listen_address_t listen;
    const union MHD_DaemonInfo *info;
    struct MHD_OptionItem tls_options[TLS_MHD_OPTIONS_MAX];
    unsigned tls_flags;
    status_t st = listen_address_parse(cfg->bind_address, cfg->metrics_port, &listen, err);

    *out = NULL;
    if (!st)
        st = tls_mhd_options(tls, &tls_flags, tls_options, err);
    if (st)
        return st;
    server = calloc(1, sizeof *server);
    if (!server)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    server->repo = repo;
    server->state = state;
    /*
     * poll, not epoll: libmicrohttpd 0.9.75's epoll mode misses a client's
     * close that comes with its request's bytes (server/http_watch.h), and a
     * scrape port has too few connections for poll's cost to matter.
     */
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | listen.mhd_flags | tls_flags,
        (uint16_t)cfg->metrics_port, NULL, NULL, on_scrape, server, MHD_OPTION_SOCK_ADDR,
        &listen.addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_secs,
        MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (!server->daemon) {
        free(server);
        return error_set(err, STATUS_IO, "cannot listen for metrics on %s:%d", cfg->bind_address,
                         cfg->metrics_port);
    }
    info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : cfg->metrics_port;
    *out = server;
    return STATUS_OK;
}

int metrics_server_port(const metrics_server_t *server)
{
    return server->port;
}

void metrics_server_stop(metrics_server_t *server)
{
    if (!server)
        return;
    MHD_stop_daemon(server->daemon);
    free(server);
}
