/*
 * fuzz_http.c - the REST front end's reading of a request before its body:
 * the path as MHD hands it over (query dropped, %-escapes decoded by MHD's
 * own MHD_http_unescape), routed with the method (kserve_route_find), and
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
#include "kserve_routes.h"

/* Lines of the input before the body. */
#define FUZZ_HTTP_LINES 4
/* The --max-body-bytes the announced length is compared with (the server's default). */
#define FUZZ_BODY_LIMIT ((size_t)64 << 20)

/* One line of the input as a C string (truncated at a NUL, as MHD's strings are). */
typedef struct line {
    char text[KSERVE_ROUTE_PATH_MAX * 2];
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

/* True for the routes that name a model: /v2/models/<m>[/versions/<v>]/... */
static bool names_model(kserve_route_id_t route)
{
    return route >= KSERVE_ROUTE_MODEL_METADATA && route <= KSERVE_ROUTE_MODEL_INFER;
}

/* The path of a model route written back, which must route the same way. */
static void check_round_trip(const kserve_route_match_t *m, const char *method)
{
    static const char *const actions[] = {
        [KSERVE_ROUTE_MODEL_METADATA] = "",      [KSERVE_ROUTE_MODEL_READY] = "/ready",
        [KSERVE_ROUTE_MODEL_CONFIG] = "/config", [KSERVE_ROUTE_MODEL_STATS] = "/stats",
        [KSERVE_ROUTE_MODEL_INFER] = "/infer",
    };
    char path[KSERVE_ROUTE_PATH_MAX * 3];
    kserve_route_match_t again;

    snprintf(path, sizeof path, "/v2/models/%s%s%s%s", m->model, m->version ? "/versions/" : "",
             m->version ? m->version : "", actions[m->route]);
    kserve_route_find(path, method, &again);
    FUZZ_CHECK(again.route == m->route);
    FUZZ_CHECK(again.method_ok == m->method_ok);
    FUZZ_CHECK(again.model && strcmp(again.model, m->model) == 0);
    FUZZ_CHECK(!again.version == !m->version);
    FUZZ_CHECK(!m->version || strcmp(again.version, m->version) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    line_t lines[FUZZ_HTTP_LINES];
    size_t body = split_lines(data, size, lines);
    size_t body_size = size - body, header_len = 0;
    const char *method = lines[0].text;
    char *url = lines[1].text;
    kserve_route_match_t m;

    /* MHD passes the path without the query, %-decoded. */
    url[strcspn(url, "?")] = '\0';
    MHD_http_unescape(url);
    kserve_route_find(url, method, &m);
    if (m.route == KSERVE_ROUTE_COUNT || !names_model(m.route)) {
        FUZZ_CHECK(m.route == KSERVE_ROUTE_COUNT || m.route >= KSERVE_ROUTE_REPOSITORY_LOAD ||
                   !m.model);
        FUZZ_CHECK(m.route == KSERVE_ROUTE_COUNT || !m.version);
    } else {
        /* A model is named by one non-empty segment, as the repository expects. */
        FUZZ_CHECK(m.model && m.model[0] && !strchr(m.model, '/'));
        FUZZ_CHECK(strlen(m.model) < KSERVE_ROUTE_PATH_MAX);
        FUZZ_CHECK(!m.version || (m.version[0] && !strchr(m.version, '/')));
        check_round_trip(&m, method);
    }
    if (lines[2].present && http_header_length(lines[2].text, body_size, &header_len)) {
        FUZZ_CHECK(header_len <= body_size);
        FUZZ_CHECK(strspn(lines[2].text, "0123456789") == strlen(lines[2].text));
    }
    if (lines[3].present && http_body_announced_over(lines[3].text, FUZZ_BODY_LIMIT))
        FUZZ_CHECK(strlen(lines[3].text) > 0);
    return 0;
}
