/*
 * kserve_grpc_infer.c - ModelInferRequest to request_t and request_t to
 * ModelInferResponse, with the checks kserve_input.c shares with the REST
 * codec.
 */
#include "kserve_grpc.h"

#include <inttypes.h>
#include <string.h>

#include "kserve_input.h"
#include "kserve_shm.h"
#include "kserve_internal.h"

/* The fields of InferTensorContents, one per C element type. */
typedef enum contents_field {
    FIELD_BOOL = 0,
    FIELD_INT,
    FIELD_INT64,
    FIELD_UINT,
    FIELD_UINT64,
    FIELD_FP32,
    FIELD_FP64,
    FIELD_BYTES,
    FIELD_COUNT,
    FIELD_NONE = -1, /* the datatype travels only as raw contents */
} contents_field_t;

static const char *const field_names[FIELD_COUNT] = {
    "bool_contents",   "int_contents",  "int64_contents", "uint_contents",
    "uint64_contents", "fp32_contents", "fp64_contents",  "bytes_contents",
};

static void *arena_allocator_alloc(void *data, size_t size)
{
    return arena_alloc(data, size);
}

static void arena_allocator_free(void *data, void *pointer)
{
    (void)data;
    (void)pointer;
}

void kserve_grpc_allocator(arena_t *arena, ProtobufCAllocator *out)
{
    out->alloc = arena_allocator_alloc;
    out->free = arena_allocator_free;
    out->allocator_data = arena;
}

char *kserve_grpc_text(arena_t *arena, const char *s)
{
    size_t n = strlen(s), used = 0;
    char *out = arena_alloc(arena, n + 1);

    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t len = kserve_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (len == 0) {
            out[used++] = '?';
            i++;
        } else {
            memcpy(out + used, s + i, len);
            used += len;
            i += len;
        }
    }
    out[used] = '\0';
    return out;
}

static contents_field_t field_of(dtype_t t)
{
    switch (t) {
    case DTYPE_BOOL:
        return FIELD_BOOL;
    case DTYPE_INT8:
    case DTYPE_INT16:
    case DTYPE_INT32:
        return FIELD_INT;
    case DTYPE_INT64:
        return FIELD_INT64;
    case DTYPE_UINT8:
    case DTYPE_UINT16:
    case DTYPE_UINT32:
        return FIELD_UINT;
    case DTYPE_UINT64:
        return FIELD_UINT64;
    case DTYPE_FLOAT:
        return FIELD_FP32;
    case DTYPE_DOUBLE:
        return FIELD_FP64;
    case DTYPE_STRING:
        return FIELD_BYTES;
    default:
        return FIELD_NONE;
    }
}

static size_t field_count(const Inference__InferTensorContents *c, contents_field_t f)
{
    if (!c)
        return 0;
    switch (f) {
    case FIELD_BOOL:
        return c->n_bool_contents;
    case FIELD_INT:
        return c->n_int_contents;
    case FIELD_INT64:
        return c->n_int64_contents;
    case FIELD_UINT:
        return c->n_uint_contents;
    case FIELD_UINT64:
        return c->n_uint64_contents;
    case FIELD_FP32:
        return c->n_fp32_contents;
    case FIELD_FP64:
        return c->n_fp64_contents;
    case FIELD_BYTES:
        return c->n_bytes_contents;
    default:
        return 0;
    }
}

static bool has_contents(const Inference__InferTensorContents *c)
{
    for (int f = 0; f < FIELD_COUNT; f++)
        if (field_count(c, (contents_field_t)f) > 0)
            return true;
    return false;
}

