/*
 * model_config_load.c - reads a model's config.json into model_config_t.
 *
 * Strict on purpose: an unknown key, a wrong type or an out-of-range value
 * is an error naming the file and the field, because a misspelt setting
 * that is silently ignored makes a model behave differently from what its
 * author wrote.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_json.h"
#include "model_config.h"

/* Far beyond any useful batch; keeps batch size times row count well inside int64. */
#define MODEL_CONFIG_MAX_BATCH_SIZE (1 << 20)
#define MODEL_CONFIG_MAX_THREADS    256
/* A minute: a longer wait for company is surely a unit mistake. */
#define MODEL_CONFIG_MAX_QUEUE_DELAY_US (INT64_C(60) * 1000000)
/* A day. */
#define MODEL_CONFIG_MAX_TIMEOUT_US        (INT64_C(86400) * 1000000)
#define MODEL_CONFIG_MAX_QUEUE_SIZE        (1 << 24)
#define MODEL_CONFIG_MAX_WARMUP_ITERATIONS 1000
#define MODEL_CONFIG_MAX_VERSION_NUMBER    INT64_MAX
/* Longest field path in messages, such as "model_warmup[3].inputs.x.dims[2]". */
#define FIELD_MAX (MODEL_NAME_MAX + 64)
/* Longest list of allowed keys in a message. */
#define ALLOWED_MAX 256

typedef struct parser {
    const char *path;
    error_t *err;
} parser_t;

static status_t fail(const parser_t *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records "PATH: FIELD: message" as an invalid-argument error. */
static status_t fail(const parser_t *p, const char *field, const char *fmt, ...)
{
    char message[ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return error_set(p->err, STATUS_INVALID_ARGUMENT, "%s: %s: %s", p->path, field, message);
}

/* "parent.key", or "key" at the top level. */
static void member_path(char *out, const char *parent, const char *key)
{
    snprintf(out, FIELD_MAX, "%s%s%s", parent, parent[0] ? "." : "", key);
}

static void element_path(char *out, const char *parent, size_t index)
{
    snprintf(out, FIELD_MAX, "%s[%zu]", parent, index);
}

/* Refuses any key of obj not in allowed (NULL-terminated). */
static status_t check_keys(const parser_t *p, const json_t *obj, const char *field,
                           const char *const *allowed)
{
    const char *key;
    json_t *value;
    char list[ALLOWED_MAX] = "";

    for (int i = 0; allowed[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 allowed[i]);
    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (int i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return fail(p, field[0] ? field : "top level", "unknown key \"%s\" (allowed: %s)", key,
                        list[0] ? list : "none");
    }
    return STATUS_OK;
}

static status_t parse_int(const parser_t *p, const json_t *v, const char *field, int64_t lo,
                          int64_t hi, int64_t *out)
{
    json_int_t x;

    if (!json_is_integer(v))
        return fail(p, field, "must be an integer, not %s", config_json_type_name(v));
    x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(p, field, "%lld is out of range %lld..%lld", (long long)x, (long long)lo,
                    (long long)hi);
    *out = x;
    return STATUS_OK;
}

/* obj[key] into *out if present; *out keeps its default otherwise. */
static status_t member_int64(const parser_t *p, const json_t *obj, const char *parent,
                             const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];

    if (!v)
        return STATUS_OK;
    member_path(field, parent, key);
    return parse_int(p, v, field, lo, hi, out);
}

static status_t member_int(const parser_t *p, const json_t *obj, const char *parent,
                           const char *key, int lo, int hi, int *out)
{
    int64_t v = *out;
    status_t st = member_int64(p, obj, parent, key, lo, hi, &v);

    *out = (int)v;
    return st;
}

static status_t member_string(const parser_t *p, const json_t *obj, const char *parent,
                              const char *key, char *out, size_t size)
{
    const json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];

    if (!v)
        return STATUS_OK;
    member_path(field, parent, key);
    if (!json_is_string(v))
        return fail(p, field, "must be a string, not %s", config_json_type_name(v));
    if (json_string_length(v) == 0 || json_string_length(v) >= size)
        return fail(p, field, "must be 1 to %zu bytes long", size - 1);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return STATUS_OK;
}

/* obj[key] as an array of at most max elements; *out NULL when absent. */
static status_t member_array(const parser_t *p, const json_t *obj, const char *parent,
                             const char *key, size_t max, const json_t **out)
{
    const json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];

    *out = NULL;
    if (!v)
        return STATUS_OK;
    member_path(field, parent, key);
    if (!json_is_array(v))
        return fail(p, field, "must be an array, not %s", config_json_type_name(v));
    if (json_array_size(v) > max)
        return fail(p, field, "has %zu elements, more than the limit of %zu", json_array_size(v),
                    max);
    *out = v;
    return STATUS_OK;
}

