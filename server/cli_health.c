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
 * HTTPS: --scheme https, the default when INFERD_TLS_CERT_FILE is set (the
 * server's own switch, which a container shares with its HEALTHCHECK).
 * The server's certificate is not verified unless --ca-file is given, as
 * a kubelet's HTTPS probes do: the check asks this host whether the server
 * is ready and sends nothing secret. A server requiring client
 * certificates needs --cert-file and --key-file. When the server's
 * INFERD_HTTP_RESTRICTED_API restricts the health category, the check
 * sends that header, so the secret never appears on a command line.
 *
 * Every failure, a bad option included, is exit status 1: Docker reserves
 * 2 in health checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "perf_httpc.h"
#include "restricted_api.h"

#define HEALTH_DEFAULT_HOST         "127.0.0.1"
#define HEALTH_DEFAULT_HOST_IPV6    "::1"
#define HEALTH_DEFAULT_PORT         8000
#define HEALTH_DEFAULT_TIMEOUT_SECS 3
#define HEALTH_MAX_TIMEOUT_SECS     60
#define HEALTH_PORT_MAX             65535
#define HEALTH_PATH                 "/v2/health/ready"
#define HEALTH_OK                   0
#define HEALTH_FAILED               1
/* Room for the request: the fixed text, a host name and a restricted-API header. */
#define HEALTH_REQUEST_MAX                                                                         \
    (PERF_HOST_MAX + RESTRICTED_API_HEADER_MAX + RESTRICTED_API_VALUE_MAX + 160)

typedef struct health_args {
    char host[PERF_HOST_MAX];
    int port;
    int timeout_secs;
    bool https;
    const char *ca_file;   /* verify the server against these CAs; NULL: no check */
    const char *cert_file; /* client certificate and key, for servers that require one */
    const char *key_file;
} health_args_t;

static void health_usage(FILE *out)
{
    fputs("usage: inferd health [--host ADDR] [--http-port N] [--timeout-secs S]\n"
          "                     [--scheme http|https] [--ca-file F] [--cert-file F --key-file F]\n"
          "\n"
          "Exits 0 when the server answers GET " HEALTH_PATH " with 200, else 1\n"
          "with the reason on stderr (a container HEALTHCHECK).\n"
          "\n"
          "  --host ADDR          the server's address (default: INFERD_BIND_ADDRESS when it is\n"
          "                       not 0.0.0.0 or ::, else 127.0.0.1)\n"
          "  --http-port N        its HTTP port (default: INFERD_HTTP_PORT, else 8000)\n"
          "  --timeout-secs S     longest wait, connecting included (default 3)\n"
          "  --scheme http|https  default https when INFERD_TLS_CERT_FILE is set, else http\n"
          "  --ca-file F          verify the server's certificate and address against these\n"
          "                       CAs (default: no check, as HTTPS probes do)\n"
          "  --cert-file F        client certificate (PEM), for --tls-client-auth require\n"
          "  --key-file F         its private key (PEM)\n"
          "\n"
          "When INFERD_HTTP_RESTRICTED_API restricts health, its header is sent.\n",
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
    const char *cert = getenv("INFERD_TLS_CERT_FILE");
    const char *host = HEALTH_DEFAULT_HOST;

    *help = false;
    a->https = cert && *cert;
    a->ca_file = a->cert_file = a->key_file = NULL;
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
        } else if (strcmp(flag, "--scheme") == 0) {
            if (strcmp(value, "http") != 0 && strcmp(value, "https") != 0) {
                fprintf(stderr, "inferd health: --scheme '%s' is not http or https\n", value);
                return false;
            }
            a->https = strcmp(value, "https") == 0;
        } else if (strcmp(flag, "--ca-file") == 0) {
            a->ca_file = value;
        } else if (strcmp(flag, "--cert-file") == 0) {
            a->cert_file = value;
        } else if (strcmp(flag, "--key-file") == 0) {
            a->key_file = value;
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
    if (!a->cert_file != !a->key_file) {
        fputs("inferd health: --cert-file and --key-file go together\n", stderr);
        return false;
    }
    if (!a->https && (a->ca_file || a->cert_file)) {
        fputs("inferd health: --ca-file, --cert-file and --key-file need --scheme https\n", stderr);
        return false;
    }
    if (strlen(host) >= sizeof a->host) {
        fprintf(stderr, "inferd health: host name over %d bytes\n", PERF_HOST_MAX - 1);
        return false;
    }
    strcpy(a->host, host);
    return true;
}

/*
 * The header line the server's INFERD_HTTP_RESTRICTED_API asks health
 * requests for ("" when health is open) into line; false after printing
 * why the variable is unusable (never its values).
 */
static bool restricted_header(char *line, size_t size)
{
    const char *text = getenv("INFERD_HTTP_RESTRICTED_API");
    restricted_api_t rules = {0};
    const restricted_api_rule_t *rule = &rules.rules[RESTRICTED_API_HEALTH];
    error_t err = {0};
    bool ok = true;

    line[0] = '\0';
    if (!text || !*text)
        return true;
    if (restricted_api_add(&rules, RESTRICTED_API_HTTP, text, &err) != STATUS_OK) {
        fprintf(stderr, "inferd health: INFERD_HTTP_RESTRICTED_API: %s\n", err.message);
        ok = false;
    } else if (rule->header[0]) {
        snprintf(line, size, "%s: %.*s\r\n", rule->header, (int)rule->value_len,
                 (const char *)rule->value);
    }
    gnutls_memset(&rules, 0, sizeof rules);
    return ok;
}

/* TLS credentials for the check: the CAs and client certificate asked for. */
static bool tls_credentials(const health_args_t *a, gnutls_certificate_credentials_t *out)
{
    int ret = gnutls_certificate_allocate_credentials(out);

    if (ret < 0) {
        *out = NULL;
        fprintf(stderr, "inferd health: TLS: %s\n", gnutls_strerror(ret));
        return false;
    }
    if (a->ca_file) {
        ret = gnutls_certificate_set_x509_trust_file(*out, a->ca_file, GNUTLS_X509_FMT_PEM);
        if (ret <= 0) {
            fprintf(stderr, "inferd health: --ca-file %s: %s\n", a->ca_file,
                    ret < 0 ? gnutls_strerror(ret) : "no certificate in it");
            return false;
        }
    }
    if (a->cert_file) {
        ret = gnutls_certificate_set_x509_key_file(*out, a->cert_file, a->key_file,
                                                   GNUTLS_X509_FMT_PEM);
        if (ret < 0) {
            fprintf(stderr, "inferd health: --cert-file %s / --key-file %s: %s\n", a->cert_file,
                    a->key_file, gnutls_strerror(ret));
            return false;
        }
    }
    return true;
}

int cli_health(int argc, char **argv)
{
    health_args_t a;
    perf_httpc_t client;
    perf_httpc_tls_t tls;
    gnutls_certificate_credentials_t credentials = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char port[PERF_PORT_MAX], request[HEALTH_REQUEST_MAX], err[PERF_ERROR_MAX];
    char header[RESTRICTED_API_HEADER_MAX + RESTRICTED_API_VALUE_MAX + 8];
    perf_httpc_result_t result;
    bool help, ipv6;
    int code = HEALTH_FAILED;
    int n;

    memset(request, 0, sizeof request);
    header[0] = '\0';
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
    if (!restricted_header(header, sizeof header))
        goto cleanup;
    ipv6 = strchr(a.host, ':') != NULL;
    n = snprintf(request, sizeof request,
                 "GET " HEALTH_PATH " HTTP/1.1\r\nHost: %s%s%s:%d\r\n%sConnection: close\r\n\r\n",
                 ipv6 ? "[" : "", a.host, ipv6 ? "]" : "", a.port, header);
    perf_httpc_init(&client, &addr, addr_len, a.timeout_secs * 1000);
    if (a.https) {
        if (!tls_credentials(&a, &credentials))
            goto cleanup;
        tls = (perf_httpc_tls_t){
            .credentials = credentials, .server_name = a.host, .verify = a.ca_file != NULL};
        perf_httpc_use_tls(&client, &tls);
    }
    result = perf_httpc_exchange(&client, request, (size_t)n);
    if (result != PERF_HTTPC_OK) {
        fprintf(stderr, "inferd health: %s port %d: %s%s\n", a.host, a.port, client.error,
                !a.https && (result == PERF_HTTPC_IO_ERROR || result == PERF_HTTPC_BAD_RESPONSE)
                    ? " (if it serves HTTPS: --scheme https)"
                    : "");
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
    if (credentials)
        gnutls_certificate_free_credentials(credentials);
    gnutls_memset(request, 0, sizeof request);
    gnutls_memset(header, 0, sizeof header);
    return code;
}
