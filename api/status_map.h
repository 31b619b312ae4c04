/*
 * status_map.h - the one table that maps inferd's status codes to HTTP and
 * gRPC statuses. Both front ends answer errors through it, so the same
 * failure gets the same meaning on either protocol.
 */
#ifndef INFERD_STATUS_MAP_H
#define INFERD_STATUS_MAP_H

#include <stdbool.h>

#include "status.h"

/* gRPC status codes (grpc/status.h values), without depending on gRPC here. */
typedef enum api_grpc_code {
    API_GRPC_OK = 0,
    API_GRPC_CANCELLED = 1,
    API_GRPC_UNKNOWN = 2,
    API_GRPC_INVALID_ARGUMENT = 3,
    API_GRPC_DEADLINE_EXCEEDED = 4,
    API_GRPC_NOT_FOUND = 5,
    API_GRPC_ALREADY_EXISTS = 6,
    API_GRPC_PERMISSION_DENIED = 7,
    API_GRPC_RESOURCE_EXHAUSTED = 8,
    API_GRPC_FAILED_PRECONDITION = 9,
    API_GRPC_UNIMPLEMENTED = 12,
    API_GRPC_INTERNAL = 13,
    API_GRPC_UNAVAILABLE = 14,
} api_grpc_code_t;

/* Seconds a client should wait before retrying a retryable failure (Retry-After). */
#define API_RETRY_AFTER_SECS 1

int api_http_status(status_t st);
api_grpc_code_t api_grpc_status(status_t st);
/* The HTTP status TF Serving's REST API answers st with (its mapping of the gRPC code). */
int api_tfserving_http_status(status_t st);

/* A gRPC status code's name ("OK", "NOT_FOUND" ...); NULL outside 0 .. 16. */
const char *api_grpc_code_name(int code);

/* True when trying again later may succeed (answered with Retry-After over HTTP). */
bool api_status_retryable(status_t st);

#endif
