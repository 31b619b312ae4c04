/*
 * cli_health.c - `inferd health`: asks a running server on this host
 * whether it is ready (GET /v2/health/ready) and exits 0 on 200, 1 on
 * anything else, with a one-line reason on stderr. It is the container
 * image's HEALTHCHECK, so the image needs no curl.
 *
 * The port comes from --http-port, else INFERD_HTTP_PORT (the variable
 * `inferd serve` reads), else 8000; the host from --host, else
 * INFERD_BIND_ADDRESS when that is one address rather than a wildcard,
 * else 127.0.0.1. The exchange (connect included) is bounded by
 * --timeout-secs and goes through perf's socket client (perf_httpc.c),
 * so a stuck server gives a failure, never a hang.
 *
 * Every failure, a bad option included, is exit status 1: Docker reserves
 * 2 in health checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "perf_httpc.h"

#define HEALTH_DEFAULT_HOST         "127.0.0.1"
#define HEALTH_DEFAULT_HOST_IPV6    "::1"
#define HEALTH_DEFAULT_PORT         8000
#define HEALTH_DEFAULT_TIMEOUT_SECS 3
#define HEALTH_MAX_TIMEOUT_SECS     60
#define HEALTH_PORT_MAX             65535
#define HEALTH_PATH                 "/v2/health/ready"
#define HEALTH_OK                   0
#define HEALTH_FAILED               1
/* Room for the request: the fixed text plus a host name of PERF_HOST_MAX. */
#define HEALTH_REQUEST_MAX (PERF_HOST_MAX + 128)

typedef struct health_args {
    char host[PERF_HOST_MAX];
    int port;
    int timeout_secs;
} health_args_t;

static void health_usage(FILE *out)
{
    fputs("usage: inferd health [--host ADDR] [--http-port N] [--timeout-secs S]\n"
          "\n"
          "Exits 0 when the server answers GET " HEALTH_PATH " with 200, else 1\n"
          "with the reason on stderr (a container HEALTHCHECK).\n"
          "\n"
          "  --host ADDR       the server's address (default: INFERD_BIND_ADDRESS when it is\n"
          "                    not 0.0.0.0 or ::, else 127.0.0.1)\n"
          "  --http-port N     its HTTP port (default: INFERD_HTTP_PORT, else 8000)\n"
          "  --timeout-secs S  longest wait, connecting included (default 3)\n",
          out);
}

/* Parses a whole decimal integer in [min, max] into *out; false otherwise. */
static bool health_parse_int(const char *text, int min, int max, int *out)
{
    char *end;
    long v;

    if (!text || !*text)
        return false;
    v = strtol(text, &end, 10);
    if (*end || v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

/* Fills *a from the environment, then argv; false after printing why. */
static bool health_parse_args(int argc, char **argv, health_args_t *a, bool *help)
{
    const char *bind = getenv("INFERD_BIND_ADDRESS");
    const char *port = getenv("INFERD_HTTP_PORT");
    const char *host = HEALTH_DEFAULT_HOST;

    *help = false;
    if (bind && *bind && strcmp(bind, "0.0.0.0") != 0)
        host = strcmp(bind, "::") == 0 ? HEALTH_DEFAULT_HOST_IPV6 : bind;
    a->port = HEALTH_DEFAULT_PORT;
    a->timeout_secs = HEALTH_DEFAULT_TIMEOUT_SECS;
    if (port && !health_parse_int(port, 1, HEALTH_PORT_MAX, &a->port)) {
        fprintf(stderr, "inferd health: INFERD_HTTP_PORT '%s' is not a port from 1 to %d\n", port,
                HEALTH_PORT_MAX);
        return false;
    }
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            *help = true;
            return true;
        }
        if (!value) {
            fprintf(stderr, "inferd health: %s needs a value\n", flag);
            return false;
        }
        i++;
        if (strcmp(flag, "--host") == 0) {
            host = value;
        } else if (strcmp(flag, "--http-port") == 0) {
            if (!health_parse_int(value, 1, HEALTH_PORT_MAX, &a->port)) {
                fprintf(stderr, "inferd health: --http-port '%s' is not a port from 1 to %d\n",
                        value, HEALTH_PORT_MAX);
                return false;
            }
        } else if (strcmp(flag, "--timeout-secs") == 0) {
            if (!health_parse_int(value, 1, HEALTH_MAX_TIMEOUT_SECS, &a->timeout_secs)) {
                fprintf(stderr, "inferd health: --timeout-secs '%s' is not from 1 to %d\n", value,
                        HEALTH_MAX_TIMEOUT_SECS);
                return false;
            }
        } else {
            fprintf(stderr, "inferd health: unknown option '%s'\n", flag);
            return false;
        }
    }
    if (strlen(host) >= sizeof a->host) {
        fprintf(stderr, "inferd health: host name over %d bytes\n", PERF_HOST_MAX - 1);
        return false;
    }
    strcpy(a->host, host);
    return true;
}

int cli_health(int argc, char **argv)
{
    health_args_t a;
    perf_httpc_t client;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char port[PERF_PORT_MAX], request[HEALTH_REQUEST_MAX], err[PERF_ERROR_MAX];
    bool help, ipv6;
    int code = HEALTH_FAILED;
    int n;

    perf_httpc_init(&client, &(struct sockaddr_storage){0}, 0, 0);
    if (!health_parse_args(argc, argv, &a, &help))
        goto cleanup;
    if (help) {
        health_usage(stdout);
        code = HEALTH_OK;
        goto cleanup;
    }
    snprintf(port, sizeof port, "%d", a.port);
    if (!perf_httpc_resolve(a.host, port, &addr, &addr_len, err, sizeof err)) {
        fprintf(stderr, "inferd health: %s\n", err);
        goto cleanup;
    }
    ipv6 = strchr(a.host, ':') != NULL;
    n = snprintf(request, sizeof request,
                 "GET " HEALTH_PATH " HTTP/1.1\r\nHost: %s%s%s:%d\r\nConnection: close\r\n\r\n",
                 ipv6 ? "[" : "", a.host, ipv6 ? "]" : "", a.port);
    perf_httpc_init(&client, &addr, addr_len, a.timeout_secs * 1000);
    if (perf_httpc_exchange(&client, request, (size_t)n) != PERF_HTTPC_OK) {
        fprintf(stderr, "inferd health: %s port %d: %s\n", a.host, a.port, client.error);
        goto cleanup;
    }
    if (client.status != 200) {
        fprintf(stderr, "inferd health: %s port %d answered %d to GET " HEALTH_PATH "\n", a.host,
                a.port, client.status);
        goto cleanup;
    }
    code = HEALTH_OK;
cleanup:
    perf_httpc_close(&client);
    return code;
}