/* obj[key] as an object whose keys are all in allowed; *out NULL when absent. */
static status_t member_object(const parser_t *p, const json_t *obj, const char *parent,
                              const char *key, const char *const *allowed, const json_t **out)
{
    const json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];

    *out = NULL;
    if (!v)
        return STATUS_OK;
    member_path(field, parent, key);
    if (!json_is_object(v))
        return fail(p, field, "must be an object, not %s", config_json_type_name(v));
    *out = v;
    return allowed ? check_keys(p, v, field, allowed) : STATUS_OK;
}

/* Element index of array as an object whose keys are all in allowed. */
static status_t element_object(const parser_t *p, const json_t *array, const char *field,
                               size_t index, const char *const *allowed, const json_t **out)
{
    const json_t *v = json_array_get(array, index);
    char path[FIELD_MAX];

    element_path(path, field, index);
    if (!json_is_object(v))
        return fail(p, path, "must be an object, not %s", config_json_type_name(v));
    *out = v;
    return check_keys(p, v, path, allowed);
}

/* dims: an array of at most TENSOR_MAX_RANK integers, each min_dim or more. */
static status_t parse_dims(const parser_t *p, const json_t *obj, const char *parent,
                           int64_t min_dim, model_tensor_config_t *t)
{
    const json_t *dims;
    char field[FIELD_MAX];
    char path[FIELD_MAX];
    status_t st;

    st = member_array(p, obj, parent, "dims", TENSOR_MAX_RANK, &dims);
    if (st != STATUS_OK || !dims)
        return st;
    member_path(field, parent, "dims");
    for (size_t i = 0; i < json_array_size(dims); i++) {
        element_path(path, field, i);
        st = parse_int(p, json_array_get(dims, i), path, min_dim, TENSOR_MAX_ELEMENTS, &t->dims[i]);
        if (st != STATUS_OK)
            return st;
    }
    t->rank = (int)json_array_size(dims);
    return STATUS_OK;
}

static status_t parse_dtype(const parser_t *p, const json_t *obj, const char *parent, dtype_t *out)
{
    const json_t *v = json_object_get(obj, "data_type");
    char field[FIELD_MAX];

    if (!v)
        return STATUS_OK;
    member_path(field, parent, "data_type");
    if (!json_is_string(v))
        return fail(p, field, "must be a string, not %s", config_json_type_name(v));
    /* Triton's names (TYPE_FP32), which the server writes, or KServe's (FP32). */
    for (int t = DTYPE_UNDEFINED + 1; t <= DTYPE_MAX; t++) {
        const char *triton = dtype_triton_name((dtype_t)t);
        const char *kserve = dtype_kserve_name((dtype_t)t);
        if (!(triton && strcmp(triton, json_string_value(v)) == 0) &&
            !(kserve && strcmp(kserve, json_string_value(v)) == 0))
            continue;
        if (dtype_size((dtype_t)t) == 0)
            return fail(p, field, "%s is not supported by inferd", json_string_value(v));
        *out = (dtype_t)t;
        return STATUS_OK;
    }
    return fail(p, field,
                "unknown data type \"%s\" (expected Triton's name such as TYPE_FP32, TYPE_INT64, "
                "TYPE_BOOL, or the KServe name FP32, INT64, BOOL)",
                json_string_value(v));
}

/*
 * label_filename: a file name in the model's folder, never a path (it is
 * opened relative to the folder, and a configuration loaded over the API
 * must not reach other files).
 */
