/*
 * status.h - the one status enum of inferd, and the error record that carries
 * a human-readable message with it.
 *
 * 0 is success, every failure is negative. The front ends map each code to an
 * HTTP and a gRPC status in a single table (api/), so a new code must be added
 * there as well.
 */
#ifndef INFERD_STATUS_H
#define INFERD_STATUS_H

#include <stddef.h>

typedef enum status {
    STATUS_OK = 0,
    STATUS_INVALID_ARGUMENT = -1, /* the caller's input is wrong: shape, dtype, attribute */
    STATUS_NOT_FOUND = -2,        /* a named thing (model, file, tensor) does not exist */
    STATUS_UNSUPPORTED = -3,      /* valid ONNX that inferd does not implement */
    STATUS_INVALID_MODEL = -4,    /* the model file is corrupt or inconsistent */
    STATUS_OUT_OF_MEMORY = -5,
    STATUS_LIMIT_EXCEEDED = -6,     /* a configured limit (size, elements, depth) was hit */
    STATUS_IO = -7,                 /* the operating system refused a read or write */
    STATUS_INTERNAL = -8,           /* a bug in inferd */
    STATUS_UNAVAILABLE = -9,        /* not ready yet, or draining: try again later */
    STATUS_QUEUE_FULL = -10,        /* the model's queue is at its limit: try again later */
    STATUS_DEADLINE_EXCEEDED = -11, /* the request's timeout passed before it ran */
    STATUS_TOO_LARGE = -12,         /* a request body or message over the size limit */
    STATUS_PERMISSION_DENIED = -13, /* the request lacks what a restricted API asks for */
    /* the request asks for something the model does not offer (TF Serving: a signature) */
    STATUS_FAILED_PRECONDITION = -14,
    STATUS_ALREADY_EXISTS = -15, /* a named thing to create exists already */
} status_t;

/* Longest message an error record keeps; longer ones are truncated. */
#define ERROR_MESSAGE_MAX 512

typedef struct error {
    status_t code;
    char message[ERROR_MESSAGE_MAX];
} error_t;

/*
 * Records code and a printf-style message in err (which may be NULL) and
 * returns code, so a failing path reads `return error_set(err, ...)`.
 */
status_t error_set(error_t *err, status_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefixes the message already in err with a printf-style context, for
 * example the model path, and returns err->code.
 */
status_t error_prefix(error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short constant name for code, for example "INVALID_ARGUMENT". */
const char *status_name(status_t code);

#endif
