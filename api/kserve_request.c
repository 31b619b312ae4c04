/*
 * kserve_request.c - parsing a KServe v2 infer request (JSON header plus
 * optional binary tensor data) into a request_t for one model.
 */
#include "kserve.h"
#include "config_json.h"
#include "kserve_input.h"
#include "kserve_shm.h"
#include "half.h"
#include "json_tensor.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* What parsing one input needs besides the input itself. */
typedef struct input_ctx {
    const model_config_t *cfg;
    int64_t max_elements;
    const unsigned char *binary; /* the binary section after the JSON */
    size_t binary_size;
    size_t binary_used; /* consumed by earlier binary inputs */
    arena_t *arena;
} input_ctx_t;

/* Converts one JSON element to element i of data (dtype t), checking type and range. */
static status_t store_element(const json_t *v, const char *name, dtype_t t, void *data, int64_t i,
                              error_t *err)
{
    const char *dt = dtype_kserve_name(t);
    int64_t lo, hi;

    if (t == DTYPE_BOOL) {
        if (!json_is_boolean(v))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': data[%" PRId64 "] must be true or false for BOOL, got %s",
                             name, i, config_json_type_name(v));
        ((uint8_t *)data)[i] = json_is_true(v) ? 1 : 0;
        return STATUS_OK;
    }
    if (t == DTYPE_FLOAT16 || t == DTYPE_BFLOAT16) {
        double d;
        uint16_t h;
        if (!json_is_number(v))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': data[%" PRId64 "] must be a number for %s, got %s", name,
                             i, dt, config_json_type_name(v));
        d = json_number_value(v);
        h = t == DTYPE_FLOAT16 ? double_to_f16(d) : double_to_bf16(d);
        /* As for FP32: a finite number that rounds to infinity is out of range. */
        if ((h & 0x7fffu) == (t == DTYPE_FLOAT16 ? 0x7c00u : 0x7f80u))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': data[%" PRId64 "] = %g is out of range for %s", name, i,
                             d, dt);
        ((uint16_t *)data)[i] = h;
        return STATUS_OK;
    }
    if (t == DTYPE_FLOAT || t == DTYPE_DOUBLE) {
        double d;
        if (!json_is_number(v))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': data[%" PRId64 "] must be a number for %s, got %s", name,
                             i, dt, config_json_type_name(v));
        d = json_number_value(v);
        if (t == DTYPE_DOUBLE) {
            ((double *)data)[i] = d;
            return STATUS_OK;
        }
        /* Values that round to FLT_MAX are fine; beyond that the float would be infinite. */
        if (isinf((float)d))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': data[%" PRId64 "] = %g is out of range for FP32", name, i,
                             d);
        ((float *)data)[i] = (float)d;
        return STATUS_OK;
    }
    if (!json_tensor_int_range(t, &lo, &hi))
        return error_set(err, STATUS_INTERNAL, "input '%s': no JSON conversion for %s", name, dt);
    if (!json_is_integer(v))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': data[%" PRId64 "] must be an integer for %s, got %s", name, i,
                         dt, config_json_type_name(v));
    if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': data[%" PRId64 "] = %" PRId64 " is out of range for %s", name,
                         i, (int64_t)json_integer_value(v), dt);
    json_tensor_put_int(t, data, i, json_integer_value(v));
    return STATUS_OK;
}

/* Counts the leaves of nested data arrays into *count, refusing nesting past the limit. */
static status_t count_elements(const json_t *data, const char *name, int depth, int64_t *count,
                               error_t *err)
{
    size_t i;
    const json_t *v;

    if (depth > KSERVE_MAX_DATA_DEPTH)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': data nests deeper than %d levels", name,
                         KSERVE_MAX_DATA_DEPTH);
    json_array_foreach(data, i, v)
    {
        if (json_is_array(v)) {
            status_t st = count_elements(v, name, depth + 1, count, err);
            if (st != STATUS_OK)
                return st;
        } else {
            (*count)++;
        }
    }
    return STATUS_OK;
}

