/*
 * perf_args.c - the command-line options of `inferd perf`. Every value is
 * checked here, so a bad flag exits 2 before anything touches the network.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"

/* Workers of the closed loop (one thread and one connection each). */
#define PERF_MAX_CONCURRENCY 1024
/* Requests per second of the open loop. */
#define PERF_MAX_REQUEST_RATE 1e6
/* Longest measurement and warmup. */
#define PERF_MAX_DURATION_SECS 86400.0
/* Largest --batch. */
#define PERF_MAX_BATCH (1 << 20)
/* Longest request timeout; stays below the histogram's top (perf_stats.h). */
#define PERF_MAX_TIMEOUT_MS        120000
#define PERF_DEFAULT_DURATION_SECS 10.0
#define PERF_DEFAULT_TIMEOUT_MS    30000
#define PERF_DEFAULT_MAX_IN_FLIGHT 32
/* Threads of an asynchronous transport; each drives its share of the connections. */
#define PERF_MAX_THREADS       256
#define PERF_HTTP_SCHEME       "http://"
#define PERF_HTTP_DEFAULT_PORT "80"

static void perf_usage(FILE *out)
{
    fputs("usage: inferd perf (--url http://HOST:PORT | --grpc HOST:PORT) --model NAME\n"
          "                   [--model-version V] [--protocol json|binary]\n"
          "                   [--concurrency N | --request-rate R [--request-distribution\n"
          "                    constant|poisson] [--max-in-flight M]] [--threads T]\n"
          "                   [--duration SECS] [--warmup SECS] [--batch B]\n"
          "                   [--shape NAME=d0,d1,...] [--timeout-ms T] [--output-json]\n"
          "\n"
          "Sends KServe v2 infer requests with generated inputs (floating point uniform\n"
          "in [0, 1), everything else zero) and reports throughput and latency.\n"
          "\n"
          "  --url http://HOST:PORT    the server's HTTP endpoint\n"
          "  --grpc HOST:PORT          the server's gRPC endpoint (raw_input_contents)\n"
          "  --model NAME              the model; its metadata gives the inputs\n"
          "  --model-version V         a model version (default: the server's choice)\n"
          "  --protocol json|binary    HTTP bodies: JSON data or binary tensors (default json)\n"
          "  --concurrency N           closed loop: N clients, each with its own connection,\n"
          "                            each sending when its previous request answers\n"
          "                            (default 1)\n"
          "  --request-rate R          open loop: R requests/s on a schedule; latency counts\n"
          "                            from the scheduled send time, so queueing shows\n"
          "  --request-distribution D  the schedule: constant (default) or poisson\n"
          "  --max-in-flight M         open loop: clients, so requests outstanding at most\n"
          "                            (default 32)\n"
          "  --threads T               threads sharing the clients (default 1)\n"
          "  --duration SECS           measurement length (default 10)\n"
          "  --warmup SECS             load before measuring, not counted (default 0)\n"
          "  --batch B                 size of a dynamic first dim (default 1)\n"
          "  --shape NAME=d0,d1,...    full shape of input NAME (repeatable)\n"
          "  --timeout-ms T            one request's limit, connect included (default 30000)\n"
          "  --output-json             print one JSON line instead of the table\n"
          "\n"
          "A progress line goes to stderr every second. Exit status: 0 when the run\n"
          "completed (errors are counted, not fatal), 1 when the server cannot be\n"
          "reached or refuses the model, 2 for bad arguments.\n",
          out);
}

static bool parse_long(const char *flag, const char *text, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max) {
        fprintf(stderr, "inferd perf: %s must be an integer from %ld to %ld, got '%s'\n", flag, min,
                max, text);
        return false;
    }
    *out = v;
    return true;
}

/* A number in (0, max], or [0, max] when zero_ok. */
static bool parse_seconds(const char *flag, const char *text, double max, bool zero_ok, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v) || v < 0 || (v == 0 && !zero_ok) || v > max) {
        fprintf(stderr, "inferd perf: %s must be a number %s %g to %g, got '%s'\n", flag,
                zero_ok ? "from" : "above", 0.0, max, text);
        return false;
    }
    *out = v;
    return true;
}

