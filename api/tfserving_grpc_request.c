/*
 * tfserving_grpc_request.c - reading TF Serving's gRPC requests: ModelSpec,
 * PredictRequest into a batch plan's single unit, and the checks of the
 * metadata and status requests (tfserving_grpc.h). The rules and messages
 * follow TF Serving's predict_util.cc and get_model_metadata_impl.cc and
 * TensorFlow's Tensor::FromProto.
 */
#include "tfserving_grpc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kserve_grpc.h"
#include "kserve_input.h"

/* Room for "input 'name'" in messages. */
#define WHAT_MAX (MODEL_NAME_MAX + 16)
/* Room for a list of the model's tensor names in messages. */
#define NAMES_MAX 384
/* The only metadata field TF Serving serves. */
#define METADATA_SIGNATURE_DEF "signature_def"

/* TensorProto's typed value fields. */
typedef enum tf_field {
    TF_HALF = 0,
    TF_FLOAT,
    TF_DOUBLE,
    TF_INT,
    TF_STRING,
    TF_SCOMPLEX,
    TF_INT64,
    TF_BOOL,
    TF_DCOMPLEX,
    TF_UINT32,
    TF_UINT64,
    TF_FIELD_COUNT,
} tf_field_t;

static const char *const tf_field_names[TF_FIELD_COUNT] = {
    "half_val",  "float_val", "double_val",   "int_val",    "string_val", "scomplex_val",
    "int64_val", "bool_val",  "dcomplex_val", "uint32_val", "uint64_val",
};

/* Refuses fields of m that inferd does not declare (they arrive as unknown fields). */
static status_t refuse_unknown(const ProtobufCMessage *m, const char *where, error_t *err)
{
    if (!m || m->n_unknown_fields == 0)
        return STATUS_OK;
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "%s%sfield %" PRIu32 " of %s is not supported by inferd", where,
                     where[0] ? ": " : "", m->unknown_fields[0].tag, m->descriptor->name);
}

/* The names of n tensors, comma-separated, into buf. */
static const char *names_of(const model_tensor_config_t *tensors, int n, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int k = 0; k < n && used < size; k++) {
        int w = snprintf(buf + used, size - used, "%s%s", k ? "," : "", tensors[k].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

status_t tfserving_grpc_model_spec(const Tensorflow__Serving__ModelSpec *spec, const char **name,
                                   int64_t *version, error_t *err)
{
    status_t st;

    *name = NULL;
    *version = -1;
    if (!spec)
        return error_set(err, STATUS_INVALID_ARGUMENT, "Missing ModelSpec");
    st = refuse_unknown(&spec->base, "model_spec", err);
    if (st != STATUS_OK)
        return st;
    if (spec->version_choice_case == TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION_LABEL)
        return tfserving_refuse_label(spec->name, spec->version_label, err);
    if (spec->version_choice_case == TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION) {
        st = refuse_unknown(&spec->version->base, "model_spec.version", err);
        if (st != STATUS_OK)
            return st;
        if (spec->version->value < 0)
            return error_set(err, STATUS_NOT_FOUND,
                             "Could not find version %" PRId64 " of model %s", spec->version->value,
                             spec->name);
        *version = spec->version->value;
    }
    if (spec->signature_name[0] && strcmp(spec->signature_name, TFSERVING_SIGNATURE) != 0)
        return error_set(err, STATUS_FAILED_PRECONDITION,
                         "Serving signature key \"%.128s\" not found. (inferd serves each model "
                         "as the one signature \"" TFSERVING_SIGNATURE "\")",
                         spec->signature_name);
    *name = spec->name;
    return STATUS_OK;
}

static size_t field_count(const Tensorflow__TensorProto *p, tf_field_t f)
{
    switch (f) {
    case TF_HALF:
        return p->n_half_val;
    case TF_FLOAT:
        return p->n_float_val;
    case TF_DOUBLE:
        return p->n_double_val;
    case TF_INT:
        return p->n_int_val;
    case TF_STRING:
        return p->n_string_val;
    case TF_SCOMPLEX:
        return p->n_scomplex_val;
    case TF_INT64:
        return p->n_int64_val;
    case TF_BOOL:
        return p->n_bool_val;
    case TF_DCOMPLEX:
        return p->n_dcomplex_val;
    case TF_UINT32:
        return p->n_uint32_val;
    default:
        return p->n_uint64_val;
    }
}

/* The typed field TensorFlow keeps values of dtype t in (tensor.proto). */
static tf_field_t field_of(dtype_t t)
{
    switch (t) {
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
        return TF_HALF;
    case DTYPE_FLOAT:
        return TF_FLOAT;
    case DTYPE_DOUBLE:
        return TF_DOUBLE;
    case DTYPE_INT64:
        return TF_INT64;
    case DTYPE_BOOL:
        return TF_BOOL;
    case DTYPE_UINT32:
        return TF_UINT32;
    case DTYPE_UINT64:
        return TF_UINT64;
    default:
        return TF_INT; /* int32, int16, uint16, int8, uint8 */
    }
}

/* The name of TensorFlow DataType number n, or its number when it has none here. */
static const char *tf_dtype_text(int n, char *buf, size_t size)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&tensorflow__data_type__descriptor, n);

    if (v)
        return v->name;
    snprintf(buf, size, "DataType %d", n);
    return buf;
}

