#include "server_info.h"

#include <stddef.h>
#include <stdio.h>

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

int server_info_index(const repository_entry_t *entries, int n, bool only_ready,
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