static status_t parse_label_filename(const parser_t *p, const json_t *obj, const char *parent,
                                     model_tensor_config_t *t)
{
    const json_t *v = json_object_get(obj, "label_filename");
    char field[FIELD_MAX];
    status_t st;

    if (!v)
        return STATUS_OK;
    st = member_string(p, obj, parent, "label_filename", t->label_filename,
                       sizeof t->label_filename);
    if (st != STATUS_OK)
        return st;
    member_path(field, parent, "label_filename");
    if (strlen(t->label_filename) != json_string_length(v) || strchr(t->label_filename, '/') ||
        strcmp(t->label_filename, ".") == 0 || strcmp(t->label_filename, "..") == 0)
        return fail(p, field, "\"%s\" must be a file name in the model's folder, not a path",
                    t->label_filename);
    return STATUS_OK;
}

static const char *const input_keys[] = {"name", "data_type", "dims", NULL};
static const char *const output_keys[] = {"name", "data_type", "dims", "label_filename", NULL};

/* "input" or "output": a list of tensors, each named once. */
static status_t parse_tensors(const parser_t *p, const json_t *root, const char *key,
                              model_tensor_config_t *out, int *n_out)
{
    bool outputs = strcmp(key, "output") == 0;
    const char *const *tensor_keys = outputs ? output_keys : input_keys;
    const json_t *list;
    const json_t *obj = NULL;
    char field[FIELD_MAX];
    status_t st;

    st = member_array(p, root, "", key, MODEL_CONFIG_MAX_IO, &list);
    if (st != STATUS_OK || !list)
        return st;
    for (size_t i = 0; i < json_array_size(list); i++) {
        model_tensor_config_t *t = &out[i];

        st = element_object(p, list, key, i, tensor_keys, &obj);
        if (st != STATUS_OK)
            return st;
        element_path(field, key, i);
        if (!json_object_get(obj, "name"))
            return fail(p, field, "needs a \"name\"");
        memset(t, 0, sizeof *t);
        t->rank = -1;
        st = member_string(p, obj, field, "name", t->name, sizeof t->name);
        if (st == STATUS_OK)
            st = parse_dtype(p, obj, field, &t->dtype);
        if (st == STATUS_OK)
            st = parse_dims(p, obj, field, -1, t);
        if (st == STATUS_OK && outputs)
            st = parse_label_filename(p, obj, field, t);
        if (st != STATUS_OK)
            return st;
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].name, t->name) == 0)
                return fail(p, field, "%s \"%s\" is listed twice", key, t->name);
    }
    *n_out = (int)json_array_size(list);
    return STATUS_OK;
}

static const char *const batching_keys[] = {
    "preferred_batch_size",
    "max_queue_delay_microseconds",
    "max_queue_size",
    "default_timeout_microseconds",
    "priority_levels",
    "default_priority_level",
    NULL,
};

static status_t parse_batching(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    const char *parent = "dynamic_batching";
    batcher_config_t *b = &cfg->batching;
    const json_t *obj = NULL;
    const json_t *sizes;
    char field[FIELD_MAX];
    char path[FIELD_MAX];
    status_t st;

    st = member_object(p, root, "", parent, batching_keys, &obj);
    if (st != STATUS_OK || !obj)
        return st;
    cfg->dynamic_batching = true;
    st = member_array(p, obj, parent, "preferred_batch_size", BATCHER_MAX_PREFERRED, &sizes);
    if (st != STATUS_OK)
        return st;
    member_path(field, parent, "preferred_batch_size");
    for (size_t i = 0; sizes && i < json_array_size(sizes); i++) {
        int64_t v = 0;
        element_path(path, field, i);
        st = parse_int(p, json_array_get(sizes, i), path, 1, MODEL_CONFIG_MAX_BATCH_SIZE, &v);
        if (st != STATUS_OK)
            return st;
        for (int j = 0; j < b->n_preferred; j++)
            if (b->preferred_batch_sizes[j] == v)
                return fail(p, path, "%lld is listed twice", (long long)v);
        b->preferred_batch_sizes[b->n_preferred++] = (int)v;
    }
    st = member_int64(p, obj, parent, "max_queue_delay_microseconds", 0,
                      MODEL_CONFIG_MAX_QUEUE_DELAY_US, &b->max_queue_delay_us);
    if (st == STATUS_OK)
        st = member_int(p, obj, parent, "max_queue_size", 0, MODEL_CONFIG_MAX_QUEUE_SIZE,
                        &b->max_queue_size);
    if (st == STATUS_OK)
        st = member_int64(p, obj, parent, "default_timeout_microseconds", 0,
                          MODEL_CONFIG_MAX_TIMEOUT_US, &b->default_timeout_us);
    if (st == STATUS_OK)
        st = member_int(p, obj, parent, "priority_levels", 1, BATCHER_MAX_PRIORITY_LEVELS,
                        &b->priority_levels);
    if (st == STATUS_OK)
        st = member_int(p, obj, parent, "default_priority_level", 1, BATCHER_MAX_PRIORITY_LEVELS,
                        &b->default_priority);
    return st;
}