/* Narrows int_contents or uint_contents to INT8/INT16 or UINT8/UINT16, checking the range. */
static status_t narrow_ints(const Inference__InferTensorContents *c, const char *name, tensor_t *t,
                            int64_t numel, arena_t *arena, error_t *err)
{
    bool is_signed = t->dtype == DTYPE_INT8 || t->dtype == DTYPE_INT16;
    int64_t lo = t->dtype == DTYPE_INT8 ? INT8_MIN : t->dtype == DTYPE_INT16 ? INT16_MIN : 0;
    int64_t hi = t->dtype == DTYPE_INT8    ? INT8_MAX
                 : t->dtype == DTYPE_INT16 ? INT16_MAX
                 : t->dtype == DTYPE_UINT8 ? UINT8_MAX
                                           : UINT16_MAX;

    t->data = arena_alloc(arena, (size_t)numel * dtype_size(t->dtype));
    if (!t->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "input '%s': out of memory for its data", name);
    for (int64_t i = 0; i < numel; i++) {
        int64_t v = is_signed ? c->int_contents[i] : (int64_t)c->uint_contents[i];
        if (v < lo || v > hi)
            return error_set(
                err, STATUS_INVALID_ARGUMENT,
                "input '%s': contents.%s[%" PRId64 "] = %" PRId64 " is out of range for %s", name,
                field_names[is_signed ? FIELD_INT : FIELD_UINT], i, v, dtype_kserve_name(t->dtype));
        switch (t->dtype) {
        case DTYPE_INT8:
            ((int8_t *)t->data)[i] = (int8_t)v;
            break;
        case DTYPE_INT16:
            ((int16_t *)t->data)[i] = (int16_t)v;
            break;
        case DTYPE_UINT8:
            ((uint8_t *)t->data)[i] = (uint8_t)v;
            break;
        default:
            ((uint16_t *)t->data)[i] = (uint16_t)v;
            break;
        }
    }
    return STATUS_OK;
}

/*
 * Typed contents: the field of the datatype must hold exactly numel
 * elements and every other field none. Fields whose C type is the
 * tensor's element type are used in place.
 */
static status_t parse_contents(Inference__InferTensorContents *c, const char *name, tensor_t *t,
                               int64_t numel, arena_t *arena, error_t *err)
{
    contents_field_t want = field_of(t->dtype);
    char shape[SHAPE_TEXT_MAX];
    size_t n;

    if (want == FIELD_NONE)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': %s data can only be sent in raw_input_contents", name,
                         dtype_kserve_name(t->dtype));
    for (int f = 0; f < FIELD_COUNT; f++)
        if ((contents_field_t)f != want && field_count(c, (contents_field_t)f) > 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': %s data goes in contents.%s, got contents.%s", name,
                             dtype_kserve_name(t->dtype), field_names[want], field_names[f]);
    n = field_count(c, want);
    if (n != (uint64_t)numel)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': contents.%s has %zu elements, shape %s needs %" PRId64, name,
                         field_names[want], n, shape_format(t->rank, t->dims, shape, sizeof shape),
                         numel);
    if (numel == 0)
        return STATUS_OK;
    switch (t->dtype) {
    case DTYPE_FLOAT:
        t->data = c->fp32_contents;
        return STATUS_OK;
    case DTYPE_DOUBLE:
        t->data = c->fp64_contents;
        return STATUS_OK;
    case DTYPE_INT64:
        t->data = c->int64_contents;
        return STATUS_OK;
    case DTYPE_UINT64:
        t->data = c->uint64_contents;
        return STATUS_OK;
    case DTYPE_INT32:
        t->data = c->int_contents;
        return STATUS_OK;
    case DTYPE_UINT32:
        t->data = c->uint_contents;
        return STATUS_OK;
    case DTYPE_BOOL:
        t->data = arena_alloc(arena, (size_t)numel);
        if (!t->data)
            return error_set(err, STATUS_OUT_OF_MEMORY, "input '%s': out of memory for its data",
                             name);
        for (int64_t i = 0; i < numel; i++)
            ((uint8_t *)t->data)[i] = c->bool_contents[i] != 0;
        return STATUS_OK;
    default:
        return narrow_ints(c, name, t, numel, arena, err);
    }
}

