/*
 * fuzz_http.c - the REST front end's reading of a request before its body:
 * the path as MHD hands it over (query dropped, %-escapes decoded by MHD's
 * own MHD_http_unescape), routed with the method (http_route_parse), and
 * the Inference-Header-Content-Length and Content-Length headers
 * (http_header_length, http_body_announced_over).
 *
 * Input: "METHOD\nURL\nINFERENCE-HEADER-CONTENT-LENGTH\nCONTENT-LENGTH\nBODY";
 * a missing line is a missing header, a NUL ends a line's string early (as
 * C strings from MHD would), and the body's length is what the headers
 * are checked against.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "http_request.h"

/* Lines of the input before the body. */
#define FUZZ_HTTP_LINES 4
/* The --max-body-bytes the announced length is compared with (the server's default). */
#define FUZZ_BODY_LIMIT ((size_t)64 << 20)

/* One line of the input as a C string (truncated at a NUL, as MHD's strings are). */
typedef struct line {
    char text[HTTP_PATH_MAX * 2];
    bool present;
} line_t;

/* Splits data into the header lines; returns the offset of the body. */
static size_t split_lines(const uint8_t *data, size_t size, line_t *lines)
{
    size_t pos = 0;

    for (int i = 0; i < FUZZ_HTTP_LINES; i++) {
        size_t end = pos, len;
        lines[i].present = pos < size;
        while (end < size && data[end] != '\n')
            end++;
        len = end - pos < sizeof lines[i].text - 1 ? end - pos : sizeof lines[i].text - 1;
        memcpy(lines[i].text, data + pos, len);
        lines[i].text[len] = '\0';
        pos = end < size ? end + 1 : size;
    }
    return pos;
}

/* The path of a route written back, which must route the same way. */
static void check_round_trip(const http_route_t *r, const char *method)
{
    static const char *const actions[] = {
        [HTTP_ENDPOINT_MODEL_METADATA] = "",      [HTTP_ENDPOINT_MODEL_READY] = "/ready",
        [HTTP_ENDPOINT_MODEL_CONFIG] = "/config", [HTTP_ENDPOINT_MODEL_STATS] = "/stats",
        [HTTP_ENDPOINT_MODEL_INFER] = "/infer",
    };
    char path[HTTP_PATH_MAX * 2], version[32] = "";
    http_route_t again;

    if (r->endpoint < HTTP_ENDPOINT_MODEL_METADATA || r->endpoint > HTTP_ENDPOINT_MODEL_INFER)
        return;
    if (r->version >= 0)
        snprintf(version, sizeof version, "/versions/%lld", (long long)r->version);
    snprintf(path, sizeof path, "/v2/models/%s%s%s", r->model, version, actions[r->endpoint]);
    http_route_parse(path, method, &again);
    FUZZ_CHECK(again.endpoint == r->endpoint);
    FUZZ_CHECK(again.method_allowed == r->method_allowed);
    FUZZ_CHECK(again.version == r->version);
    FUZZ_CHECK(again.model && strcmp(again.model, r->model) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    line_t lines[FUZZ_HTTP_LINES];
    size_t body = split_lines(data, size, lines);
    size_t body_size = size - body, header_len = 0;
    const char *method = lines[0].text;
    char *url = lines[1].text;
    http_route_t r;

    /* MHD passes the path without the query, %-decoded. */
    url[strcspn(url, "?")] = '\0';
    MHD_http_unescape(url);
    http_route_parse(url, method, &r);
    FUZZ_CHECK(r.version >= -1);
    switch (r.endpoint) {
    case HTTP_ENDPOINT_NONE:
    case HTTP_ENDPOINT_BAD_VERSION:
    case HTTP_ENDPOINT_SERVER_METADATA:
    case HTTP_ENDPOINT_HEALTH_LIVE:
    case HTTP_ENDPOINT_HEALTH_READY:
    case HTTP_ENDPOINT_STATS:
    case HTTP_ENDPOINT_REPOSITORY_INDEX:
        FUZZ_CHECK(r.endpoint == HTTP_ENDPOINT_BAD_VERSION || !r.model);
        FUZZ_CHECK(r.version == -1);
        break;
    default:
        /* A model is named by one non-empty segment, as the repository expects. */
        FUZZ_CHECK(r.model && r.model[0] && !strchr(r.model, '/'));
        FUZZ_CHECK(strlen(r.model) < HTTP_PATH_MAX);
        check_round_trip(&r, method);
        break;
    }
    if (lines[2].present && http_header_length(lines[2].text, body_size, &header_len)) {
        FUZZ_CHECK(header_len <= body_size);
        FUZZ_CHECK(strspn(lines[2].text, "0123456789") == strlen(lines[2].text));
    }
    if (lines[3].present && http_body_announced_over(lines[3].text, FUZZ_BODY_LIMIT))
        FUZZ_CHECK(strlen(lines[3].text) > 0);
    return 0;
}