static const char *const group_keys[] = {"kind", "count", "threads", "devices", NULL};

/* instance_group kinds, by model_instance_kind_t. */
static const char *const kind_names[] = {
    [MODEL_INSTANCE_AUTO] = "KIND_AUTO",
    [MODEL_INSTANCE_CPU] = "KIND_CPU",
    [MODEL_INSTANCE_NPU] = "KIND_NPU",
};

/* One group's "kind": KIND_NPU when absent but "devices" is given. */
static status_t parse_kind(const parser_t *p, const json_t *obj, const char *parent,
                           model_instance_kind_t *out)
{
    char text[32] = "";
    char field[FIELD_MAX];
    status_t st = member_string(p, obj, parent, "kind", text, sizeof text);

    *out = json_object_get(obj, "devices") ? MODEL_INSTANCE_NPU : MODEL_INSTANCE_AUTO;
    if (st != STATUS_OK || !text[0])
        return st;
    member_path(field, parent, "kind");
    for (int k = 0; k < (int)(sizeof kind_names / sizeof kind_names[0]); k++)
        if (strcmp(text, kind_names[k]) == 0) {
            *out = (model_instance_kind_t)k;
            return STATUS_OK;
        }
    return fail(p, field, "\"%s\" is not supported (KIND_AUTO, KIND_CPU or KIND_NPU)", text);
}

/* A KIND_NPU group's "devices": 1 to BACKEND_MAX_DEVICES distinct ids; absent: [0]. */
static status_t parse_devices(const parser_t *p, const json_t *obj, const char *parent,
                              int *devices, int *n)
{
    const json_t *list;
    char field[FIELD_MAX], path[FIELD_MAX];
    status_t st = member_array(p, obj, parent, "devices", BACKEND_MAX_DEVICES, &list);

    *n = 0;
    if (st != STATUS_OK)
        return st;
    if (!list) {
        devices[(*n)++] = 0;
        return STATUS_OK;
    }
    member_path(field, parent, "devices");
    if (json_array_size(list) == 0)
        return fail(p, field, "needs at least one device");
    for (size_t i = 0; i < json_array_size(list); i++) {
        int64_t d = 0;
        element_path(path, field, i);
        st = parse_int(p, json_array_get(list, i), path, 0, BACKEND_MAX_DEVICES - 1, &d);
        if (st != STATUS_OK)
            return st;
        for (int j = 0; j < *n; j++)
            if (devices[j] == d)
                return fail(p, path, "device %lld is listed twice", (long long)d);
        devices[(*n)++] = (int)d;
    }
    return STATUS_OK;
}

/*
 * Several groups add up their counts. CPU groups ("threads", no
 * "devices") must agree on threads; a KIND_NPU group runs "count" workers
 * on each of its "devices", as Triton's GPU groups do. A model runs on
 * one kind, so KIND_CPU and KIND_NPU groups do not mix.
 */
