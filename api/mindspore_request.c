/*
 * mindspore_request.c - parsing a MindSpore Serving method call into one
 * batch-plan unit per instance (mindspore.h). The rules and messages
 * follow MindSpore's http_process.cc as serving-apis.md section 2.2
 * records them.
 */
#include "mindspore.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "config_json.h"
#include "json_tensor.h"
#include "kserve_input.h"

/* Room for "instance N input 'name'" in messages. */
#define WHAT_MAX (MODEL_NAME_MAX + 48)

/* MindSpore's type names (http_process.cc) and the dtype each means; str and bytes have none. */
static const struct {
    const char *name;
    dtype_t dtype;
} type_names[] = {
    {"int8", DTYPE_INT8},       {"int16", DTYPE_INT16},    {"int32", DTYPE_INT32},
    {"int64", DTYPE_INT64},     {"uint8", DTYPE_UINT8},    {"uint16", DTYPE_UINT16},
    {"uint32", DTYPE_UINT32},   {"uint64", DTYPE_UINT64},  {"fp16", DTYPE_FLOAT16},
    {"float16", DTYPE_FLOAT16}, {"fp32", DTYPE_FLOAT},     {"float32", DTYPE_FLOAT},
    {"fp64", DTYPE_DOUBLE},     {"float64", DTYPE_DOUBLE}, {"bool", DTYPE_BOOL},
    {"str", DTYPE_STRING},      {"bytes", DTYPE_STRING},
};

/* The MindSpore spelling of t, for messages ("float32"); ONNX's where MindSpore has none. */
static const char *ms_type_name(dtype_t t)
{
    switch (t) {
    case DTYPE_FLOAT16:
        return "float16";
    case DTYPE_FLOAT:
        return "float32";
    case DTYPE_DOUBLE:
        return "float64";
    default:
        for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
            if (type_names[i].dtype == t && t != DTYPE_STRING)
                return type_names[i].name;
        return dtype_name(t);
    }
}

/* The shape of a b64 value: "shape" (non-negative integers, nothing after a 0) or a scalar. */
static status_t b64_shape(const json_t *shape, const char *what, tensor_t *t, error_t *err)
{
    size_t i;
    const json_t *d;

    t->rank = 0;
    if (!shape)
        return STATUS_OK;
    if (!json_is_array(shape) || json_array_size(shape) > TENSOR_MAX_RANK)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: b64 'shape' must be a list of at most %d non-negative integers", what,
                         TENSOR_MAX_RANK);
    json_array_foreach(shape, i, d)
    {
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s: b64 'shape' must be a list of non-negative integers", what);
        if (i > 0 && t->dims[i - 1] == 0)
            return error_set(err, STATUS_INVALID_ARGUMENT, "%s: b64 'shape' has a dim after a 0",
                             what);
        t->dims[i] = json_integer_value(d);
    }
    t->rank = (int)json_array_size(shape);
    return STATUS_OK;
}

/*
 * A {"b64", "type", "shape"} value of model input tc: the type must be
 * tc's, the decoded bytes exactly the shape's. Fills t (data in arena).
 */
