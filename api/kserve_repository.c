/*
 * kserve_repository.c - Triton's model repository extension: the body of
 * POST /v2/repository/index, and which load and unload parameters are
 * served.
 */
#include "kserve.h"
#include "kserve_internal.h"

#include <string.h>

status_t kserve_repository_parameter(bool load, const char *key, error_t *err)
{
    if (load && strcmp(key, "config") == 0)
        return STATUS_OK;
    if (!load && strcmp(key, "unload_dependents") == 0)
        return STATUS_OK;
    if (load && strncmp(key, "file:", strlen("file:")) == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "load parameter '%s': model files sent with the load request are not "
                         "supported; put them in the model repository",
                         key);
    return error_set(err, STATUS_INVALID_ARGUMENT, "unknown %s parameter '%s' (supported: %s)",
                     load ? "load" : "unload", key, load ? "config" : "unload_dependents");
}

const char *kserve_model_state_name(kserve_model_state_t state)
{
    switch (state) {
    case KSERVE_MODEL_READY:
        return "READY";
    case KSERVE_MODEL_LOADING:
        return "LOADING";
    case KSERVE_MODEL_UNLOADING:
        return "UNLOADING";
    case KSERVE_MODEL_UNAVAILABLE:
        break;
    }
    return "UNAVAILABLE";
}

static json_t *index_entry(const kserve_index_entry_t *e)
{
    json_t *obj = json_object();
    bool ok = obj != NULL;

    ok = ok && json_object_set_new(obj, "name", kserve_json_string(e->name)) == 0;
    if (ok && e->version)
        ok = json_object_set_new(obj, "version", kserve_json_string(e->version)) == 0;
    ok = ok &&
         json_object_set_new(obj, "state", json_string(kserve_model_state_name(e->state))) == 0;
    if (ok && e->reason && e->reason[0])
        ok = json_object_set_new(obj, "reason", kserve_json_string(e->reason)) == 0;
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

char *kserve_repository_index_json(const kserve_index_entry_t *entries, int n)
{
    json_t *arr = json_array();

    for (int i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, index_entry(&entries[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return kserve_json_take(arr);
}