static status_t parse_instances(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    const char *key = "instance_group";
    batcher_config_t *b = &cfg->batching;
    const json_t *groups;
    const json_t *obj = NULL;
    char field[FIELD_MAX];
    bool threads_given = false;
    int total = 0;
    status_t st;

    st = member_array(p, root, "", key, BATCHER_MAX_INSTANCES, &groups);
    if (st != STATUS_OK || !groups)
        return st;
    if (json_array_size(groups) == 0)
        return fail(p, key, "needs at least one group");
    for (size_t i = 0; i < json_array_size(groups); i++) {
        int count = 1, threads = 1, n_devices = 1;
        int devices[BACKEND_MAX_DEVICES] = {-1};
        model_instance_kind_t kind;

        st = element_object(p, groups, key, i, group_keys, &obj);
        if (st != STATUS_OK)
            return st;
        element_path(field, key, i);
        st = parse_kind(p, obj, field, &kind);
        if (st == STATUS_OK)
            st = member_int(p, obj, field, "count", 1, BATCHER_MAX_INSTANCES, &count);
        if (st == STATUS_OK)
            st = member_int(p, obj, field, "threads", 1, MODEL_CONFIG_MAX_THREADS, &threads);
        if (st != STATUS_OK)
            return st;
        if (kind == MODEL_INSTANCE_NPU && json_object_get(obj, "threads"))
            return fail(p, field, "\"threads\" applies to CPU instances, not KIND_NPU");
        if (kind != MODEL_INSTANCE_NPU && json_object_get(obj, "devices"))
            return fail(p, field, "\"devices\" applies to KIND_NPU instances, not %s",
                        kind_names[kind]);
        if (kind == MODEL_INSTANCE_NPU)
            st = parse_devices(p, obj, field, devices, &n_devices);
        if (st != STATUS_OK)
            return st;
        if (kind != MODEL_INSTANCE_AUTO && cfg->instance_kind != MODEL_INSTANCE_AUTO &&
            kind != cfg->instance_kind)
            return fail(p, field,
                        "kind %s differs from an earlier group's %s: a model runs on one "
                        "kind",
                        kind_names[kind], kind_names[cfg->instance_kind]);
        if (kind != MODEL_INSTANCE_AUTO)
            cfg->instance_kind = kind;
        if (kind != MODEL_INSTANCE_NPU) {
            if (threads_given && threads != b->threads_per_instance)
                return fail(p, field, "threads %d differs from the first group's %d", threads,
                            b->threads_per_instance);
            threads_given = true;
            b->threads_per_instance = threads;
        }
        if ((int64_t)count * n_devices > BATCHER_MAX_INSTANCES - total)
            return fail(p, key, "counts add up to more than %d instances", BATCHER_MAX_INSTANCES);
        for (int d = 0; d < n_devices; d++)
            for (int c = 0; c < count; c++)
                b->instance_devices[total++] = devices[d];
    }
    if (cfg->instance_kind == MODEL_INSTANCE_NPU)
        for (int w = 0; w < total; w++)
            if (b->instance_devices[w] < 0)
                return fail(p, key, "mixes KIND_NPU groups with groups that name no devices");
    b->instance_count = total;
    return STATUS_OK;
}

static const char *const policy_keys[] = {"latest", "all", "specific", NULL};
static const char *const latest_keys[] = {"num_versions", NULL};
static const char *const specific_keys[] = {"versions", NULL};
static const char *const no_keys[] = {NULL};

static status_t parse_specific(const parser_t *p, const json_t *obj, version_policy_t *vp)
{
    const char *field = "version_policy.specific.versions";
    const json_t *versions;
    char path[FIELD_MAX];
    status_t st;

    st = member_array(p, obj, "version_policy.specific", "versions", MODEL_CONFIG_MAX_VERSIONS,
                      &versions);
    if (st != STATUS_OK)
        return st;
    if (!versions || json_array_size(versions) == 0)
        return fail(p, field, "needs at least one version");
    vp->kind = VERSION_POLICY_SPECIFIC;
    for (size_t i = 0; i < json_array_size(versions); i++) {
        int64_t v = 0;
        element_path(path, field, i);
        st =
            parse_int(p, json_array_get(versions, i), path, 1, MODEL_CONFIG_MAX_VERSION_NUMBER, &v);
        if (st != STATUS_OK)
            return st;
        for (int j = 0; j < vp->n_versions; j++)
            if (vp->versions[j] == v)
                return fail(p, path, "version %lld is listed twice", (long long)v);
        vp->versions[vp->n_versions++] = v;
    }
    return STATUS_OK;
}

