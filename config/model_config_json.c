/*
 * model_config_json.c - a model configuration written back as JSON, in the
 * config.json schema, so that model_config_load reads the same values back.
 *
 * Every builder returns a new reference or NULL when out of memory.
 * json_object_set_new and json_array_append_new take ownership of the value
 * and fail on NULL, so one check per call covers both allocations.
 */
#include <assert.h>

#include <jansson.h>
#include <string.h>

#include "model_config.h"

/* An inferd name and Triton's for the same thing. */
typedef struct triton_name {
    const char *inferd;
    const char *triton;
} triton_name_t;

static const triton_name_t platform_names[] = {{"onnx", "onnxruntime_onnx"}, {NULL, NULL}};
static const triton_name_t backend_names[] = {{"onnx-cpu", "onnxruntime"}, {NULL, NULL}};

static const char *to_triton(const triton_name_t *table, const char *name)
{
    for (int i = 0; table[i].inferd; i++)
        if (strcmp(table[i].inferd, name) == 0)
            return table[i].triton;
    return name;
}

static const char *from_triton(const triton_name_t *table, const char *name)
{
    for (int i = 0; table[i].inferd; i++)
        if (strcmp(table[i].triton, name) == 0)
            return table[i].inferd;
    return NULL;
}

const char *model_config_triton_platform(const char *platform)
{
    return to_triton(platform_names, platform);
}

const char *model_config_triton_backend(const char *backend)
{
    return to_triton(backend_names, backend);
}

const char *model_config_platform_from_triton(const char *triton)
{
    return from_triton(platform_names, triton);
}

const char *model_config_backend_from_triton(const char *triton)
{
    return from_triton(backend_names, triton);
}