/* Input k's dtype and shape from p into t, checked against the model. */
static status_t proto_shape(const Tensorflow__TensorProto *p, const model_config_t *cfg, int k,
                            const char *what, tensor_t *t, error_t *err)
{
    const model_tensor_config_t *tc = &cfg->inputs[k];
    const Tensorflow__TensorShapeProto *shape = p->tensor_shape;
    char text[32];
    status_t st;

    t->dtype = tfserving_dtype_of_number(p->dtype);
    if (t->dtype == DTYPE_UNDEFINED)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: dtype %s is not supported by inferd (it holds no string, complex, "
                         "quantized, resource or variant tensors); the model expects %s",
                         what, tf_dtype_text(p->dtype, text, sizeof text),
                         tfserving_dtype_name(tc->dtype));
    if (t->dtype != tc->dtype)
        return error_set(err, STATUS_INVALID_ARGUMENT, "Expected input %s to be %s but get %s.",
                         tc->name, tfserving_dtype_name(tc->dtype), tfserving_dtype_name(t->dtype));
    /* No tensor_shape is a scalar, as in TensorFlow. */
    t->rank = 0;
    if (!shape)
        return batch_plan_check_shape(cfg, k, t, what, err);
    st = refuse_unknown(&shape->base, what, err);
    if (st != STATUS_OK)
        return st;
    if (shape->unknown_rank)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: tensor_shape.unknown_rank is set: a tensor's shape must be known",
                         what);
    if (shape->n_dim > TENSOR_MAX_RANK)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: %zu dims, more than inferd's %d", what,
                         shape->n_dim, TENSOR_MAX_RANK);
    for (size_t d = 0; d < shape->n_dim; d++) {
        st = refuse_unknown(&shape->dim[d]->base, what, err);
        if (st != STATUS_OK)
            return st;
        if (shape->dim[d]->size < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s: dim %zu is %" PRId64 ": a tensor's dims must be known (>= 0)",
                             what, d, shape->dim[d]->size);
        t->dims[d] = shape->dim[d]->size;
    }
    t->rank = (int)shape->n_dim;
    return batch_plan_check_shape(cfg, k, t, what, err);
}

/* The raw bytes of tensor_content, exactly the shape's. */
static status_t raw_values(const Tensorflow__TensorProto *p, const char *what, tensor_t *t,
                           int64_t numel, error_t *err)
{
    size_t need = (size_t)numel * dtype_size(t->dtype);
    char shape[SHAPE_TEXT_MAX];

    for (int f = 0; f < TF_FIELD_COUNT; f++)
        if (field_count(p, (tf_field_t)f) > 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s has both tensor_content and %s: send one of them", what,
                             tf_field_names[f]);
    if (p->tensor_content.len != need)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: tensor_content has %zu bytes, shape %s of %s needs %zu", what,
                         p->tensor_content.len, shape_format(t->rank, t->dims, shape, sizeof shape),
                         tfserving_dtype_name(t->dtype), need);
    t->data = p->tensor_content.data;
    if (t->dtype == DTYPE_BOOL)
        kserve_input_bool_bytes(t->data, need);
    return STATUS_OK;
}