static status_t b64_value(const json_t *obj, const model_tensor_config_t *tc, const char *what,
                          int64_t max_elements, arena_t *arena, tensor_t *t, error_t *err)
{
    const json_t *b64 = json_object_get(obj, "b64"), *type = json_object_get(obj, "type");
    const char *key, *type_name = "bytes";
    const json_t *v;
    dtype_t dt = DTYPE_UNDEFINED;
    int64_t numel;
    size_t len, need;
    unsigned char *raw;
    status_t st;

    json_object_foreach((json_t *)obj, key, v)
    {
        if (strcmp(key, "b64") != 0 && strcmp(key, "type") != 0 && strcmp(key, "shape") != 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s: unknown key '%s' in a b64 object (it has b64, type and shape)",
                             what, key);
    }
    if (!json_is_string(b64))
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: 'b64' must be a string", what);
    if (type && !json_is_string(type))
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: b64 'type' must be a string", what);
    if (type)
        type_name = json_string_value(type);
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(type_names[i].name, type_name) == 0)
            dt = type_names[i].dtype;
    if (dt == DTYPE_UNDEFINED)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: unknown b64 type '%.32s' (int8-64, uint8-64, fp16, fp32, fp64, "
                         "bool, str, bytes)",
                         what, type_name);
    if (dt == DTYPE_STRING)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: b64 %s values are strings, and the input is %s (inferd holds no "
                         "string tensors): give its 'type' and 'shape'",
                         what, type_name, ms_type_name(tc->dtype));
    if (dt != tc->dtype)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: b64 type %s does not match the input's %s", what, type_name,
                         ms_type_name(tc->dtype));
    t->dtype = dt;
    st = b64_shape(json_object_get(obj, "shape"), what, t, err);
    if (st == STATUS_OK)
        st = kserve_input_elements(t, tc->name, max_elements, &numel, err);
    if (st != STATUS_OK)
        return st;
    len = json_string_length(b64);
    need = (size_t)numel * dtype_size(dt);
    /* Checked before decoding, so a hostile length allocates nothing. */
    if (BASE64_DECODED_MAX(len) < need || len / 4 * 3 > need + 2)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: size is not matched: %zu base64 characters cannot hold the %zu "
                         "bytes of the shape",
                         what, len, need);
    raw = arena_alloc(arena, BASE64_DECODED_MAX(len) + 1);
    if (!raw)
        return error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory decoding b64", what);
    if (!base64_decode(json_string_value(b64), len, raw, &len))
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: 'b64' is not valid base64", what);
    if (len != need)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: size is not matched, decode base64 size %zu, the shape needs %zu",
                         what, len, need);
    if (dt == DTYPE_BOOL)
        kserve_input_bool_bytes(raw, len);
    t->data = raw;
    return STATUS_OK;
}

/* A value of nested lists (or a bare scalar) for input tc. */
static status_t list_value(const json_t *v, const model_tensor_config_t *tc, const char *what,
                           int max_rank, int64_t max_elements, arena_t *arena, tensor_t *t,
                           error_t *err)
{
    int64_t numel, next = 0;
    status_t st;

    t->dtype = tc->dtype;
    st = json_tensor_shape(v, max_rank, what, &t->rank, t->dims, err);
    if (st != STATUS_OK)
        return st;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] == 0)
            return error_set(err, STATUS_INVALID_ARGUMENT, "%s: json array, shape is empty", what);
    st = kserve_input_elements(t, tc->name, max_elements, &numel, err);
    if (st != STATUS_OK)
        return st;
    t->data = arena_alloc(arena, (size_t)numel * dtype_size(t->dtype) + 1);
    if (!t->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory for its data", what);
    return json_tensor_store(v, t->dtype, JSON_LEAF_BY_KIND, what, t->data, &next, err);
}

/* The value of input k in one instance, as the unit's tensor (batch dim of 1 added if any). */
static status_t instance_value(const json_t *v, const model_config_t *cfg, int k, const char *what,
                               int64_t max_elements, arena_t *arena, tensor_t *t, error_t *err)
{
    const model_tensor_config_t *tc = &cfg->inputs[k];
    int batch = cfg->max_batch_size > 0 ? 1 : 0;
    tensor_t value = {0};
    status_t st;

    if (json_is_null(v))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: json value is null, it is not supported", what);
    if (json_is_string(v))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: a string, and the input is %s (inferd holds no string tensors)", what,
                         ms_type_name(tc->dtype));
    if (json_is_object(v))
        st = b64_value(v, tc, what, max_elements, arena, &value, err);
    else
        st = list_value(v, tc, what, TENSOR_MAX_RANK - batch, max_elements, arena, &value, err);
    if (st != STATUS_OK)
        return st;
    if (value.rank + batch > TENSOR_MAX_RANK)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: rank %d is over the limit of %d", what,
                         value.rank, TENSOR_MAX_RANK - batch);
    *t = value;
    if (batch) {
        memmove(t->dims + 1, value.dims, (size_t)value.rank * sizeof *t->dims);
        t->dims[0] = 1;
        t->rank = value.rank + 1;
    }
    return batch_plan_check_shape(cfg, k, t, what, err);
}

