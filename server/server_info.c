#include "server_info.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const server_info_extensions[] = {"binary_tensor_data",
                                              "classification",
                                              "model_configuration",
                                              "model_repository",
                                              "system_shared_memory",
                                              "statistics",
                                              NULL};

static kserve_model_state_t index_state(model_state_t state)
{
    switch (state) {
    case MODEL_STATE_READY:
        return KSERVE_MODEL_READY;
    case MODEL_STATE_LOADING:
        return KSERVE_MODEL_LOADING;
    default:
        return KSERVE_MODEL_UNAVAILABLE;
    }
}

/*
 * The n entries in out, only the ready ones when only_ready, and how many
 * were kept; versions has room for n.
 */
static int index_entries(const repository_entry_t *entries, int n, bool only_ready,
                         kserve_index_entry_t *out, char (*versions)[SERVER_INFO_VERSION_TEXT])
{
    int kept = 0;

    for (int i = 0; i < n; i++) {
        if (only_ready && entries[i].state != MODEL_STATE_READY)
            continue;
        out[kept].name = entries[i].name;
        out[kept].version = NULL;
        if (entries[i].version >= 0) {
            snprintf(versions[kept], sizeof versions[kept], "%lld", (long long)entries[i].version);
            out[kept].version = versions[kept];
        }
        out[kept].state = index_state(entries[i].state);
        out[kept].reason = entries[i].reason;
        kept++;
    }
    return kept;
}

status_t server_info_snapshot(repository_t *repo, bool only_ready, server_info_snapshot_t *out,
                              error_t *err)
{
    int n;

    memset(out, 0, sizeof *out);
    out->entries = calloc(SERVER_INFO_MAX_ENTRIES, sizeof *out->entries);
    out->index = calloc(SERVER_INFO_MAX_ENTRIES, sizeof *out->index);
    out->versions = calloc(SERVER_INFO_MAX_ENTRIES, sizeof *out->versions);
    if (!out->entries || !out->index || !out->versions)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory listing the repository");
    n = repository_index(repo, out->entries, SERVER_INFO_MAX_ENTRIES);
    out->n = index_entries(out->entries, n, only_ready, out->index, out->versions);
    return STATUS_OK;
}

void server_info_snapshot_free(server_info_snapshot_t *s)
{
    if (!s)
        return;
    free(s->entries);
    free(s->index);
    free(s->versions);
    memset(s, 0, sizeof *s);
}