/*
 * Element i of a tensor filled from n typed values: value i, the last one
 * past them (TensorFlow repeats it), and none (-1: a zero) when n is 0.
 */
static inline int64_t source(int64_t i, size_t n)
{
    if (n == 0)
        return -1;
    return (size_t)i < n ? i : (int64_t)n - 1;
}

/* Writes numel elements of t->dtype at out from p's typed field f with n values. */
static void fill_values(const Tensorflow__TensorProto *p, dtype_t dtype, size_t n, int64_t numel,
                        void *out)
{
    for (int64_t i = 0; i < numel; i++) {
        int64_t j = source(i, n);
        /* int_val and half_val hold wider numbers than their dtype: the low bits are kept. */
        switch (dtype) {
        case DTYPE_FLOAT:
            ((float *)out)[i] = j < 0 ? 0.0f : p->float_val[j];
            break;
        case DTYPE_DOUBLE:
            ((double *)out)[i] = j < 0 ? 0.0 : p->double_val[j];
            break;
        case DTYPE_INT64:
            ((int64_t *)out)[i] = j < 0 ? 0 : p->int64_val[j];
            break;
        case DTYPE_UINT64:
            ((uint64_t *)out)[i] = j < 0 ? 0 : p->uint64_val[j];
            break;
        case DTYPE_UINT32:
            ((uint32_t *)out)[i] = j < 0 ? 0 : p->uint32_val[j];
            break;
        case DTYPE_BOOL:
            ((uint8_t *)out)[i] = j >= 0 && p->bool_val[j] != 0;
            break;
        case DTYPE_FLOAT16:
        case DTYPE_BFLOAT16:
            ((uint16_t *)out)[i] = j < 0 ? 0 : (uint16_t)p->half_val[j];
            break;
        case DTYPE_INT32:
            ((int32_t *)out)[i] = j < 0 ? 0 : p->int_val[j];
            break;
        case DTYPE_INT16:
        case DTYPE_UINT16:
            ((uint16_t *)out)[i] = j < 0 ? 0 : (uint16_t)p->int_val[j];
            break;
        default: /* int8, uint8 */
            ((uint8_t *)out)[i] = j < 0 ? 0 : (uint8_t)p->int_val[j];
            break;
        }
    }
}

/*
 * The typed field of the tensor's dtype, every other one empty. Filling a
 * tensor from fewer values takes memory the message did not carry: those
 * tensors together may take at most *fill_left bytes, which they use up.
 */