static status_t parse_version_policy(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    const char *parent = "version_policy";
    version_policy_t *vp = &cfg->version_policy;
    const json_t *obj = NULL;
    const json_t *kind;
    status_t st;

    st = member_object(p, root, "", parent, policy_keys, &obj);
    if (st != STATUS_OK || !obj)
        return st;
    if (json_object_size(obj) != 1)
        return fail(p, parent, "needs exactly one of latest, all, specific");
    st = member_object(p, obj, parent, "latest", latest_keys, &kind);
    if (st != STATUS_OK)
        return st;
    if (kind)
        return member_int(p, kind, "version_policy.latest", "num_versions", 1,
                          MODEL_CONFIG_MAX_VERSIONS, &vp->latest_n);
    st = member_object(p, obj, parent, "all", no_keys, &kind);
    if (st != STATUS_OK)
        return st;
    if (kind) {
        vp->kind = VERSION_POLICY_ALL;
        return STATUS_OK;
    }
    st = member_object(p, obj, parent, "specific", specific_keys, &kind);
    if (st != STATUS_OK)
        return st;
    return parse_specific(p, kind, vp);
}

static const char *const warmup_keys[] = {"batch_size", "iterations", "inputs", NULL};
static const char *const warmup_input_keys[] = {"dims", NULL};

/* inputs: {"<input name>": {"dims": [...]}}, checked against the model by complete. */
static status_t parse_warmup_inputs(const parser_t *p, const json_t *obj, const char *parent,
                                    warmup_config_t *w)
{
    const json_t *inputs;
    const char *name;
    json_t *value;
    char field[FIELD_MAX];
    status_t st;

    st = member_object(p, obj, parent, "inputs", NULL, &inputs);
    if (st != STATUS_OK || !inputs)
        return st;
    member_path(field, parent, "inputs");
    if (json_object_size(inputs) > MODEL_CONFIG_MAX_IO)
        return fail(p, field, "has more than %d inputs", MODEL_CONFIG_MAX_IO);
    json_object_foreach((json_t *)inputs, name, value)
    {
        model_tensor_config_t *t = &w->inputs[w->n_inputs];
        const json_t *spec;
        char path[FIELD_MAX];

        if (strlen(name) == 0 || strlen(name) >= MODEL_NAME_MAX)
            return fail(p, field, "input names must be 1 to %d bytes long", MODEL_NAME_MAX - 1);
        st = member_object(p, inputs, field, name, warmup_input_keys, &spec);
        if (st != STATUS_OK)
            return st;
        member_path(path, field, name);
        if (!json_object_get(spec, "dims"))
            return fail(p, path, "needs \"dims\"");
        memset(t, 0, sizeof *t);
        memcpy(t->name, name, strlen(name) + 1);
        st = parse_dims(p, spec, path, 0, t);
        if (st != STATUS_OK)
            return st;
        w->n_inputs++;
    }
    return STATUS_OK;
}

static status_t parse_warmup(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    const char *key = "model_warmup";
    const json_t *list;
    const json_t *obj = NULL;
    char field[FIELD_MAX];
    status_t st;

    st = member_array(p, root, "", key, MODEL_CONFIG_MAX_WARMUP, &list);
    if (st != STATUS_OK || !list)
        return st;
    for (size_t i = 0; i < json_array_size(list); i++) {
        warmup_config_t *w = &cfg->warmup[i];

        st = element_object(p, list, key, i, warmup_keys, &obj);
        if (st != STATUS_OK)
            return st;
        element_path(field, key, i);
        memset(w, 0, sizeof *w);
        w->batch_size = 1;
        w->iterations = 1;
        st =
            member_int(p, obj, field, "batch_size", 1, MODEL_CONFIG_MAX_BATCH_SIZE, &w->batch_size);
        if (st == STATUS_OK)
            st = member_int(p, obj, field, "iterations", 1, MODEL_CONFIG_MAX_WARMUP_ITERATIONS,
                            &w->iterations);
        if (st == STATUS_OK)
            st = parse_warmup_inputs(p, obj, field, w);
        if (st != STATUS_OK)
            return st;
        cfg->n_warmup++;
    }
    return STATUS_OK;
}

