/*
 * compat_route.h - the URL paths of the TF Serving and MindSpore Serving
 * REST APIs, which inferd answers on its HTTP port beside KServe v2:
 *
 *   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]            model status
 *   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata   metadata
 *   POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict    (and :classify, :regress)
 *   POST /model/{name}[/version/{n}]:{method}                 MindSpore
 *
 * As TF Serving does, every path under /v1/ belongs to it (one that fits
 * none of its forms is a malformed request, 400), and its literal words
 * match in any case. MindSpore's server finds the parts of its URL by
 * substring search; inferd parses the same well-formed URLs strictly.
 * Pure functions on strings: fuzzed in tests/fuzz.
 */
#ifndef INFERD_COMPAT_ROUTE_H
#define INFERD_COMPAT_ROUTE_H

#include <stdint.h>

#include "restricted_api.h"

/* Longest path parsed; a longer one under the prefixes is malformed. */
#define COMPAT_ROUTE_PATH_MAX 1024
/* Longest message of a malformed path. */
#define COMPAT_ROUTE_MESSAGE_MAX 160

typedef enum compat_api {
    COMPAT_API_NONE = 0, /* neither API's prefix: a KServe path or none */
    COMPAT_API_TFSERVING,
    COMPAT_API_MINDSPORE,
} compat_api_t;

typedef enum compat_op {
    COMPAT_OP_MALFORMED = 0, /* under an API's prefix but none of its forms: message says why */
    COMPAT_OP_TFS_STATUS,
    COMPAT_OP_TFS_METADATA,
    COMPAT_OP_TFS_PREDICT,
    COMPAT_OP_TFS_CLASSIFY,
    COMPAT_OP_TFS_REGRESS,
    COMPAT_OP_MINDSPORE_CALL, /* a MindSpore method call */
} compat_op_t;

typedef struct compat_route {
    compat_api_t api;
    compat_op_t op;
    restricted_api_category_t category; /* UNSET for a malformed path */
    const char *model;                  /* into buf; NULL when malformed */
    int64_t version;                    /* -1: not given (MindSpore's 0 means the same) */
    const char *label;                  /* TF Serving's /labels/{l}, or NULL */
    const char *method;                 /* MindSpore's method name, into buf */
    char message[COMPAT_ROUTE_MESSAGE_MAX];
    char buf[COMPAT_ROUTE_PATH_MAX];
} compat_route_t;

/*
 * Parses path (the URL without its query) requested with method into r,
 * which is the caller's; nothing is allocated. r->api is COMPAT_API_NONE
 * when the path has neither prefix.
 */
void compat_route_find(const char *path, const char *method, compat_route_t *r);

/* Whether r is a request that runs the model (counted as an infer request). */
bool compat_route_is_infer(const compat_route_t *r);

#endif