static status_t typed_values(const Tensorflow__TensorProto *p, const char *what, tensor_t *t,
                             int64_t numel, size_t *fill_left, arena_t *arena, error_t *err)
{
    size_t bytes = (size_t)numel * dtype_size(t->dtype);
    tf_field_t want = field_of(t->dtype);
    char shape[SHAPE_TEXT_MAX];
    size_t n = field_count(p, want);

    for (int f = 0; f < TF_FIELD_COUNT; f++)
        if ((tf_field_t)f != want && field_count(p, (tf_field_t)f) > 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s is %s: its values go in %s (or tensor_content), got %s", what,
                             tfserving_dtype_name(t->dtype), tf_field_names[want],
                             tf_field_names[f]);
    if (n > (uint64_t)numel)
        return error_set(
            err, STATUS_INVALID_ARGUMENT, "%s: %s has %zu values, shape %s holds %" PRId64, what,
            tf_field_names[want], n, shape_format(t->rank, t->dims, shape, sizeof shape), numel);
    if (numel == 0) {
        t->data = NULL;
        return STATUS_OK;
    }
    /* Values whose C type is the element type are used in place. */
    if (n == (uint64_t)numel) {
        switch (t->dtype) {
        case DTYPE_FLOAT:
            t->data = p->float_val;
            return STATUS_OK;
        case DTYPE_DOUBLE:
            t->data = p->double_val;
            return STATUS_OK;
        case DTYPE_INT32:
            t->data = p->int_val;
            return STATUS_OK;
        case DTYPE_INT64:
            t->data = p->int64_val;
            return STATUS_OK;
        case DTYPE_UINT32:
            t->data = p->uint32_val;
            return STATUS_OK;
        case DTYPE_UINT64:
            t->data = p->uint64_val;
            return STATUS_OK;
        default:
            break;
        }
    }
    if (n < (uint64_t)numel) {
        if (bytes > *fill_left)
            return error_set(err, STATUS_LIMIT_EXCEEDED,
                             "%s: %zu values of %s fill shape %s, %zu bytes: past the %zu bytes "
                             "left of what a request may fill from fewer values than its shape "
                             "holds (the message size limit); send every value",
                             what, n, tf_field_names[want],
                             shape_format(t->rank, t->dims, shape, sizeof shape), bytes,
                             *fill_left);
        *fill_left -= bytes;
    }
    t->data = arena_alloc(arena, bytes);
    if (!t->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory for its data", what);
    fill_values(p, t->dtype, n, numel, t->data);
    return STATUS_OK;
}

/* Input k from the TensorProto p (typed_values has fill_left). */
static status_t parse_input(const Tensorflow__TensorProto *p, const model_config_t *cfg, int k,
                            int64_t max_elements, size_t *fill_left, batch_plan_t *plan,
                            tensor_t *t, error_t *err)
{
    char what[WHAT_MAX];
    int64_t numel;
    status_t st;

    snprintf(what, sizeof what, "input '%s'", cfg->inputs[k].name);
    if (!p)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s has no TensorProto", what);
    st = refuse_unknown(&p->base, what, err);
    if (st != STATUS_OK)
        return st;
    if (p->version_number != 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: version_number %" PRId32 " is not supported by inferd", what,
                         p->version_number);
    st = proto_shape(p, cfg, k, what, t, err);
    if (st == STATUS_OK)
        st = kserve_input_elements(t, cfg->inputs[k].name, max_elements, &numel, err);
    if (st != STATUS_OK)
        return st;
    if (p->tensor_content.len > 0)
        return raw_values(p, what, t, numel, err);
    return typed_values(p, what, t, numel, fill_left, &plan->arena, err);
}

/* Every model input, once: TF Serving's message when they differ. */
static status_t check_input_names(const Tensorflow__Serving__PredictRequest *q,
                                  const model_config_t *cfg, int *index, error_t *err)
{
    bool seen[MODEL_CONFIG_MAX_IO] = {false};
    char names[NAMES_MAX];

    for (size_t i = 0; i < q->n_inputs; i++) {
        const char *key = q->inputs[i]->key;
        int k = kserve_find_tensor(cfg->inputs, cfg->n_inputs, key);
        status_t st = refuse_unknown(&q->inputs[i]->base, "inputs", err);

        if (st != STATUS_OK)
            return st;
        if (k < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input tensor alias not found in signature: %s. Inputs expected to "
                             "be in the set {%s}.",
                             key, names_of(cfg->inputs, cfg->n_inputs, names, sizeof names));
        if (seen[k])
            return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s' is given twice", key);
        seen[k] = true;
        index[k] = (int)i;
    }
    for (int k = 0; k < cfg->n_inputs; k++)
        if (!seen[k])
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input size does not match signature: %zu!=%d. Missing but required: "
                             "{%s}; the signature's inputs are {%s}",
                             q->n_inputs, cfg->n_inputs, cfg->inputs[k].name,
                             names_of(cfg->inputs, cfg->n_inputs, names, sizeof names));
    return STATUS_OK;
}

