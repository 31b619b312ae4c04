/*
 * http_request.h - what the REST front end reads from a request before its
 * body: the endpoint its method and path name, and the numbers its headers
 * carry. Pure functions on strings (no connection, no repository), so they
 * are tested and fuzzed on their own (tests/fuzz/fuzz_http.c).
 */
#ifndef INFERD_HTTP_REQUEST_H
#define INFERD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest path routed, its NUL included; a longer one names no endpoint. */
#define HTTP_PATH_MAX 1024
/* Path segments a routed URL may have; KServe paths have at most seven. */
#define HTTP_PATH_MAX_SEGMENTS 8

typedef enum http_endpoint {
    HTTP_ENDPOINT_NONE = 0,          /* no such endpoint (404) */
    HTTP_ENDPOINT_BAD_VERSION,       /* .../versions/<not a version>... (400) */
    HTTP_ENDPOINT_SERVER_METADATA,   /* GET /v2 */
    HTTP_ENDPOINT_HEALTH_LIVE,       /* GET /v2/health/live */
    HTTP_ENDPOINT_HEALTH_READY,      /* GET /v2/health/ready */
    HTTP_ENDPOINT_STATS,             /* GET /v2/models/stats */
    HTTP_ENDPOINT_MODEL_METADATA,    /* GET /v2/models/<m>[/versions/<v>] */
    HTTP_ENDPOINT_MODEL_READY,       /* GET .../ready */
    HTTP_ENDPOINT_MODEL_CONFIG,      /* GET .../config */
    HTTP_ENDPOINT_MODEL_STATS,       /* GET .../stats */
    HTTP_ENDPOINT_MODEL_INFER,       /* POST .../infer */
    HTTP_ENDPOINT_REPOSITORY_INDEX,  /* POST /v2/repository/index */
    HTTP_ENDPOINT_REPOSITORY_LOAD,   /* POST /v2/repository/models/<m>/load */
    HTTP_ENDPOINT_REPOSITORY_UNLOAD, /* POST /v2/repository/models/<m>/unload */
} http_endpoint_t;

/* A request line, routed. */
typedef struct http_route {
    http_endpoint_t endpoint;
    bool method_allowed;      /* false: the endpoint exists but not for this method (405) */
    const char *model;        /* the model name segment (points into path), or NULL */
    int64_t version;          /* the version segment, -1 when there is none */
    char path[HTTP_PATH_MAX]; /* the URL, split in place at '/' */
} http_route_t;

/*
 * Routes method and url (as MHD hands them over: the path, unescaped,
 * without the query). Empty segments are skipped, so "//v2//models/m" is
 * "/v2/models/m". A version is decimal digits only, at most INT64_MAX.
 */
void http_route_parse(const char *url, const char *method, http_route_t *out);

/*
 * Inference-Header-Content-Length: true and *out set when value is decimal
 * digits only, at most body_size.
 */
bool http_header_length(const char *value, size_t body_size, size_t *out);

/*
 * Content-Length as the client announced it: true when it is a decimal
 * number over limit (too long for 64 bits included). NULL (no header) and
 * anything else are not over: MHD answers a malformed length itself, this
 * only decides whether to take the body in.
 */
bool http_body_announced_over(const char *content_length, size_t limit);

#endif