/* Stores the leaves of data, row-major, from element *next on (count_elements checked them). */
static status_t store_elements(const json_t *data, const char *name, dtype_t t, void *out,
                               int64_t *next, error_t *err)
{
    size_t i;
    const json_t *v;

    json_array_foreach(data, i, v)
    {
        status_t st = json_is_array(v) ? store_elements(v, name, t, out, next, err)
                                       : store_element(v, name, t, out, (*next)++, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

static status_t parse_json_data(const json_t *data, const char *name, tensor_t *t, int64_t numel,
                                arena_t *arena, error_t *err)
{
    char shape[SHAPE_TEXT_MAX];
    int64_t count = 0, next = 0;
    status_t st;

    if (!json_is_array(data))
        return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s': data must be an array, got %s",
                         name, config_json_type_name(data));
    st = count_elements(data, name, 1, &count, err);
    if (st != STATUS_OK)
        return st;
    if (count != numel)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': data has %" PRId64 " elements, shape %s needs %" PRId64, name,
                         count, shape_format(t->rank, t->dims, shape, sizeof shape), numel);
    t->data = arena_alloc(arena, (size_t)numel * dtype_size(t->dtype));
    if (!t->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "input '%s': out of memory for its data", name);
    return store_elements(data, name, t->dtype, t->data, &next, err);
}

static status_t parse_binary_data(const json_t *size_value, const char *name, tensor_t *t,
                                  int64_t numel, input_ctx_t *ctx, error_t *err)
{
    char shape[SHAPE_TEXT_MAX];
    size_t need = (size_t)numel * dtype_size(t->dtype);
    size_t left = ctx->binary_size - ctx->binary_used;
    json_int_t size;
    status_t st;

    if (!json_is_integer(size_value) || json_integer_value(size_value) < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': parameters.binary_data_size must be a non-negative integer",
                         name);
    size = json_integer_value(size_value);
    if ((uint64_t)size != need)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': binary_data_size is %" PRId64 " bytes, shape %s of %s needs "
                         "%zu",
                         name, (int64_t)size, shape_format(t->rank, t->dims, shape, sizeof shape),
                         dtype_kserve_name(t->dtype), need);
    if (need > left)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': binary_data_size %zu runs past the end of the binary data "
                         "(%zu bytes left)",
                         name, need, left);
    st = kserve_input_copy_raw(name, t, ctx->binary + ctx->binary_used, need, ctx->arena, err);
    ctx->binary_used += need;
    return st;
}

/* Reads "shape" and checks it against the model's declaration tc. */
static status_t parse_shape(const json_t *in, const char *name, const model_tensor_config_t *tc,
                            int max_batch_size, tensor_t *t, error_t *err)
{
    const json_t *shape = json_object_get(in, "shape");
    size_t i;
    const json_t *v;
    status_t st;

    if (!json_is_array(shape))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': shape must be an array of integers, got %s", name,
                         shape ? config_json_type_name(shape) : "nothing");
    st = kserve_input_rank(name, tc, max_batch_size, json_array_size(shape), &t->rank, err);
    if (st != STATUS_OK)
        return st;
    json_array_foreach(shape, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': shape[%zu] must be a non-negative integer", name, i);
        t->dims[i] = json_integer_value(v);
    }
    return kserve_input_dims(name, tc, max_batch_size, t, err);
}

/* Fails, naming it, on a key of object obj (what: its place) that is not in allowed. */
static status_t known_keys(const json_t *obj, const char *what, const char *const allowed[],
                           const char *list, error_t *err)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (int i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return error_set(err, STATUS_INVALID_ARGUMENT, "%s: unknown key '%s' (allowed: %s)",
                             what, key, list);
    }
    return STATUS_OK;
}