static status_t parse_raw(ProtobufCBinaryData *raw, size_t index, const char *name, tensor_t *t,
                          int64_t numel, error_t *err)
{
    char shape[SHAPE_TEXT_MAX];
    size_t need = (size_t)numel * dtype_size(t->dtype);

    if (raw->len != need)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': raw_input_contents[%zu] has %zu bytes, shape %s of %s needs "
                         "%zu",
                         name, index, raw->len, shape_format(t->rank, t->dims, shape, sizeof shape),
                         dtype_kserve_name(t->dtype), need);
    t->data = need > 0 ? raw->data : NULL;
    if (t->dtype == DTYPE_BOOL)
        kserve_input_bool_bytes(t->data, need);
    return STATUS_OK;
}

/* A shared memory offset or size parameter: int64_param >= 0 or uint64_param. */
static status_t shm_number(const Inference__InferParameter *p, const char *kind, const char *tensor,
                           const char *key, uint64_t *out, error_t *err)
{
    if (p && p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM &&
        p->int64_param >= 0) {
        *out = (uint64_t)p->int64_param;
        return STATUS_OK;
    }
    if (p &&
        p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM) {
        *out = p->uint64_param;
        return STATUS_OK;
    }
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "%s '%s': parameters.%s must be a non-negative int64_param (bytes)", kind,
                     tensor, key);
}

/*
 * One served parameter of an input or output: a shared memory one is read
 * into *shm (the others are the caller's).
 */
static status_t shm_parameter(const char *kind, const char *tensor, const char *key,
                              const Inference__InferParameter *v, kserve_shm_params_t *shm,
                              error_t *err)
{
    if (strcmp(key, KSERVE_SHM_PARAM_REGION) == 0) {
        if (!v ||
            v->parameter_choice_case != INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s '%s': parameters.%s must be a string_param naming a registered "
                             "region",
                             kind, tensor, key);
        shm->region = v->string_param;
        shm->region_len = strlen(v->string_param);
    } else if (strcmp(key, KSERVE_SHM_PARAM_OFFSET) == 0) {
        shm->has_offset = true;
        return shm_number(v, kind, tensor, key, &shm->offset, err);
    } else if (strcmp(key, KSERVE_SHM_PARAM_BYTE_SIZE) == 0) {
        shm->has_byte_size = true;
        return shm_number(v, kind, tensor, key, &shm->byte_size, err);
    }
    return STATUS_OK;
}

/*
 * Input i of msg, model input k. Raw contents are taken in order by the
 * inputs outside shared memory (*raw_used of them so far), as Triton's
 * clients send them.
 */
