/*
 * server_info.h - how inferd names itself in server metadata, the same on
 * REST (GET /v2) and gRPC (ServerMetadata).
 */
#ifndef INFERD_SERVER_INFO_H
#define INFERD_SERVER_INFO_H

#include <stdbool.h>

#include "kserve.h"
#include "repository.h"

#define SERVER_INFO_NAME    "inferd"
#define SERVER_INFO_VERSION "0.1.0"

/* KServe/Triton protocol extensions both front ends implement; NULL-terminated. */
extern const char *const server_info_extensions[];

/* Room for a version number as text in an index entry. */
#define SERVER_INFO_VERSION_TEXT 24

/*
 * The repository index as both front ends return it: the n entries in out,
 * only the ready ones when only_ready, and how many were kept. Names and
 * reasons point into entries; version numbers are written as text into
 * versions, which has room for n.
 */
int server_info_index(const repository_entry_t *entries, int n, bool only_ready,
                      kserve_index_entry_t *out, char (*versions)[SERVER_INFO_VERSION_TEXT]);

#endif