/* output_filter: the outputs to answer with, each once; all of them when it is empty. */
static status_t parse_filter(const Tensorflow__Serving__PredictRequest *q,
                             const model_config_t *cfg, uint64_t *mask, error_t *err)
{
    char names[NAMES_MAX];

    *mask = q->n_output_filter ? 0 : kserve_all_outputs_mask(cfg->n_outputs);
    for (size_t i = 0; i < q->n_output_filter; i++) {
        const char *alias = q->output_filter[i];
        int k = kserve_find_tensor(cfg->outputs, cfg->n_outputs, alias);

        if (k < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "output tensor alias not found in signature: %s Outputs expected to "
                             "be in the set {%s}.",
                             alias, names_of(cfg->outputs, cfg->n_outputs, names, sizeof names));
        if (*mask & (UINT64_C(1) << k))
            return error_set(err, STATUS_INVALID_ARGUMENT, "duplicate output tensor alias: %s",
                             alias);
        *mask |= UINT64_C(1) << k;
    }
    return STATUS_OK;
}

status_t tfserving_grpc_parse_predict(const Tensorflow__Serving__PredictRequest *q,
                                      const model_config_t *cfg, int64_t max_tensor_elements,
                                      size_t max_fill_bytes, batch_plan_t *plan, uint64_t *outputs,
                                      error_t *err)
{
    int64_t limit = kserve_element_limit(max_tensor_elements);
    size_t fill_left = max_fill_bytes;
    int index[MODEL_CONFIG_MAX_IO];
    tensor_t *inputs;
    status_t st;

    *outputs = 0;
    if (cfg->n_inputs > REQUEST_MAX_TENSORS || cfg->n_outputs > REQUEST_MAX_TENSORS)
        return error_set(err, STATUS_INTERNAL, "model '%s' has more than %d inputs or outputs",
                         cfg->name, REQUEST_MAX_TENSORS);
    if (cfg->n_inputs < 1)
        return error_set(err, STATUS_UNSUPPORTED, "model '%s' has no inputs to predict from",
                         cfg->name);
    st = refuse_unknown(&q->base, "", err);
    if (st == STATUS_OK)
        st = check_input_names(q, cfg, index, err);
    if (st == STATUS_OK)
        st = parse_filter(q, cfg, outputs, err);
    if (st == STATUS_OK)
        st = batch_plan_units(plan, 1, err);
    if (st != STATUS_OK)
        return st;
    inputs = arena_alloc(&plan->arena, (size_t)cfg->n_inputs * sizeof *inputs);
    if (!inputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for the inputs");
    for (int k = 0; k < cfg->n_inputs; k++) {
        st = parse_input(q->inputs[index[k]]->value, cfg, k, limit, &fill_left, plan, &inputs[k],
                         err);
        if (st == STATUS_OK)
            st = batch_plan_same_rows(cfg, inputs, k, err);
        if (st != STATUS_OK)
            return st;
    }
    plan->units[0].inputs = inputs;
    plan->units[0].rows = cfg->max_batch_size > 0 ? inputs[0].dims[0] : 1;
    return STATUS_OK;
}

status_t tfserving_grpc_metadata_request(const Tensorflow__Serving__GetModelMetadataRequest *q,
                                         const char **name, int64_t *version, error_t *err)
{
    status_t st = tfserving_grpc_model_spec(q->model_spec, name, version, err);

    if (st == STATUS_OK)
        st = refuse_unknown(&q->base, "", err);
    if (st != STATUS_OK)
        return st;
    if (q->n_metadata_field == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "GetModelMetadataRequest must specify at least one metadata_field");
    for (size_t i = 0; i < q->n_metadata_field; i++)
        if (strcmp(q->metadata_field[i], METADATA_SIGNATURE_DEF) != 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "Metadata field %.128s is not supported (inferd serves "
                             "\"" METADATA_SIGNATURE_DEF "\")",
                             q->metadata_field[i]);
    return STATUS_OK;
}

status_t tfserving_grpc_status_request(const Tensorflow__Serving__GetModelStatusRequest *q,
                                       const char **name, int64_t *version, error_t *err)
{
    status_t st = tfserving_grpc_model_spec(q->model_spec, name, version, err);

    return st == STATUS_OK ? refuse_unknown(&q->base, "", err) : st;
}