/* A shared memory offset or size parameter: a non-negative integer. */
static status_t shm_number(const json_t *params, const char *kind, const char *tensor,
                           const char *key, bool *has, uint64_t *out, error_t *err)
{
    const json_t *v = json_object_get(params, key);

    *has = v != NULL;
    if (!v)
        return STATUS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s '%s': parameters.%s must be a non-negative integer (bytes), got %s",
                         kind, tensor, key,
                         json_is_integer(v) ? "a negative one" : config_json_type_name(v));
    *out = (uint64_t)json_integer_value(v);
    return STATUS_OK;
}

/* The shared memory parameters of one input or output (params may be NULL) into *ref. */
static status_t shm_parameters(const json_t *params, const char *kind, const char *tensor,
                               arena_t *arena, kserve_shm_ref_t *ref, error_t *err)
{
    kserve_shm_params_t p = {0};
    const json_t *region = json_object_get(params, KSERVE_SHM_PARAM_REGION);
    status_t st;

    if (region && !json_is_string(region))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s '%s': parameters.%s must be a string naming a registered region, "
                         "got %s",
                         kind, tensor, KSERVE_SHM_PARAM_REGION, config_json_type_name(region));
    if (region) {
        p.region = json_string_value(region);
        p.region_len = json_string_length(region);
    }
    st = shm_number(params, kind, tensor, KSERVE_SHM_PARAM_OFFSET, &p.has_offset, &p.offset, err);
    if (st == STATUS_OK)
        st = shm_number(params, kind, tensor, KSERVE_SHM_PARAM_BYTE_SIZE, &p.has_byte_size,
                        &p.byte_size, err);
    if (st == STATUS_OK)
        st = kserve_shm_ref(kind, tensor, &p, arena, ref, err);
    return st;
}

static status_t parse_input(const json_t *in, const char *name, const model_tensor_config_t *tc,
                            input_ctx_t *ctx, tensor_t *t, kserve_shm_ref_t *shm, error_t *err)
{
    static const char *const keys[] = {"name", "shape", "datatype", "parameters", "data", NULL};
    const json_t *datatype = json_object_get(in, "datatype");
    const json_t *params = json_object_get(in, "parameters");
    const json_t *data = json_object_get(in, "data");
    const json_t *binary_size = NULL;
    char what[MODEL_NAME_MAX + 16];
    int64_t numel = 0;
    int given;
    status_t st;

    snprintf(what, sizeof what, "input '%s'", name);
    st = known_keys(in, what, keys, "name, shape, datatype, parameters, data", err);
    if (st != STATUS_OK)
        return st;
    if (!json_is_string(datatype))
        return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s': datatype must be a string",
                         name);
    st = kserve_input_dtype(name, json_string_value(datatype), tc, &t->dtype, err);
    if (st != STATUS_OK)
        return st;
    st = parse_shape(in, name, tc, ctx->cfg->max_batch_size, t, err);
    if (st != STATUS_OK)
        return st;
    st = kserve_input_elements(t, name, ctx->max_elements, &numel, err);
    if (st != STATUS_OK)
        return st;
    if (params && !json_is_object(params))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': parameters must be an object, got %s", name,
                         config_json_type_name(params));
    if (params) {
        static const char *const served[] = {"binary_data_size", KSERVE_SHM_PARAM_REGION,
                                             KSERVE_SHM_PARAM_OFFSET, KSERVE_SHM_PARAM_BYTE_SIZE,
                                             NULL};
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)params, key, value)
        {
            st = kserve_tensor_parameter("input", name, key, served, err);
            if (st != STATUS_OK)
                return st;
        }
        binary_size = json_object_get(params, "binary_data_size");
        st = shm_parameters(params, "input", name, ctx->arena, shm, err);
        if (st != STATUS_OK)
            return st;
    }
    /* Exactly one source of data, as in Triton. */
    given = (data != NULL) + (binary_size != NULL) + (shm->region != NULL);
    if (given != 1)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s' %s: data, parameters.binary_data_size or "
                         "parameters.%s",
                         name, given ? "has more than one of" : "has none of",
                         KSERVE_SHM_PARAM_REGION);
    if (shm->region)
        return kserve_shm_input_size(name, t, numel, shm, err);
    if (binary_size)
        return parse_binary_data(binary_size, name, t, numel, ctx, err);
    return parse_json_data(data, name, t, numel, ctx->arena, err);
}

