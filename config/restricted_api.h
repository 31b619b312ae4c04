/*
 * restricted_api.h - the restricted APIs of --http-restricted-api and
 * --grpc-restricted-protocol: a request to a restricted category of
 * endpoints must carry a given header (HTTP) or metadata key (gRPC) with a
 * given value, as Triton's flags of the same names do.
 *
 * Each entry is "<categories>:<header>=<value>", categories separated by
 * commas; several entries may be given, but a category may be in only one
 * of them. The values are secrets: they are compared in constant time and
 * never appear in a message, a log line or the usage text.
 *
 * A restricted_api_t is plain data that the caller owns (it lives in
 * server_config_t); nothing here allocates.
 */
#ifndef INFERD_RESTRICTED_API_H
#define INFERD_RESTRICTED_API_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/*
 * The categories every HTTP route and gRPC method belongs to (one each;
 * api/kserve_routes.c holds the tables). 0 is no category, so a table row
 * left out of a designated initializer is caught as unset.
 */
typedef enum restricted_api_category {
    RESTRICTED_API_UNSET = 0,
    RESTRICTED_API_HEALTH,
    RESTRICTED_API_METADATA,
    RESTRICTED_API_INFERENCE,
    RESTRICTED_API_SHARED_MEMORY,
    RESTRICTED_API_MODEL_CONFIG,
    RESTRICTED_API_MODEL_REPOSITORY,
    RESTRICTED_API_STATISTICS,
    RESTRICTED_API_LOGGING,
    RESTRICTED_API_CATEGORY_COUNT,
} restricted_api_category_t;

/* Which front end the entries are for: it decides which header names are valid. */
typedef enum restricted_api_protocol {
    RESTRICTED_API_HTTP = 0,
    RESTRICTED_API_GRPC,
} restricted_api_protocol_t;

/*
 * Longest header name. API-key headers are short; the bound keeps the name
 * in a fixed array and under every proxy's header limits.
 */
#define RESTRICTED_API_HEADER_MAX 64
/*
 * Longest value. Every comparison walks this many bytes whatever the
 * lengths, so the time it takes says nothing about the expected value; 256
 * bytes holds any generated token (a 256-bit key in hex is 64).
 */
#define RESTRICTED_API_VALUE_MAX 256

typedef struct restricted_api_rule {
    char header[RESTRICTED_API_HEADER_MAX + 1];    /* lower case; "" when the category is open */
    unsigned char value[RESTRICTED_API_VALUE_MAX]; /* zero after value_len bytes */
    size_t value_len;
    int entry; /* the entry (1-based) that restricted the category, for messages */
} restricted_api_rule_t;

typedef struct restricted_api {
    restricted_api_rule_t rules[RESTRICTED_API_CATEGORY_COUNT]; /* by category */
    int entries;                                                /* entries added so far */
    /*
     * Which source the entries came from (server_config.c's ranks): the
     * entries of a higher-precedence source replace these instead of
     * adding to them.
     */
    int source_rank;
} restricted_api_t;

/* "model-repository" for RESTRICTED_API_MODEL_REPOSITORY; "" for UNSET or out of range. */
const char *restricted_api_category_name(restricted_api_category_t category);

/* Every category name, for messages and usage text. */
#define RESTRICTED_API_CATEGORY_LIST                                                               \
    "health, metadata, inference, shared-memory, model-config, model-repository, statistics, "     \
    "logging"

/* Opens every category again (no entries). */
void restricted_api_clear(restricted_api_t *r);

/*
 * Adds the entries of text: one or more "<categories>:<header>=<value>"
 * separated by white space (values cannot hold white space). Header names
 * are stored in lower case; for gRPC they must be valid metadata keys
 * ([0-9a-z_.-], not "grpc-..." and not binary "-bin"). Values are 1 to
 * RESTRICTED_API_VALUE_MAX printable ASCII characters. On failure r is
 * left as it was before the failing entry, and the message names the
 * entry but never its value.
 */
status_t restricted_api_add(restricted_api_t *r, restricted_api_protocol_t protocol,
                            const char *text, error_t *err);

/* The header (lower case) category needs, or NULL when the category is open. */
const char *restricted_api_header(const restricted_api_t *r, restricted_api_category_t category);

/*
 * True when category is open, or value (len bytes, not NUL-terminated;
 * NULL when the request has no such header) is the one it needs. The time
 * taken depends on neither the expected value nor its length.
 */
bool restricted_api_allows(const restricted_api_t *r, restricted_api_category_t category,
                           const char *value, size_t len);

#endif
