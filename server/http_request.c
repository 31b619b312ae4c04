/*
 * http_request.c - routing a REST request line and reading the numbers in
 * its headers (http_request.h).
 */
#include "http_request.h"

#include <stdio.h>
#include <string.h>

/*
 * Reads value, decimal digits only, into *out. Returns false for an empty
 * string, any other character, or a number over max.
 */
static bool parse_decimal(const char *value, uint64_t max, uint64_t *out)
{
    uint64_t n = 0;

    if (!value || !*value)
        return false;
    for (const char *p = value; *p; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (digit > 9 || digit > max || n > (max - digit) / 10)
            return false;
        n = n * 10 + digit;
    }
    *out = n;
    return true;
}

/* Splits path in place at '/' into segs, skipping empty segments; the count or -1. */
static int split_path(char *path, char **segs)
{
    int n = 0;
    char *save = NULL;

    for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == HTTP_PATH_MAX_SEGMENTS)
            return -1;
        segs[n++] = s;
    }
    return n;
}

/* Sets the endpoint and whether method is the one it takes. */
static void route_to(http_route_t *out, http_endpoint_t endpoint, bool allowed)
{
    out->endpoint = endpoint;
    out->method_allowed = allowed;
}

/* /v2/models/<name>[/versions/<v>][/<action>], n >= 3 segments. */
static void route_model(char **segs, int n, bool get, bool post, http_route_t *out)
{
    int next = 3;
    const char *action = "";
    uint64_t version;

    out->model = segs[2];
    if (n >= 5 && strcmp(segs[3], "versions") == 0) {
        if (!parse_decimal(segs[4], INT64_MAX, &version)) {
            route_to(out, HTTP_ENDPOINT_BAD_VERSION, true);
            return;
        }
        out->version = (int64_t)version;
        next = 5;
    }
    if (n > next + 1)
        return;
    if (n == next + 1)
        action = segs[next];
    if (strcmp(action, "infer") == 0)
        route_to(out, HTTP_ENDPOINT_MODEL_INFER, post);
    else if (!*action)
        route_to(out, HTTP_ENDPOINT_MODEL_METADATA, get);
    else if (strcmp(action, "ready") == 0)
        route_to(out, HTTP_ENDPOINT_MODEL_READY, get);
    else if (strcmp(action, "config") == 0)
        route_to(out, HTTP_ENDPOINT_MODEL_CONFIG, get);
    else if (strcmp(action, "stats") == 0)
        route_to(out, HTTP_ENDPOINT_MODEL_STATS, get);
}

void http_route_parse(const char *url, const char *method, http_route_t *out)
{
    char *segs[HTTP_PATH_MAX_SEGMENTS];
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    int n;

    memset(out, 0, sizeof *out);
    out->version = -1;
    if (snprintf(out->path, sizeof out->path, "%s", url) >= (int)sizeof out->path)
        return;
    n = split_path(out->path, segs);
    if (n < 1 || strcmp(segs[0], "v2") != 0)
        return;
    if (n == 1)
        route_to(out, HTTP_ENDPOINT_SERVER_METADATA, get);
    else if (n == 3 && strcmp(segs[1], "health") == 0 && strcmp(segs[2], "live") == 0)
        route_to(out, HTTP_ENDPOINT_HEALTH_LIVE, get);
    else if (n == 3 && strcmp(segs[1], "health") == 0 && strcmp(segs[2], "ready") == 0)
        route_to(out, HTTP_ENDPOINT_HEALTH_READY, get);
    else if (n == 3 && strcmp(segs[1], "models") == 0 && strcmp(segs[2], "stats") == 0)
        route_to(out, HTTP_ENDPOINT_STATS, get);
    else if (n >= 3 && strcmp(segs[1], "models") == 0)
        route_model(segs, n, get, post, out);
    else if (n == 3 && strcmp(segs[1], "repository") == 0 && strcmp(segs[2], "index") == 0)
        route_to(out, HTTP_ENDPOINT_REPOSITORY_INDEX, post);
    else if (n == 5 && strcmp(segs[1], "repository") == 0 && strcmp(segs[2], "models") == 0 &&
             (strcmp(segs[4], "load") == 0 || strcmp(segs[4], "unload") == 0)) {
        out->model = segs[3];
        route_to(out,
                 strcmp(segs[4], "load") == 0 ? HTTP_ENDPOINT_REPOSITORY_LOAD
                                              : HTTP_ENDPOINT_REPOSITORY_UNLOAD,
                 post);
    }
    /* No endpoint names no model: a path like /v2/models/m/versions/1/nosuch routes nowhere. */
    if (out->endpoint == HTTP_ENDPOINT_NONE) {
        out->model = NULL;
        out->version = -1;
    }
}

bool http_header_length(const char *value, size_t body_size, size_t *out)
{
    uint64_t n;

    if (!parse_decimal(value, body_size, &n))
        return false;
    *out = (size_t)n;
    return true;
}

bool http_body_announced_over(const char *content_length, size_t limit)
{
    uint64_t n;
    const char *p = content_length;

    if (!p || !*p)
        return false;
    /* Digits only, but a number too long for 64 bits is over any limit. */
    if (parse_decimal(p, UINT64_MAX, &n))
        return n > limit;
    return strspn(p, "0123456789") == strlen(p);
}