static status_t parse_input(Inference__ModelInferRequest *msg, size_t i, int k,
                            const model_config_t *cfg, int64_t max_elements, request_t *req,
                            kserve_output_prefs_t *prefs, size_t *raw_used, error_t *err)
{
    static const char *const served[] = {KSERVE_SHM_PARAM_REGION, KSERVE_SHM_PARAM_OFFSET,
                                         KSERVE_SHM_PARAM_BYTE_SIZE, NULL};
    Inference__ModelInferRequest__InferInputTensor *in = msg->inputs[i];
    const model_tensor_config_t *tc = &cfg->inputs[k];
    tensor_t *t = &req->inputs[k];
    kserve_shm_ref_t *shm = &prefs->shm_inputs[k];
    kserve_shm_params_t params = {0};
    int64_t numel = 0;
    status_t st;

    /* Only the shared memory parameters: the data's form is the message's to say. */
    for (size_t p = 0; p < in->n_parameters; p++) {
        st = kserve_tensor_parameter("input", tc->name, in->parameters[p]->key, served, err);
        if (st == STATUS_OK)
            st = shm_parameter("input", tc->name, in->parameters[p]->key, in->parameters[p]->value,
                               &params, err);
        if (st != STATUS_OK)
            return st;
    }
    st = kserve_shm_ref("input", tc->name, &params, &req->arena, shm, err);
    if (st != STATUS_OK)
        return st;
    st = kserve_input_dtype(tc->name, in->datatype, tc, &t->dtype, err);
    if (st != STATUS_OK)
        return st;
    st = kserve_input_rank(tc->name, tc, cfg->max_batch_size, in->n_shape, &t->rank, err);
    if (st != STATUS_OK)
        return st;
    /* A scalar's shape unpacks as NULL, which memcpy must not get even for 0 bytes. */
    if (in->n_shape > 0)
        memcpy(t->dims, in->shape, in->n_shape * sizeof *in->shape);
    st = kserve_input_dims(tc->name, tc, cfg->max_batch_size, t, err);
    if (st != STATUS_OK)
        return st;
    st = kserve_input_elements(t, tc->name, max_elements, &numel, err);
    if (st != STATUS_OK)
        return st;
    if (shm->region) {
        if (has_contents(in->contents))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s' is in shared memory (parameters.%s) and also has "
                             "contents",
                             tc->name, KSERVE_SHM_PARAM_REGION);
        return kserve_shm_input_size(tc->name, t, numel, shm, err);
    }
    if (msg->n_raw_input_contents > 0) {
        if (has_contents(in->contents))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s' has both contents and raw_input_contents", tc->name);
        if (*raw_used == msg->n_raw_input_contents)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s' has no entry in raw_input_contents (%zu entries): it "
                             "needs one per input outside shared memory, in the order of inputs",
                             tc->name, msg->n_raw_input_contents);
        *raw_used += 1;
        return parse_raw(&msg->raw_input_contents[*raw_used - 1], *raw_used - 1, tc->name, t, numel,
                         err);
    }
    if (numel > 0 && !has_contents(in->contents))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s' has neither contents nor raw_input_contents", tc->name);
    return parse_contents(in->contents, tc->name, t, numel, &req->arena, err);
}

static status_t parse_inputs(Inference__ModelInferRequest *msg, const model_config_t *cfg,
                             int64_t max_elements, request_t *req, kserve_output_prefs_t *prefs,
                             error_t *err)
{
    bool seen[MODEL_CONFIG_MAX_IO] = {false};
    int first = -1; /* the first input parsed, whose batch dim the others must share */
    size_t raw_used = 0;
    status_t st;

    for (size_t i = 0; i < msg->n_inputs; i++) {
        int k;

        st = kserve_input_claim(cfg, msg->inputs[i]->name, seen, &k, err);
        if (st == STATUS_OK)
            st = parse_input(msg, i, k, cfg, max_elements, req, prefs, &raw_used, err);
        if (st == STATUS_OK)
            st = kserve_input_same_batch(cfg, req, k, first, err);
        if (st != STATUS_OK)
            return st;
        if (first < 0)
            first = k;
    }
    st = kserve_input_all_given(cfg, seen, err);
    if (st == STATUS_OK && raw_used != msg->n_raw_input_contents)
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "raw_input_contents has %zu entries for %zu inputs outside shared memory: "
                       "it needs one per such input, in the order of inputs",
                       msg->n_raw_input_contents, raw_used);
    if (st == STATUS_OK)
        req->n_inputs = cfg->n_inputs;
    return st;
}

/* An unsigned integer parameter, sent as int64_param or uint64_param. */
static status_t unsigned_param(const Inference__InferParameter *p, const char *key, int64_t *out,
                               error_t *err)
{
    switch (p->parameter_choice_case) {
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM:
        if (p->int64_param < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "parameters.%s must be an unsigned integer, got a negative one", key);
        *out = p->int64_param;
        return STATUS_OK;
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM:
        if (p->uint64_param > INT64_MAX)
            return error_set(err, STATUS_INVALID_ARGUMENT, "parameters.%s %" PRIu64 " is too large",
                             key, p->uint64_param);
        *out = (int64_t)p->uint64_param;
        return STATUS_OK;
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM:
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "parameters.%s must be an unsigned integer, got a bool", key);
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM:
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "parameters.%s must be an unsigned integer, got a string", key);
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_DOUBLE_PARAM:
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "parameters.%s must be an unsigned integer, got a double", key);
    default:
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "parameters.%s must be an unsigned integer, got no value", key);
    }
}