static status_t parse_inputs(const json_t *root, input_ctx_t *ctx, request_t *req,
                             kserve_output_prefs_t *prefs, error_t *err)
{
    const model_config_t *cfg = ctx->cfg;
    const json_t *inputs = json_object_get(root, "inputs");
    bool seen[MODEL_CONFIG_MAX_IO] = {false};
    int first = -1; /* the first input parsed, whose batch dim the others must share */
    size_t i;
    const json_t *in;
    status_t st;

    if (!json_is_array(inputs))
        return error_set(err, STATUS_INVALID_ARGUMENT, "inputs must be an array, got %s",
                         inputs ? config_json_type_name(inputs) : "nothing");
    json_array_foreach(inputs, i, in)
    {
        const json_t *name = json_object_get(in, "name");
        int k;

        if (!json_is_object(in))
            return error_set(err, STATUS_INVALID_ARGUMENT, "inputs[%zu] must be an object, got %s",
                             i, config_json_type_name(in));
        if (!json_is_string(name))
            return error_set(err, STATUS_INVALID_ARGUMENT, "inputs[%zu].name must be a string", i);
        st = kserve_input_claim(cfg, json_string_value(name), seen, &k, err);
        if (st != STATUS_OK)
            return st;
        st = parse_input(in, cfg->inputs[k].name, &cfg->inputs[k], ctx, &req->inputs[k],
                         &prefs->shm_inputs[k], err);
        if (st != STATUS_OK)
            return st;
        st = kserve_input_same_batch(cfg, req, k, first, err);
        if (st != STATUS_OK)
            return st;
        if (first < 0)
            first = k;
    }
    st = kserve_input_all_given(cfg, seen, err);
    if (st != STATUS_OK)
        return st;
    if (ctx->binary_used != ctx->binary_size)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%zu bytes of binary data left over after the binary inputs",
                         ctx->binary_size - ctx->binary_used);
    req->n_inputs = cfg->n_inputs;
    return STATUS_OK;
}

/*
 * Whether the value of a parameter kserve_request_parameter decides on asks
 * for nothing: a sequence_id of 0 or "", a sequence flag that is false.
 */
static bool neutral_value(const json_t *v)
{
    return (json_is_integer(v) && json_integer_value(v) == 0) ||
           (json_is_string(v) && json_string_length(v) == 0) || json_is_false(v);
}

/*
 * Request-level "parameters": priority, timeout and binary_data_output;
 * sequence parameters only without a sequence; anything else is refused.
 */