static json_t *int_list_json(const int64_t *values, int n)
{
    json_t *array = json_array();

    for (int i = 0; array && i < n; i++) {
        if (json_array_append_new(array, json_integer(values[i]))) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

/*
 * A tensor, data_type in Triton's names (TYPE_FP32); an unknown dtype or
 * rank (a config not yet completed) is left out, and so is an empty
 * label_filename.
 */
static json_t *tensor_json(const model_tensor_config_t *t)
{
    json_t *obj = json_object();

    if (!obj || json_object_set_new(obj, "name", json_string(t->name)) ||
        (dtype_triton_name(t->dtype) &&
         json_object_set_new(obj, "data_type", json_string(dtype_triton_name(t->dtype)))) ||
        (t->rank >= 0 && json_object_set_new(obj, "dims", int_list_json(t->dims, t->rank))) ||
        (t->label_filename[0] &&
         json_object_set_new(obj, "label_filename", json_string(t->label_filename)))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *tensors_json(const model_tensor_config_t *list, int n)
{
    json_t *array = json_array();

    for (int i = 0; array && i < n; i++) {
        if (json_array_append_new(array, tensor_json(&list[i]))) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *batching_json(const batcher_config_t *b)
{
    int64_t sizes[BATCHER_MAX_PREFERRED];
    json_t *obj = json_object();

    for (int i = 0; i < b->n_preferred; i++)
        sizes[i] = b->preferred_batch_sizes[i];
    if (!obj ||
        json_object_set_new(obj, "preferred_batch_size", int_list_json(sizes, b->n_preferred)) ||
        json_object_set_new(obj, "max_queue_delay_microseconds",
                            json_integer(b->max_queue_delay_us)) ||
        json_object_set_new(obj, "max_queue_size", json_integer(b->max_queue_size)) ||
        json_object_set_new(obj, "default_timeout_microseconds",
                            json_integer(b->default_timeout_us)) ||
        json_object_set_new(obj, "priority_levels", json_integer(b->priority_levels)) ||
        json_object_set_new(obj, "default_priority_level", json_integer(b->default_priority))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* One KIND_NPU group of count workers on device. */
static json_t *device_group_json(int device, int count)
{
    json_t *group = json_object();
    int64_t devices[1] = {device};

    if (!group || json_object_set_new(group, "kind", json_string("KIND_NPU")) ||
        json_object_set_new(group, "count", json_integer(count)) ||
        json_object_set_new(group, "devices", int_list_json(devices, 1))) {
        json_decref(group);
        return NULL;
    }
    return group;
}

int model_config_instance_groups(const model_config_t *cfg, model_instance_group_t *out)
{
    const batcher_config_t *b = &cfg->batching;
    int n = 0;

    if (cfg->instance_kind != MODEL_INSTANCE_NPU) {
        out[0] = (model_instance_group_t){.device = -1, .count = b->instance_count};
        return 1;
    }
    for (int i = 0, run = 1; i < b->instance_count; i++, run++)
        if (i + 1 == b->instance_count || b->instance_devices[i + 1] != b->instance_devices[i]) {
            assert(n < BATCHER_MAX_INSTANCES);
            out[n++] = (model_instance_group_t){.device = b->instance_devices[i], .count = run};
            run = 0;
        }
    return n;
}

/* The groups of model_config_instance_groups: KIND_NPU ones with devices, a CPU one with threads.
 */
static json_t *instances_json(const model_config_t *cfg)
{
    const batcher_config_t *b = &cfg->batching;
    model_instance_group_t groups[BATCHER_MAX_INSTANCES];
    int n = model_config_instance_groups(cfg, groups);
    json_t *group = NULL;
    json_t *array = json_array();
    int failed = !array;

    for (int i = 0; !failed && i < n && groups[i].device >= 0; i++)
        failed = json_array_append_new(array, device_group_json(groups[i].device, groups[i].count));
    if (!failed && groups[0].device < 0) {
        group = json_object();
        failed = !group || json_object_set_new(group, "count", json_integer(groups[0].count)) ||
                 json_object_set_new(group, "threads", json_integer(b->threads_per_instance)) ||
                 json_array_append(array, group);
    }
    json_decref(group);
    if (failed) {
        json_decref(array);
        return NULL;
    }
    return array;
}

static json_t *version_policy_json(const version_policy_t *vp)
{
    json_t *policy = json_object();
    json_t *body = json_object();
    const char *kind = "latest";
    int failed = !policy || !body;

    if (!failed && vp->kind == VERSION_POLICY_LATEST)
        failed = json_object_set_new(body, "num_versions", json_integer(vp->latest_n));
    if (!failed && vp->kind == VERSION_POLICY_ALL)
        kind = "all";
    if (!failed && vp->kind == VERSION_POLICY_SPECIFIC) {
        kind = "specific";
        failed = json_object_set_new(body, "versions", int_list_json(vp->versions, vp->n_versions));
    }
    if (!failed)
        failed = json_object_set(policy, kind, body);
    json_decref(body);
    if (failed) {
        json_decref(policy);
        return NULL;
    }
    return policy;
}

static json_t *warmup_json(const warmup_config_t *w)
{
    json_t *obj = json_object();
    json_t *inputs = json_object();
    int failed = !obj || !inputs ||
                 json_object_set_new(obj, "batch_size", json_integer(w->batch_size)) ||
                 json_object_set_new(obj, "iterations", json_integer(w->iterations));

    for (int i = 0; !failed && i < w->n_inputs; i++) {
        const model_tensor_config_t *t = &w->inputs[i];
        json_t *spec = json_object();

        if (t->rank < 0) {
            json_decref(spec);
            continue;
        }
        failed = !spec || json_object_set_new(spec, "dims", int_list_json(t->dims, t->rank)) ||
                 json_object_set(inputs, t->name, spec);
        json_decref(spec);
    }
    if (!failed)
        failed = json_object_set(obj, "inputs", inputs);
    json_decref(inputs);
    if (failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *warmups_json(const model_config_t *cfg)
{
    json_t *array = json_array();

    for (int i = 0; array && i < cfg->n_warmup; i++) {
        if (json_array_append_new(array, warmup_json(&cfg->warmup[i]))) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *config_json(const model_config_t *cfg)
{
    json_t *root = json_object();

    if (!root || json_object_set_new(root, "name", json_string(cfg->name)) ||
        (cfg->platform[0] &&
         json_object_set_new(root, "platform",
                             json_string(model_config_triton_platform(cfg->platform)))) ||
        (cfg->backend[0] &&
         json_object_set_new(root, "backend",
                             json_string(model_config_triton_backend(cfg->backend)))) ||
        (cfg->max_batch_size_set &&
         json_object_set_new(root, "max_batch_size", json_integer(cfg->max_batch_size))) ||
        json_object_set_new(root, "input", tensors_json(cfg->inputs, cfg->n_inputs)) ||
        json_object_set_new(root, "output", tensors_json(cfg->outputs, cfg->n_outputs)) ||
        (cfg->dynamic_batching &&
         json_object_set_new(root, "dynamic_batching", batching_json(&cfg->batching))) ||
        json_object_set_new(root, "instance_group", instances_json(cfg)) ||
        json_object_set_new(root, "version_policy", version_policy_json(&cfg->version_policy)) ||
        (cfg->n_warmup > 0 && json_object_set_new(root, "model_warmup", warmups_json(cfg))) ||
        json_object_set_new(root, "precision",
                            json_string(engine_precision_name(cfg->precision)))) {
        json_decref(root);
        return NULL;
    }
    return root;
}

char *model_config_to_json(const model_config_t *cfg)
{
    json_t *root = config_json(cfg);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;

    json_decref(root);
    return text;
}