/* Rules that relate fields to each other, checked once all are read. */
static status_t check_consistency(const parser_t *p, const model_config_t *cfg)
{
    const batcher_config_t *b = &cfg->batching;
    char field[FIELD_MAX], problem[ERROR_MESSAGE_MAX];

    if (b->default_priority > b->priority_levels)
        return fail(p, "dynamic_batching.default_priority_level", "%d exceeds priority_levels %d",
                    b->default_priority, b->priority_levels);
    /* Without max_batch_size the model may supply one: model_config_complete checks then. */
    if (cfg->max_batch_size_set &&
        !model_config_batch_sizes_fit(cfg, field, sizeof field, problem, sizeof problem))
        return fail(p, field, "%s", problem);
    return STATUS_OK;
}

static const char *const root_keys[] = {
    "name",           "platform",     "backend",          "max_batch_size",
    "input",          "output",       "dynamic_batching", "instance_group",
    "version_policy", "model_warmup", "precision",        NULL,
};

/*
 * Replaces the name in field (size bytes) with name, unless it is NULL;
 * the rest of the field is zeroed, as a name read in the first place
 * leaves it, so equal configurations compare equal byte for byte.
 */
static void set_name(char *field, size_t size, const char *name)
{
    if (!name)
        return;
    memset(field, 0, size);
    snprintf(field, size, "%s", name);
}

/* "platform" and "backend": names inferd's backends have, and for the same backend. */
static status_t parse_backend(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    const backend_ops_t *const *list;
    const backend_ops_t *by_platform = NULL, *by_name = NULL;
    char names[ALLOWED_MAX] = "", platforms[ALLOWED_MAX] = "";
    int n;
    status_t st;

    st = member_string(p, root, "", "platform", cfg->platform, sizeof cfg->platform);
    if (st == STATUS_OK)
        st = member_string(p, root, "", "backend", cfg->backend, sizeof cfg->backend);
    if (st != STATUS_OK)
        return st;
    /* Triton's names, which the server writes ("onnxruntime_onnx", "onnxruntime"), read as
     * inferd's. */
    set_name(cfg->platform, sizeof cfg->platform, model_config_platform_from_triton(cfg->platform));
    set_name(cfg->backend, sizeof cfg->backend, model_config_backend_from_triton(cfg->backend));
    list = backend_list(&n);
    for (int i = 0; i < n; i++) {
        const char *triton_name = model_config_triton_backend(list[i]->name);
        const char *triton_platform = model_config_triton_platform(list[i]->platform);

        snprintf(names + strlen(names), sizeof names - strlen(names), "%s\"%s\"", i ? ", " : "",
                 triton_name);
        snprintf(platforms + strlen(platforms), sizeof platforms - strlen(platforms), "%s\"%s\"",
                 i ? ", " : "", triton_platform);
        if (strcmp(cfg->platform, list[i]->platform) == 0)
            by_platform = list[i];
        if (strcmp(cfg->backend, list[i]->name) == 0)
            by_name = list[i];
    }
    if (cfg->platform[0] && !by_platform)
        return fail(p, "platform", "\"%s\" is not supported (%s)", cfg->platform, platforms);
    if (cfg->backend[0] && !by_name)
        return fail(p, "backend", "\"%s\" is not a backend of inferd (%s)", cfg->backend, names);
    if (by_platform && by_name && by_platform != by_name)
        return fail(p, "backend", "\"%s\" does not run platform \"%s\" (it runs \"%s\")",
                    cfg->backend, cfg->platform, by_name->platform);
    return STATUS_OK;
}

/* Longest precision name read ("fp32", "bf16"); longer values are refused as too long. */
#define PRECISION_NAME_MAX 16

static status_t parse_precision(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    const json_t *v = json_object_get(root, "precision");
    const char *text;

    if (!v)
        return STATUS_OK;
    if (!json_is_string(v))
        return fail(p, "precision", "must be a string, not %s", config_json_type_name(v));
    text = json_string_value(v);
    if (!engine_precision_parse(text, &cfg->precision))
        return fail(p, "precision",
                    "model \"%s\": \"%.*s\" is not a precision (expected \"fp32\" or \"bf16\")",
                    cfg->name, PRECISION_NAME_MAX, text);
    return STATUS_OK;
}

