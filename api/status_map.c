#include "status_map.h"

#include <stddef.h>

typedef struct status_row {
    status_t status;
    int http;
    api_grpc_code_t grpc;
    bool retryable;
    /*
     * TF Serving's HTTP status (its http_server.cc ToHTTPStatusCode of the
     * gRPC code), for its REST API: 429 for RESOURCE_EXHAUSTED and 504 for
     * DEADLINE_EXCEEDED where KServe answers 503.
     */
    int tfserving_http;
} status_row_t;

static const status_row_t status_table[] = {
    {STATUS_OK, 200, API_GRPC_OK, false, 200},
    {STATUS_INVALID_ARGUMENT, 400, API_GRPC_INVALID_ARGUMENT, false, 400},
    {STATUS_LIMIT_EXCEEDED, 400, API_GRPC_INVALID_ARGUMENT, false, 400},
    {STATUS_NOT_FOUND, 404, API_GRPC_NOT_FOUND, false, 404},
    {STATUS_TOO_LARGE, 413, API_GRPC_RESOURCE_EXHAUSTED, false, 413},
    {STATUS_PERMISSION_DENIED, 403, API_GRPC_PERMISSION_DENIED, false, 403},
    {STATUS_FAILED_PRECONDITION, 400, API_GRPC_FAILED_PRECONDITION, false, 400},
    /* Triton answers ALREADY_EXISTS with 400 over HTTP (a shared memory region registered twice).
     */
    {STATUS_ALREADY_EXISTS, 400, API_GRPC_ALREADY_EXISTS, false, 409},
    {STATUS_UNSUPPORTED, 501, API_GRPC_UNIMPLEMENTED, false, 501},
    {STATUS_UNAVAILABLE, 503, API_GRPC_UNAVAILABLE, true, 503},
    {STATUS_QUEUE_FULL, 503, API_GRPC_RESOURCE_EXHAUSTED, true, 429},
    {STATUS_DEADLINE_EXCEEDED, 503, API_GRPC_DEADLINE_EXCEEDED, true, 504},
    {STATUS_INVALID_MODEL, 500, API_GRPC_INTERNAL, false, 500},
    {STATUS_OUT_OF_MEMORY, 500, API_GRPC_INTERNAL, false, 500},
    {STATUS_IO, 500, API_GRPC_INTERNAL, false, 500},
    {STATUS_INTERNAL, 500, API_GRPC_INTERNAL, false, 500},
};

static const status_row_t *find_row(status_t st)
{
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].status == st)
            return &status_table[i];
    return &status_table[sizeof status_table / sizeof status_table[0] - 1];
}

int api_http_status(status_t st)
{
    return find_row(st)->http;
}

api_grpc_code_t api_grpc_status(status_t st)
{
    return find_row(st)->grpc;
}

bool api_status_retryable(status_t st)
{
    return find_row(st)->retryable;
}

int api_tfserving_http_status(status_t st)
{
    return find_row(st)->tfserving_http;
}

const char *api_grpc_code_name(int code)
{
    static const char *const names[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    return code >= 0 && (size_t)code < sizeof names / sizeof names[0] ? names[code] : NULL;
}
