/*
 * kserve_metadata.c - the discovery bodies: server metadata (GET /v2),
 * model metadata (GET /v2/models/<m>[/versions/<v>]) and model readiness.
 */
#include "kserve.h"
#include "kserve_internal.h"

#include <inttypes.h>
#include <stdio.h>

/* Room for a version number as text. */
#define VERSION_TEXT_MAX 24

/* Adds value under key, taking it over; false (value dropped) on failure. */
static bool set_new(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

static bool append_new(json_t *arr, json_t *value)
{
    return value && json_array_append_new(arr, value) == 0;
}

char *kserve_server_metadata_json(const char *name, const char *version,
                                  const char *const extensions[])
{
    json_t *root = json_object();
    json_t *list = json_array();
    bool ok = root && list;

    for (int i = 0; ok && extensions && extensions[i]; i++)
        ok = append_new(list, kserve_json_string(extensions[i]));
    ok = ok && set_new(root, "name", kserve_json_string(name)) &&
         set_new(root, "version", kserve_json_string(version)) &&
         set_new(root, "extensions", json_incref(list));
    json_decref(list);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}

/* {"name", "datatype", "shape"} of one tensor, with a leading -1 when batched. */
static json_t *tensor_metadata(const model_tensor_config_t *tc, bool batched)
{
    json_t *obj = json_object();
    json_t *shape = json_array();
    const char *dt = dtype_kserve_name(tc->dtype);
    bool ok = obj && shape;

    if (ok && batched)
        ok = append_new(shape, json_integer(-1));
    for (int d = 0; ok && d < tc->rank; d++)
        ok = append_new(shape, json_integer(tc->dims[d]));
    ok = ok && set_new(obj, "name", kserve_json_string(tc->name)) &&
         set_new(obj, "datatype", json_string(dt ? dt : dtype_name(tc->dtype))) &&
         set_new(obj, "shape", json_incref(shape));
    json_decref(shape);
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *tensors_metadata(const model_tensor_config_t *tensors, int n, bool batched)
{
    json_t *arr = json_array();

    for (int i = 0; arr && i < n; i++)
        if (!append_new(arr, tensor_metadata(&tensors[i], batched))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

char *kserve_model_metadata_json(const model_config_t *cfg, const int64_t *versions, int n_versions)
{
    json_t *root = json_object();
    json_t *list = json_array();
    bool batched = cfg->max_batch_size > 0;
    bool ok = root && list;

    for (int i = 0; ok && i < n_versions; i++) {
        char text[VERSION_TEXT_MAX];
        snprintf(text, sizeof text, "%" PRId64, versions[i]);
        ok = append_new(list, json_string(text));
    }
    ok = ok && set_new(root, "name", kserve_json_string(cfg->name)) &&
         set_new(root, "versions", json_incref(list)) &&
         set_new(root, "platform",
                 kserve_json_string(model_config_triton_platform(cfg->platform))) &&
         set_new(root, "inputs", tensors_metadata(cfg->inputs, cfg->n_inputs, batched)) &&
         set_new(root, "outputs", tensors_metadata(cfg->outputs, cfg->n_outputs, batched));
    json_decref(list);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}

char *kserve_model_ready_json(const char *name, const char *version, bool ready, const char *error)
{
    json_t *root = json_object();
    bool ok = root && set_new(root, "name", kserve_json_string(name));

    if (ok && version)
        ok = set_new(root, "version", kserve_json_string(version));
    ok = ok && set_new(root, "ready", json_boolean(ready));
    if (ok && error)
        ok = set_new(root, "error", kserve_json_string(error));
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return kserve_json_take(root);
}