static status_t parse_parameters(const json_t *root, const model_config_t *cfg, request_t *req,
                                 bool *binary_output, error_t *err)
{
    static const char *const served[] = {"priority", "timeout", "binary_data_output", NULL};
    const json_t *params = json_object_get(root, "parameters");
    const json_t *v;
    const char *key;
    json_t *value;
    status_t st;

    *binary_output = false;
    if (!params)
        return STATUS_OK;
    if (!json_is_object(params))
        return error_set(err, STATUS_INVALID_ARGUMENT, "parameters must be an object, got %s",
                         config_json_type_name(params));
    json_object_foreach((json_t *)params, key, value)
    {
        bool known = false;
        for (int i = 0; served[i] && !known; i++)
            known = strcmp(key, served[i]) == 0;
        if (known)
            continue;
        st = kserve_request_parameter(key, neutral_value(value), served, err);
        if (st != STATUS_OK)
            return st;
    }
    v = json_object_get(params, "priority");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "parameters.priority must be an unsigned integer, got %s",
                             json_is_integer(v) ? "a negative one" : config_json_type_name(v));
        st = kserve_request_priority(cfg, json_integer_value(v), req, err);
        if (st != STATUS_OK)
            return st;
    }
    v = json_object_get(params, "timeout");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "parameters.timeout must be an unsigned integer (microseconds), got "
                             "%s",
                             json_is_integer(v) ? "a negative one" : config_json_type_name(v));
        req->timeout_us = json_integer_value(v);
    }
    v = json_object_get(params, "binary_data_output");
    if (v) {
        if (!json_is_boolean(v))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "parameters.binary_data_output must be a boolean, got %s",
                             config_json_type_name(v));
        *binary_output = json_is_true(v);
    }
    return STATUS_OK;
}

/*
 * An output's "parameters": binary_data, classification and shared memory;
 * anything else is refused.
 */
static status_t parse_output_parameters(const json_t *params, const model_config_t *cfg, int k,
                                        bool binary_output, arena_t *arena,
                                        kserve_output_prefs_t *prefs, error_t *err)
{
    static const char *const served[] = {
        "binary_data",           "classification",           KSERVE_SHM_PARAM_REGION,
        KSERVE_SHM_PARAM_OFFSET, KSERVE_SHM_PARAM_BYTE_SIZE, NULL};
    const char *name = cfg->outputs[k].name;
    const json_t *binary = NULL, *count = NULL;
    const char *key;
    json_t *value;
    status_t st;

    if (params && !json_is_object(params))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': parameters must be an object, got %s", name,
                         config_json_type_name(params));
    if (params) {
        json_object_foreach((json_t *)params, key, value)
        {
            st = kserve_tensor_parameter("output", name, key, served, err);
            if (st != STATUS_OK)
                return st;
        }
        binary = json_object_get(params, "binary_data");
        count = json_object_get(params, "classification");
    }
    if (binary && !json_is_boolean(binary))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': parameters.binary_data must be a boolean, got %s", name,
                         config_json_type_name(binary));
    if (count && !json_is_integer(count))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': parameters.classification must be an integer class count, "
                         "got %s",
                         name, config_json_type_name(count));
    if (count) {
        st = kserve_class_count(cfg, k, json_integer_value(count), prefs, err);
        if (st != STATUS_OK)
            return st;
    }
    if (params) {
        st = shm_parameters(params, "output", name, arena, &prefs->shm_outputs[k], err);
        if (st == STATUS_OK)
            st = kserve_shm_output_alone(cfg, k, prefs, binary && json_is_true(binary), err);
        if (st != STATUS_OK)
            return st;
    }
    /* An output in shared memory is not in the body, binary or not. */
    if (!prefs->shm_outputs[k].region && (binary ? json_is_true(binary) : binary_output))
        prefs->binary_mask |= UINT64_C(1) << k;
    return STATUS_OK;
}

/*
 * "outputs": which outputs to send (all when absent or empty), which of
 * them binary and which classified.
 */
