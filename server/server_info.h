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
/* Models and versions a repository index lists at most. */
#define SERVER_INFO_MAX_ENTRIES 1024

/*
 * The repository index as every front end returns it (KServe's index, TF
 * Serving's model status): index[0, n), names and reasons pointing into
 * entries, version numbers as text in versions. All three arrays are
 * malloc'd and owned by the snapshot (server_info_snapshot_free).
 */
typedef struct server_info_snapshot {
    repository_entry_t *entries;
    kserve_index_entry_t *index;
    char (*versions)[SERVER_INFO_VERSION_TEXT];
    int n;
} server_info_snapshot_t;

/*
 * Takes the index of repo (only the ready versions when only_ready) into
 * *out, which the caller frees with server_info_snapshot_free even on
 * failure (OUT_OF_MEMORY).
 */
status_t server_info_snapshot(repository_t *repo, bool only_ready, server_info_snapshot_t *out,
                              error_t *err);

/* Frees what a snapshot holds; *s is empty afterwards. */
void server_info_snapshot_free(server_info_snapshot_t *s);

#endif