/* Whether a sequence parameter's value asks for no sequence: 0, "" or false. */
static bool neutral_value(const Inference__InferParameter *p)
{
    switch (p ? p->parameter_choice_case : INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE__NOT_SET) {
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM:
        return p->int64_param == 0;
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM:
        return p->uint64_param == 0;
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM:
        return p->string_param[0] == '\0';
    case INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM:
        return !p->bool_param;
    default:
        return false;
    }
}

/*
 * Request-level parameters: priority and timeout (microseconds); sequence
 * parameters only without a sequence; anything else is refused.
 */
static status_t parse_parameters(const Inference__ModelInferRequest *msg, const model_config_t *cfg,
                                 request_t *req, error_t *err)
{
    static const char *const served[] = {"priority", "timeout", NULL};

    for (size_t i = 0; i < msg->n_parameters; i++) {
        const Inference__ModelInferRequest__ParametersEntry *e = msg->parameters[i];
        int64_t v = 0;
        status_t st;

        if (strcmp(e->key, "priority") != 0 && strcmp(e->key, "timeout") != 0) {
            st = kserve_request_parameter(e->key, neutral_value(e->value), served, err);
            if (st != STATUS_OK)
                return st;
            continue;
        }
        if (!e->value)
            return error_set(err, STATUS_INVALID_ARGUMENT, "parameters.%s has no value", e->key);
        st = unsigned_param(e->value, e->key, &v, err);
        if (st == STATUS_OK && strcmp(e->key, "priority") == 0)
            st = kserve_request_priority(cfg, v, req, err);
        else if (st == STATUS_OK)
            req->timeout_us = v;
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

/* The classification parameter of output k, an int64_param or uint64_param class count. */
static status_t class_param(const Inference__InferParameter *p, const model_config_t *cfg, int k,
                            kserve_output_prefs_t *prefs, error_t *err)
{
    const char *name = cfg->outputs[k].name;

    if (p && p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM)
        return kserve_class_count(cfg, k, p->int64_param, prefs, err);
    if (p && p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM)
        return kserve_class_count(
            cfg, k, p->uint64_param > INT64_MAX ? INT64_MAX : (int64_t)p->uint64_param, prefs, err);
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "output '%s': parameters.classification must be an int64_param class count",
                     name);
}

/* An output's parameters: classification and shared memory; anything else is refused. */
static status_t output_parameters(const Inference__ModelInferRequest__InferRequestedOutputTensor *o,
                                  const model_config_t *cfg, int k, arena_t *arena,
                                  kserve_output_prefs_t *prefs, error_t *err)
{
    static const char *const served[] = {"classification", KSERVE_SHM_PARAM_REGION,
                                         KSERVE_SHM_PARAM_OFFSET, KSERVE_SHM_PARAM_BYTE_SIZE, NULL};
    const char *name = cfg->outputs[k].name;
    kserve_shm_params_t shm = {0};
    status_t st;

    for (size_t p = 0; p < o->n_parameters; p++) {
        const char *key = o->parameters[p]->key;
        st = kserve_tensor_parameter("output", name, key, served, err);
        if (st == STATUS_OK && strcmp(key, "classification") == 0)
            st = class_param(o->parameters[p]->value, cfg, k, prefs, err);
        else if (st == STATUS_OK)
            st = shm_parameter("output", name, key, o->parameters[p]->value, &shm, err);
        if (st != STATUS_OK)
            return st;
    }
    st = kserve_shm_ref("output", name, &shm, arena, &prefs->shm_outputs[k], err);
    if (st == STATUS_OK)
        st = kserve_shm_output_alone(cfg, k, prefs, false, err);
    return st;
}

/* "outputs": which outputs to send (all when there are none) and which classified. */
static status_t parse_outputs(const Inference__ModelInferRequest *msg, const model_config_t *cfg,
                              request_t *req, kserve_output_prefs_t *prefs, error_t *err)
{
    if (msg->n_outputs == 0) {
        req->output_mask = kserve_all_outputs_mask(cfg->n_outputs);
        return STATUS_OK;
    }
    req->output_mask = 0;
    for (size_t i = 0; i < msg->n_outputs; i++) {
        const char *name = msg->outputs[i]->name;
        int k = kserve_find_tensor(cfg->outputs, cfg->n_outputs, name);
        status_t st;

        if (k < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unknown output '%s': model '%s' has no such output", name, cfg->name);
        if (req->output_mask & (UINT64_C(1) << k))
            return error_set(err, STATUS_INVALID_ARGUMENT, "output '%s' is requested twice", name);
        st = output_parameters(msg->outputs[i], cfg, k, &req->arena, prefs, err);
        if (st != STATUS_OK)
            return st;
        req->output_mask |= UINT64_C(1) << k;
    }
    return STATUS_OK;
}

status_t kserve_grpc_parse_infer_request(Inference__ModelInferRequest *msg,
                                         const model_config_t *cfg, int64_t max_tensor_elements,
                                         request_t *req, kserve_output_prefs_t *prefs, error_t *err)
{
    status_t st;

    memset(prefs, 0, sizeof *prefs);
    if (cfg->n_inputs > REQUEST_MAX_TENSORS || cfg->n_outputs > REQUEST_MAX_TENSORS)
        return error_set(err, STATUS_INTERNAL, "model '%s' has more than %d inputs or outputs",
                         cfg->name, REQUEST_MAX_TENSORS);
    if (msg->id[0])
        req->id = msg->id;
    st = parse_parameters(msg, cfg, req, err);
    if (st == STATUS_OK)
        st = parse_inputs(msg, cfg, kserve_element_limit(max_tensor_elements), req, prefs, err);
    if (st == STATUS_OK)
        st = parse_outputs(msg, cfg, req, prefs, err);
    return st;
}

/* One entry of an output's parameters map: key and value, or NULL when out of memory. */
static Inference__ModelInferResponse__InferOutputTensor__ParametersEntry *
parameter_entry(const char *key, arena_t *arena)
{
    Inference__ModelInferResponse__InferOutputTensor__ParametersEntry *e =
        arena_alloc(arena, sizeof *e);
    Inference__InferParameter *v = arena_alloc(arena, sizeof *v);

    if (!e || !v)
        return NULL;
    inference__model_infer_response__infer_output_tensor__parameters_entry__init(e);
    inference__infer_parameter__init(v);
    e->key = arena_strdup(arena, key);
    e->value = v;
    return e->key ? e : NULL;
}

/*
 * The parameters of an output written into shared memory: the region, the
 * offset and the bytes written, as the client named them.
 */
static bool shm_output_parameters(Inference__ModelInferResponse__InferOutputTensor *o,
                                  const kserve_shm_ref_t *shm, size_t bytes, arena_t *arena)
{
    o->parameters = arena_alloc(arena, 3 * sizeof *o->parameters);
    if (!o->parameters || !(o->parameters[0] = parameter_entry(KSERVE_SHM_PARAM_REGION, arena)) ||
        !(o->parameters[1] = parameter_entry(KSERVE_SHM_PARAM_OFFSET, arena)) ||
        !(o->parameters[2] = parameter_entry(KSERVE_SHM_PARAM_BYTE_SIZE, arena)))
        return false;
    o->parameters[0]->value->parameter_choice_case =
        INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM;
    o->parameters[0]->value->string_param = kserve_grpc_text(arena, shm->region);
    o->parameters[1]->value->parameter_choice_case =
        INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM;
    o->parameters[1]->value->int64_param = (int64_t)shm->offset;
    o->parameters[2]->value->parameter_choice_case =
        INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM;
    o->parameters[2]->value->int64_param = (int64_t)bytes;
    o->n_parameters = 3;
    return o->parameters[0]->value->string_param != NULL;
}

/* One output's metadata; its data goes in raw_output_contents, or went into shared memory. */
static Inference__ModelInferResponse__InferOutputTensor *
output_tensor(const kserve_wire_output_t *t, const char *name, const kserve_shm_ref_t *shm,
              arena_t *arena)
{
    Inference__ModelInferResponse__InferOutputTensor *o = arena_alloc(arena, sizeof *o);

    if (!o)
        return NULL;
    inference__model_infer_response__infer_output_tensor__init(o);
    o->name = kserve_grpc_text(arena, name);
    o->datatype = arena_strdup(arena, dtype_kserve_name(t->dtype));
    o->n_shape = (size_t)t->rank;
    o->shape = arena_memdup(arena, t->dims, sizeof t->dims);
    if (shm->region && !shm_output_parameters(o, shm, t->bytes, arena))
        return NULL;
    return o->name && o->datatype && o->shape ? o : NULL;
}

status_t kserve_grpc_infer_response(const request_t *req, const model_config_t *cfg,
                                    const kserve_output_prefs_t *prefs, const char *model_name,
                                    const char *model_version, arena_t *arena,
                                    Inference__ModelInferResponse **out, error_t *err)
{
    static const kserve_output_prefs_t no_prefs;
    Inference__ModelInferResponse *resp = arena_alloc(arena, sizeof *resp);
    uint64_t wanted;
    size_t n = 0;

    *out = NULL;
    if (!prefs)
        prefs = &no_prefs;
    if (!resp)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
    if (cfg->n_outputs > REQUEST_MAX_TENSORS)
        return error_set(err, STATUS_INTERNAL, "model '%s' has more than %d outputs", cfg->name,
                         REQUEST_MAX_TENSORS);
    /* Bits past the model's outputs name nothing. */
    wanted = req->output_mask & kserve_all_outputs_mask(cfg->n_outputs);
    inference__model_infer_response__init(resp);
    resp->model_name = kserve_grpc_text(arena, model_name);
    if (model_version)
        resp->model_version = kserve_grpc_text(arena, model_version);
    if (req->id)
        resp->id = kserve_grpc_text(arena, req->id);
    resp->outputs = arena_alloc(arena, REQUEST_MAX_TENSORS * sizeof *resp->outputs);
    resp->raw_output_contents =
        arena_alloc(arena, REQUEST_MAX_TENSORS * sizeof *resp->raw_output_contents);
    if (!resp->model_name || !resp->model_version || !resp->id || !resp->outputs ||
        !resp->raw_output_contents)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
    for (int k = 0; k < cfg->n_outputs; k++) {
        kserve_wire_output_t w;
        status_t st;

        if (!(wanted & (UINT64_C(1) << k)))
            continue;
        /* A classification is BYTES in raw contents too, as Triton sends it. */
        st = kserve_wire_output(req, cfg, prefs, k, arena, &w, err);
        if (st != STATUS_OK)
            return st;
        resp->outputs[n] = output_tensor(&w, cfg->outputs[k].name, &prefs->shm_outputs[k], arena);
        if (!resp->outputs[n])
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        /* An output in shared memory keeps its (empty) raw entry: entries follow outputs. */
        if (!prefs->shm_outputs[k].region) {
            resp->raw_output_contents[n].len = w.bytes;
            resp->raw_output_contents[n].data = (uint8_t *)w.data;
        }
        n++;
    }
    resp->n_outputs = n;
    resp->n_raw_output_contents = n;
    *out = resp;
    return STATUS_OK;
}
