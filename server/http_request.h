/*
 * http_request.h - the numbers a REST request's headers carry, read before
 * its body (the route is api/kserve_routes.h's). Pure functions on strings
 * (no connection, no repository), so they are tested and fuzzed on their
 * own (tests/fuzz/fuzz_http.c).
 */
#ifndef INFERD_HTTP_REQUEST_H
#define INFERD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