/* Instance u: an object of every input by name. Refuses the unit on any mistake. */
static status_t parse_instance(const json_t *inst, int u, int64_t max_elements, batch_plan_t *plan)
{
    const model_config_t *cfg = plan->cfg;
    batch_unit_t *unit = &plan->units[u];
    tensor_t *inputs;
    const char *key;
    const json_t *v;
    error_t err = {0};

    json_object_foreach((json_t *)inst, key, v)
    {
        if (kserve_find_tensor(cfg->inputs, cfg->n_inputs, key) < 0) {
            batch_plan_refuse(plan, u, STATUS_INVALID_ARGUMENT,
                              "instance %d: unknown input '%s': model '%s' has no such input", u,
                              key, cfg->name);
            return STATUS_OK;
        }
    }
    inputs = arena_alloc(&plan->arena, (size_t)cfg->n_inputs * sizeof *inputs + 1);
    if (!inputs)
        return STATUS_OUT_OF_MEMORY;
    for (int k = 0; k < cfg->n_inputs; k++) {
        char what[WHAT_MAX];
        snprintf(what, sizeof what, "instance %d input '%s'", u, cfg->inputs[k].name);
        v = json_object_get(inst, cfg->inputs[k].name);
        if (!v) {
            batch_plan_refuse(plan, u, STATUS_INVALID_ARGUMENT, "instance %d: missing input '%s'",
                              u, cfg->inputs[k].name);
            return STATUS_OK;
        }
        if (instance_value(v, cfg, k, what, max_elements, &plan->arena, &inputs[k], &err) !=
            STATUS_OK) {
            if (err.code == STATUS_OUT_OF_MEMORY)
                return STATUS_OUT_OF_MEMORY;
            batch_plan_refuse(plan, u, err.code, "%s", err.message);
            return STATUS_OK;
        }
    }
    unit->inputs = inputs;
    unit->rows = 1;
    return STATUS_OK;
}

status_t mindspore_parse_call(const char *body, size_t size, const model_config_t *cfg,
                              int64_t max_tensor_elements, batch_plan_t *plan, error_t *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    const json_t *instances, *inst;
    int64_t max_elements = kserve_element_limit(max_tensor_elements);
    size_t n, i;
    status_t st;

    if (cfg->n_inputs < 1 || cfg->n_inputs > REQUEST_MAX_TENSORS ||
        cfg->n_outputs > REQUEST_MAX_TENSORS) {
        st = error_set(err, STATUS_UNSUPPORTED,
                       "model '%s' has %d inputs: a call needs 1 to %d inputs and at most %d "
                       "outputs",
                       cfg->name, cfg->n_inputs, REQUEST_MAX_TENSORS, REQUEST_MAX_TENSORS);
        goto cleanup;
    }
    if (size == 0) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "the request body is empty");
        goto cleanup;
    }
    root = json_loadb(body, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "Parse request failed: malformed JSON at line %d, column %d: %s", jerr.line,
                       jerr.column, jerr.text);
        goto cleanup;
    }
    instances = json_is_object(root) ? json_object_get(root, "instances") : NULL;
    if (!instances || json_object_size(root) != 1) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "key 'instances' expects to exist once, and alone: the body is "
                       "{\"instances\": [{input: value, ...}, ...]}");
        goto cleanup;
    }
    n = json_is_array(instances) ? json_array_size(instances) : 1;
    if (json_is_array(instances) && n == 0) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "instances value is empty");
        goto cleanup;
    }
    if (n > MINDSPORE_MAX_INSTANCES) {
        st = error_set(err, STATUS_LIMIT_EXCEEDED, "%zu instances, over the limit of %d", n,
                       MINDSPORE_MAX_INSTANCES);
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        inst = json_is_array(instances) ? json_array_get(instances, i) : instances;
        if (!json_is_object(inst)) {
            st = error_set(err, STATUS_INVALID_ARGUMENT,
                           "instances no key mode is not supported: instance %zu is %s, not an "
                           "object of input name to value",
                           i, config_json_type_name(inst));
            goto cleanup;
        }
    }
    st = batch_plan_units(plan, (int)n, err);
    for (i = 0; st == STATUS_OK && i < n; i++) {
        inst = json_is_array(instances) ? json_array_get(instances, i) : instances;
        if (parse_instance(inst, (int)i, max_elements, plan) != STATUS_OK)
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory parsing instance %zu", i);
    }

cleanup:
    json_decref(root);
    return st;
}