static status_t parse_outputs(const json_t *root, const model_config_t *cfg, bool binary_output,
                              request_t *req, kserve_output_prefs_t *prefs, error_t *err)
{
    static const char *const keys[] = {"name", "parameters", NULL};
    const json_t *outputs = json_object_get(root, "outputs");
    size_t i;
    const json_t *out;

    if (outputs && !json_is_array(outputs))
        return error_set(err, STATUS_INVALID_ARGUMENT, "outputs must be an array, got %s",
                         config_json_type_name(outputs));
    if (json_array_size(outputs) == 0) {
        req->output_mask = kserve_all_outputs_mask(cfg->n_outputs);
        prefs->binary_mask = binary_output ? req->output_mask : 0;
        return STATUS_OK;
    }
    req->output_mask = 0;
    prefs->binary_mask = 0;
    json_array_foreach(outputs, i, out)
    {
        const json_t *name = json_object_get(out, "name");
        char what[32];
        int k;
        status_t st;

        if (!json_is_object(out))
            return error_set(err, STATUS_INVALID_ARGUMENT, "outputs[%zu] must be an object, got %s",
                             i, config_json_type_name(out));
        if (!json_is_string(name))
            return error_set(err, STATUS_INVALID_ARGUMENT, "outputs[%zu].name must be a string", i);
        snprintf(what, sizeof what, "outputs[%zu]", i);
        st = known_keys(out, what, keys, "name, parameters", err);
        if (st != STATUS_OK)
            return st;
        k = kserve_find_tensor(cfg->outputs, cfg->n_outputs, json_string_value(name));
        if (k < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unknown output '%s': model '%s' has no such output",
                             json_string_value(name), cfg->name);
        if (req->output_mask & (UINT64_C(1) << k))
            return error_set(err, STATUS_INVALID_ARGUMENT, "output '%s' is requested twice",
                             json_string_value(name));
        st = parse_output_parameters(json_object_get(out, "parameters"), cfg, k, binary_output,
                                     &req->arena, prefs, err);
        if (st != STATUS_OK)
            return st;
        req->output_mask |= UINT64_C(1) << k;
    }
    return STATUS_OK;
}

status_t kserve_parse_infer_request(const char *body, size_t size, size_t header_len,
                                    const model_config_t *cfg, int64_t max_tensor_elements,
                                    request_t *req, kserve_output_prefs_t *prefs, error_t *err)
{
    static const char *const top_keys[] = {"id", "parameters", "inputs", "outputs", NULL};
    json_t *root = NULL;
    json_error_t jerr;
    const json_t *id;
    bool binary_output;
    input_ctx_t ctx = {
        .cfg = cfg,
        .max_elements = kserve_element_limit(max_tensor_elements),
        .arena = &req->arena,
    };
    status_t st;

    memset(prefs, 0, sizeof *prefs);
    if (header_len > size) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "Inference-Header-Content-Length %zu is larger than the body (%zu bytes)",
                       header_len, size);
        goto cleanup;
    }
    if (cfg->n_inputs > REQUEST_MAX_TENSORS || cfg->n_outputs > REQUEST_MAX_TENSORS) {
        st = error_set(err, STATUS_INTERNAL, "model '%s' has more than %d inputs or outputs",
                       cfg->name, REQUEST_MAX_TENSORS);
        goto cleanup;
    }
    /* An empty POST may come without a buffer. */
    if (!body)
        body = "";
    ctx.binary = (const unsigned char *)body + header_len;
    ctx.binary_size = size - header_len;
    root = json_loadb(body, header_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "malformed JSON at line %d, column %d: %s",
                       jerr.line, jerr.column, jerr.text);
        goto cleanup;
    }
    if (!json_is_object(root)) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "the request must be a JSON object, got %s",
                       config_json_type_name(root));
        goto cleanup;
    }
    st = known_keys(root, "the request", top_keys, "id, parameters, inputs, outputs", err);
    if (st != STATUS_OK)
        goto cleanup;
    id = json_object_get(root, "id");
    if (id && !json_is_string(id)) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "id must be a string, got %s",
                       config_json_type_name(id));
        goto cleanup;
    }
    if (id && !(req->id = arena_strdup(&req->arena, json_string_value(id)))) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory copying the request id");
        goto cleanup;
    }
    st = parse_parameters(root, cfg, req, &binary_output, err);
    if (st == STATUS_OK)
        st = parse_inputs(root, &ctx, req, prefs, err);
    if (st == STATUS_OK)
        st = parse_outputs(root, cfg, binary_output, req, prefs, err);

cleanup:
    json_decref(root);
    return st;
}