/* Splits "HOST:PORT" or "[V6]:PORT" (port optional when default_port) into o. */
static bool parse_host_port(const char *flag, const char *text, const char *default_port,
                            perf_options_t *o)
{
    const char *host = text, *host_end, *port = NULL;
    size_t host_len;
    long port_value;

    if (*text == '[') {
        host = text + 1;
        host_end = strchr(host, ']');
        if (!host_end || (host_end[1] != '\0' && host_end[1] != ':'))
            goto bad;
        if (host_end[1] == ':')
            port = host_end + 2;
    } else {
        host_end = strrchr(text, ':');
        if (host_end)
            port = host_end + 1;
        else
            host_end = text + strlen(text);
    }
    host_len = (size_t)(host_end - host);
    if (host_len == 0 || host_len >= sizeof o->host || memchr(host, '/', host_len))
        goto bad;
    if (!port && !default_port)
        goto bad;
    if (port && !parse_long(flag, port, 1, 65535, &port_value))
        return false;
    memcpy(o->host, host, host_len);
    o->host[host_len] = '\0';
    snprintf(o->port, sizeof o->port, "%s", port ? port : default_port);
    return true;
bad:
    fprintf(stderr, "inferd perf: %s wants %sHOST:PORT, got '%s'\n", flag,
            default_port ? PERF_HTTP_SCHEME : "", text);
    return false;
}

static bool parse_url(const char *text, perf_options_t *o)
{
    size_t scheme_len = strlen(PERF_HTTP_SCHEME);
    char authority[PERF_HOST_MAX + PERF_PORT_MAX + 4];
    const char *rest, *slash;
    size_t len;

    if (strncmp(text, PERF_HTTP_SCHEME, scheme_len) != 0) {
        fprintf(stderr,
                "inferd perf: --url wants http://HOST:PORT (https is not supported), got '%s'\n",
                text);
        return false;
    }
    rest = text + scheme_len;
    slash = strchr(rest, '/');
    len = slash ? (size_t)(slash - rest) : strlen(rest);
    /* Only a bare trailing slash may follow: the paths are KServe's. */
    if ((slash && strcmp(slash, "/") != 0) || len >= sizeof authority) {
        fprintf(stderr, "inferd perf: --url wants http://HOST:PORT with no path, got '%s'\n", text);
        return false;
    }
    memcpy(authority, rest, len);
    authority[len] = '\0';
    return parse_host_port("--url", authority, PERF_HTTP_DEFAULT_PORT, o);
}

static bool check_shape_flag(const char *text)
{
    const char *eq = strchr(text, '=');

    if (!eq || eq == text) {
        fprintf(stderr, "inferd perf: --shape wants NAME=d0,d1,..., got '%s'\n", text);
        return false;
    }
    return true;
}

/* The checks that involve more than one flag. */
static bool check_combination(perf_options_t *o, const char *url, const char *grpc,
                              const char *protocol, const char *distribution, bool concurrency_set,
                              bool max_in_flight_set)
{
    if (!url == !grpc) {
        fputs("inferd perf: give exactly one of --url http://HOST:PORT and --grpc HOST:PORT\n",
              stderr);
        return false;
    }
    if (!o->model || !*o->model) {
        fputs("inferd perf: --model NAME is required\n", stderr);
        return false;
    }
    if (grpc && protocol) {
        fputs("inferd perf: --protocol chooses the HTTP body format; gRPC always sends raw "
              "tensors\n",
              stderr);
        return false;
    }
    if (o->request_rate > 0 && concurrency_set) {
        fputs("inferd perf: --concurrency (closed loop) and --request-rate (open loop) exclude "
              "each other; --max-in-flight bounds the open loop\n",
              stderr);
        return false;
    }
    if (o->request_rate == 0 && (distribution || max_in_flight_set)) {
        fputs("inferd perf: --request-distribution and --max-in-flight need --request-rate\n",
              stderr);
        return false;
    }
    if (url && !parse_url(url, o))
        return false;
    if (grpc && !parse_host_port("--grpc", grpc, NULL, o))
        return false;
    if (grpc)
        o->protocol = PERF_GRPC;
    else if (!protocol || strcmp(protocol, "json") == 0)
        o->protocol = PERF_HTTP_JSON;
    else if (strcmp(protocol, "binary") == 0)
        o->protocol = PERF_HTTP_BINARY;
    else {
        fprintf(stderr, "inferd perf: --protocol must be json or binary, got '%s'\n", protocol);
        return false;
    }
    if (!distribution || strcmp(distribution, "constant") == 0)
        o->distribution = PERF_CONSTANT;
    else if (strcmp(distribution, "poisson") == 0)
        o->distribution = PERF_POISSON;
    else {
        fprintf(stderr,
                "inferd perf: --request-distribution must be constant or poisson, got '%s'\n",
                distribution);
        return false;
    }
    if (o->request_rate > 0)
        o->concurrency = 0;
    return true;
}