static status_t parse_root(const parser_t *p, const json_t *root, model_config_t *cfg)
{
    char name[MODEL_NAME_MAX] = "";
    status_t st;

    st = check_keys(p, root, "", root_keys);
    if (st == STATUS_OK)
        st = member_string(p, root, "", "name", name, sizeof name);
    if (st == STATUS_OK && name[0] && strcmp(name, cfg->name) != 0)
        return fail(p, "name", "\"%s\" differs from the model's name \"%s\"", name, cfg->name);
    if (st == STATUS_OK)
        st = parse_backend(p, root, cfg);
    if (st == STATUS_OK)
        st = member_int(p, root, "", "max_batch_size", 0, MODEL_CONFIG_MAX_BATCH_SIZE,
                        &cfg->max_batch_size);
    cfg->max_batch_size_set = json_object_get(root, "max_batch_size") != NULL;
    if (st == STATUS_OK)
        st = parse_tensors(p, root, "input", cfg->inputs, &cfg->n_inputs);
    if (st == STATUS_OK)
        st = parse_tensors(p, root, "output", cfg->outputs, &cfg->n_outputs);
    if (st == STATUS_OK)
        st = parse_batching(p, root, cfg);
    if (st == STATUS_OK)
        st = parse_instances(p, root, cfg);
    if (st == STATUS_OK)
        st = parse_version_policy(p, root, cfg);
    if (st == STATUS_OK)
        st = parse_warmup(p, root, cfg);
    if (st == STATUS_OK)
        st = parse_precision(p, root, cfg);
    if (st == STATUS_OK)
        st = check_consistency(p, cfg);
    return st;
}

static void set_defaults(model_config_t *cfg, const char *name)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->name, name, strlen(name) + 1);
    cfg->batching.priority_levels = 1;
    cfg->batching.default_priority = 1;
    cfg->batching.instance_count = 1;
    cfg->batching.threads_per_instance = 1;
    for (int i = 0; i < BATCHER_MAX_INSTANCES; i++)
        cfg->batching.instance_devices[i] = -1;
    cfg->version_policy.kind = VERSION_POLICY_LATEST;
    cfg->version_policy.latest_n = 1;
}

static status_t check_name(const char *name, error_t *err)
{
    if (!name || name[0] == '\0' || strlen(name) >= MODEL_NAME_MAX)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model name \"%.64s\" must be 1 to %d bytes long", name ? name : "",
                         MODEL_NAME_MAX - 1);
    return STATUS_OK;
}

status_t model_config_parse(const char *text, size_t len, const char *source, const char *name,
                            model_config_t *out, error_t *err)
{
    parser_t p = {source, err};
    json_error_t jerr;
    json_t *root = NULL;
    status_t st = check_name(name, err);

    if (st != STATUS_OK)
        return st;
    set_defaults(out, name);
    if (len > MODEL_CONFIG_MAX_BYTES)
        return error_set(err, STATUS_LIMIT_EXCEEDED, "%s: larger than the limit of %d bytes",
                         source, MODEL_CONFIG_MAX_BYTES);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s:%d:%d: invalid JSON: %s", source,
                         jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root))
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "%s: the top level must be a JSON object, not %s", source,
                       config_json_type_name(root));
    else
        st = parse_root(&p, root, out);
    json_decref(root);
    return st;
}

status_t model_config_load(const char *config_path, const char *name, model_config_t *out,
                           error_t *err)
{
    parser_t p = {config_path, err};
    json_t *root = NULL;
    status_t st = check_name(name, err);

    if (st != STATUS_OK)
        return st;
    set_defaults(out, name);
    if (!config_path)
        return STATUS_OK;
    st = config_json_load(config_path, MODEL_CONFIG_MAX_BYTES, &root, err);
    if (st == STATUS_NOT_FOUND) {
        st = STATUS_OK;
        goto cleanup;
    }
    if (st != STATUS_OK)
        goto cleanup;
    st = parse_root(&p, root, out);
cleanup:
    json_decref(root);
    return st;
}