int perf_args_parse(int argc, char **argv, perf_options_t *o)
{
    const char *url = NULL, *grpc = NULL, *protocol = NULL, *distribution = NULL;
    bool concurrency_set = false, max_in_flight_set = false;
    long v;

    memset(o, 0, sizeof *o);
    o->concurrency = 1;
    o->max_in_flight = PERF_DEFAULT_MAX_IN_FLIGHT;
    o->threads = 1;
    o->duration_s = PERF_DEFAULT_DURATION_SECS;
    o->batch = 1;
    o->timeout_ms = PERF_DEFAULT_TIMEOUT_MS;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value;

        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            perf_usage(stdout);
            return 1;
        }
        if (strcmp(flag, "--output-json") == 0) {
            o->output_json = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "inferd perf: %s needs a value (see inferd perf --help)\n", flag);
            return -1;
        }
        value = argv[++i];
        if (strcmp(flag, "--url") == 0)
            url = value;
        else if (strcmp(flag, "--grpc") == 0)
            grpc = value;
        else if (strcmp(flag, "--model") == 0)
            o->model = value;
        else if (strcmp(flag, "--model-version") == 0) {
            if (!parse_long(flag, value, 1, INT32_MAX, &v))
                return -1;
            o->model_version = value;
        } else if (strcmp(flag, "--protocol") == 0)
            protocol = value;
        else if (strcmp(flag, "--concurrency") == 0) {
            if (!parse_long(flag, value, 1, PERF_MAX_CONCURRENCY, &v))
                return -1;
            o->concurrency = (int)v;
            concurrency_set = true;
        } else if (strcmp(flag, "--request-rate") == 0) {
            if (!parse_seconds(flag, value, PERF_MAX_REQUEST_RATE, false, &o->request_rate))
                return -1;
        } else if (strcmp(flag, "--request-distribution") == 0)
            distribution = value;
        else if (strcmp(flag, "--max-in-flight") == 0) {
            if (!parse_long(flag, value, 1, PERF_MAX_CONCURRENCY, &v))
                return -1;
            o->max_in_flight = (int)v;
            max_in_flight_set = true;
        } else if (strcmp(flag, "--threads") == 0) {
            if (!parse_long(flag, value, 1, PERF_MAX_THREADS, &v))
                return -1;
            o->threads = (int)v;
        } else if (strcmp(flag, "--duration") == 0) {
            if (!parse_seconds(flag, value, PERF_MAX_DURATION_SECS, false, &o->duration_s))
                return -1;
        } else if (strcmp(flag, "--warmup") == 0) {
            if (!parse_seconds(flag, value, PERF_MAX_DURATION_SECS, true, &o->warmup_s))
                return -1;
        } else if (strcmp(flag, "--batch") == 0) {
            if (!parse_long(flag, value, 1, PERF_MAX_BATCH, &v))
                return -1;
            o->batch = v;
        } else if (strcmp(flag, "--shape") == 0) {
            if (o->n_shapes == PERF_MAX_SHAPE_FLAGS) {
                fprintf(stderr, "inferd perf: at most %d --shape flags\n", PERF_MAX_SHAPE_FLAGS);
                return -1;
            }
            if (!check_shape_flag(value))
                return -1;
            o->shapes[o->n_shapes++] = value;
        } else if (strcmp(flag, "--timeout-ms") == 0) {
            if (!parse_long(flag, value, 1, PERF_MAX_TIMEOUT_MS, &v))
                return -1;
            o->timeout_ms = (int)v;
        } else {
            fprintf(stderr, "inferd perf: unknown option '%s' (see inferd perf --help)\n", flag);
            return -1;
        }
    }
    if (!check_combination(o, url, grpc, protocol, distribution, concurrency_set,
                           max_in_flight_set))
        return -1;
    return 0;
}

const char *perf_target_text(const perf_options_t *o, char *buf, size_t size)
{
    bool v6 = strchr(o->host, ':') != NULL;

    snprintf(buf, size, "%s%s%s%s:%s", o->protocol == PERF_GRPC ? "" : PERF_HTTP_SCHEME,
             v6 ? "[" : "", o->host, v6 ? "]" : "", o->port);
    return buf;
}
