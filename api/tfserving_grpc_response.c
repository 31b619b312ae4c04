/*
 * tfserving_grpc_response.c - TF Serving's gRPC answers: PredictResponse,
 * GetModelMetadataResponse (a SignatureDefMap in an Any) and
 * GetModelStatusResponse (tfserving_grpc.h).
 */
#include "tfserving_grpc.h"

#include <stdio.h>
#include <string.h>

#include "kserve_grpc.h"

/* The method_name of a prediction signature (TF Serving's kPredictMethodName). */
#define PREDICT_METHOD_NAME "tensorflow/serving/predict"
/* The prefix of an Any's type_url. */
#define TYPE_URL_PREFIX "type.googleapis.com/"
/* The key of the signatures in GetModelMetadataResponse.metadata. */
#define METADATA_SIGNATURE_DEF "signature_def"

/* A ModelSpec naming version `version` of model `name` (and signature when not NULL). */
static Tensorflow__Serving__ModelSpec *model_spec(const char *name, int64_t version,
                                                  const char *signature, arena_t *arena)
{
    Tensorflow__Serving__ModelSpec *spec;
    Google__Protobuf__Int64Value *v;

    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__ModelSpec,
                            tensorflow__serving__model_spec__init, spec);
    KSERVE_GRPC_NEW_MESSAGE(arena, Google__Protobuf__Int64Value,
                            google__protobuf__int64_value__init, v);
    v->value = version;
    spec->version_choice_case = TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION;
    spec->version = v;
    spec->name = kserve_grpc_text(arena, name);
    if (signature)
        spec->signature_name = arena_strdup(arena, signature);
    return spec->name && spec->signature_name ? spec : NULL;
}

/* A TensorShapeProto of rank dims. */
static Tensorflow__TensorShapeProto *tensor_shape(int rank, const int64_t *dims, arena_t *arena)
{
    Tensorflow__TensorShapeProto *shape;

    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__TensorShapeProto,
                            tensorflow__tensor_shape_proto__init, shape);
    shape->dim = KSERVE_GRPC_ARRAY(arena, rank + 1, Tensorflow__TensorShapeProto__Dim *);
    if (!shape->dim)
        return NULL;
    for (int d = 0; d < rank; d++) {
        Tensorflow__TensorShapeProto__Dim *dim;
        KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__TensorShapeProto__Dim,
                                tensorflow__tensor_shape_proto__dim__init, dim);
        dim->size = dims[d];
        shape->dim[d] = dim;
    }
    shape->n_dim = (size_t)rank;
    return shape;
}

/*
 * t's values in the typed field TensorFlow's Tensor::AsProtoField fills,
 * into p: in place where the field's element type is the tensor's, widened
 * into arena otherwise. False when out of memory.
 */
static bool typed_field(const tensor_t *t, int64_t numel, Tensorflow__TensorProto *p,
                        arena_t *arena)
{
    size_t n = (size_t)numel;
    int32_t *wide = NULL;

    switch (t->dtype) {
    case DTYPE_FLOAT:
        p->n_float_val = n;
        p->float_val = t->data;
        return true;
    case DTYPE_DOUBLE:
        p->n_double_val = n;
        p->double_val = t->data;
        return true;
    case DTYPE_INT32:
        p->n_int_val = n;
        p->int_val = t->data;
        return true;
    case DTYPE_INT64:
        p->n_int64_val = n;
        p->int64_val = t->data;
        return true;
    case DTYPE_UINT32:
        p->n_uint32_val = n;
        p->uint32_val = t->data;
        return true;
    case DTYPE_UINT64:
        p->n_uint64_val = n;
        p->uint64_val = t->data;
        return true;
    case DTYPE_BOOL:
        p->bool_val = KSERVE_GRPC_ARRAY(arena, n + 1, protobuf_c_boolean);
        if (!p->bool_val)
            return false;
        for (size_t i = 0; i < n; i++)
            p->bool_val[i] = ((const uint8_t *)t->data)[i] != 0;
        p->n_bool_val = n;
        return true;
    default:
        break;
    }
    /* The 8- and 16-bit types go in an int32 field: int_val, or half_val for the halves. */
    wide = KSERVE_GRPC_ARRAY(arena, n + 1, int32_t);
    if (!wide)
        return false;
    for (size_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case DTYPE_INT8:
            wide[i] = ((const int8_t *)t->data)[i];
            break;
        case DTYPE_UINT8:
            wide[i] = ((const uint8_t *)t->data)[i];
            break;
        case DTYPE_INT16:
            wide[i] = ((const int16_t *)t->data)[i];
            break;
        default: /* uint16 and the halves' bits */
            wide[i] = ((const uint16_t *)t->data)[i];
            break;
        }
    }
    if (t->dtype == DTYPE_FLOAT16 || t->dtype == DTYPE_BFLOAT16) {
        p->n_half_val = n;
        p->half_val = wide;
    } else {
        p->n_int_val = n;
        p->int_val = wide;
    }
    return true;
}

/* Output k of the model as a TensorProto; out of memory and dtypes TensorFlow lacks fail. */
static status_t output_proto(const model_config_t *cfg, int k, const tensor_t *t, arena_t *arena,
                             Tensorflow__TensorProto **out, error_t *err)
{
    Tensorflow__TensorProto *p = arena_alloc(arena, sizeof *p);
    int64_t numel = tensor_numel(t);

    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
    tensorflow__tensor_proto__init(p);
    p->dtype = (Tensorflow__DataType)tfserving_dtype_number(t->dtype);
    if (p->dtype == TENSORFLOW__DATA_TYPE__DT_INVALID || dtype_size(t->dtype) == 0)
        return error_set(err, STATUS_INTERNAL,
                         "output '%s' is %s, which TF Serving's API cannot carry",
                         cfg->outputs[k].name, dtype_name(t->dtype));
    p->tensor_shape = tensor_shape(t->rank, t->dims, arena);
    if (!p->tensor_shape || (numel > 0 && !typed_field(t, numel, p, arena)))
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
    *out = p;
    return STATUS_OK;
}

status_t tfserving_grpc_predict_response(const model_config_t *cfg, int64_t version,
                                         const tensor_t *outputs, uint64_t mask, arena_t *arena,
                                         Tensorflow__Serving__PredictResponse **out, error_t *err)
{
    Tensorflow__Serving__PredictResponse *r = arena_alloc(arena, sizeof *r);
    size_t n = 0;

    *out = NULL;
    if (!r)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
    tensorflow__serving__predict_response__init(r);
    r->model_spec = model_spec(cfg->name, version, TFSERVING_SIGNATURE, arena);
    r->outputs = KSERVE_GRPC_ARRAY(arena, cfg->n_outputs + 1,
                                   Tensorflow__Serving__PredictResponse__OutputsEntry *);
    if (!r->model_spec || !r->outputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
    for (int k = 0; k < cfg->n_outputs; k++) {
        Tensorflow__Serving__PredictResponse__OutputsEntry *e;
        status_t st;

        if (!(mask & (UINT64_C(1) << k)))
            continue;
        e = arena_alloc(arena, sizeof *e);
        if (!e)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        tensorflow__serving__predict_response__outputs_entry__init(e);
        e->key = kserve_grpc_text(arena, cfg->outputs[k].name);
        st = output_proto(cfg, k, &outputs[k], arena, &e->value, err);
        if (st != STATUS_OK)
            return st;
        if (!e->key)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        r->outputs[n++] = e;
    }
    r->n_outputs = n;
    *out = r;
    return STATUS_OK;
}

/* A signature's TensorInfo of tensor tc. */
static Tensorflow__TensorInfo *tensor_info(const model_tensor_config_t *tc, int max_batch_size,
                                           arena_t *arena)
{
    Tensorflow__TensorInfo *info;
    int64_t dims[TENSOR_MAX_RANK + 1];
    int rank = tfserving_signature_dims(tc, max_batch_size, dims);

    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__TensorInfo, tensorflow__tensor_info__init, info);
    info->name = kserve_grpc_text(arena, tc->name);
    info->dtype = (Tensorflow__DataType)tfserving_dtype_number(tc->dtype);
    info->tensor_shape = tensor_shape(rank, dims, arena);
    return info->name && info->tensor_shape ? info : NULL;
}

/* The model's one signature, TFSERVING_SIGNATURE. */
static Tensorflow__SignatureDef *signature_def(const model_config_t *cfg, arena_t *arena)
{
    Tensorflow__SignatureDef *sig;

    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__SignatureDef, tensorflow__signature_def__init, sig);
    sig->inputs = KSERVE_GRPC_ARRAY(arena, cfg->n_inputs + 1, void *);
    sig->outputs = KSERVE_GRPC_ARRAY(arena, cfg->n_outputs + 1, void *);
    sig->method_name = arena_strdup(arena, PREDICT_METHOD_NAME);
    if (!sig->inputs || !sig->outputs || !sig->method_name)
        return NULL;
    for (int k = 0; k < cfg->n_inputs; k++) {
        Tensorflow__SignatureDef__InputsEntry *e;
        KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__SignatureDef__InputsEntry,
                                tensorflow__signature_def__inputs_entry__init, e);
        e->key = kserve_grpc_text(arena, cfg->inputs[k].name);
        e->value = tensor_info(&cfg->inputs[k], cfg->max_batch_size, arena);
        if (!e->key || !e->value)
            return NULL;
        sig->inputs[sig->n_inputs++] = e;
    }
    for (int k = 0; k < cfg->n_outputs; k++) {
        Tensorflow__SignatureDef__OutputsEntry *e;
        KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__SignatureDef__OutputsEntry,
                                tensorflow__signature_def__outputs_entry__init, e);
        e->key = kserve_grpc_text(arena, cfg->outputs[k].name);
        e->value = tensor_info(&cfg->outputs[k], cfg->max_batch_size, arena);
        if (!e->key || !e->value)
            return NULL;
        sig->outputs[sig->n_outputs++] = e;
    }
    return sig;
}

/* msg packed into an Any in arena. */
static Google__Protobuf__Any *pack_any(const ProtobufCMessage *msg, arena_t *arena)
{
    Google__Protobuf__Any *any;
    size_t size = protobuf_c_message_get_packed_size(msg);
    size_t url = strlen(TYPE_URL_PREFIX) + strlen(msg->descriptor->name) + 1;

    KSERVE_GRPC_NEW_MESSAGE(arena, Google__Protobuf__Any, google__protobuf__any__init, any);
    any->type_url = arena_alloc(arena, url);
    any->value.data = arena_alloc(arena, size + 1);
    if (!any->type_url || !any->value.data)
        return NULL;
    snprintf(any->type_url, url, TYPE_URL_PREFIX "%s", msg->descriptor->name);
    any->value.len = protobuf_c_message_pack(msg, any->value.data);
    return any;
}

Tensorflow__Serving__GetModelMetadataResponse *
tfserving_grpc_metadata_response(const model_config_t *cfg, int64_t version, arena_t *arena)
{
    Tensorflow__Serving__GetModelMetadataResponse *r;
    Tensorflow__Serving__GetModelMetadataResponse__MetadataEntry *e;
    Tensorflow__Serving__SignatureDefMap *map;
    Tensorflow__Serving__SignatureDefMap__SignatureDefEntry *sig;

    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__SignatureDefMap,
                            tensorflow__serving__signature_def_map__init, map);
    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__SignatureDefMap__SignatureDefEntry,
                            tensorflow__serving__signature_def_map__signature_def_entry__init, sig);
    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__GetModelMetadataResponse__MetadataEntry,
                            tensorflow__serving__get_model_metadata_response__metadata_entry__init,
                            e);
    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__GetModelMetadataResponse,
                            tensorflow__serving__get_model_metadata_response__init, r);
    sig->key = arena_strdup(arena, TFSERVING_SIGNATURE);
    sig->value = signature_def(cfg, arena);
    map->signature_def = KSERVE_GRPC_ARRAY(arena, 1, void *);
    if (!sig->key || !sig->value || !map->signature_def)
        return NULL;
    map->signature_def[0] = sig;
    map->n_signature_def = 1;
    e->key = arena_strdup(arena, METADATA_SIGNATURE_DEF);
    e->value = pack_any(&map->base, arena);
    r->metadata = KSERVE_GRPC_ARRAY(arena, 1, void *);
    r->model_spec = model_spec(cfg->name, version, NULL, arena);
    if (!e->key || !e->value || !r->metadata || !r->model_spec)
        return NULL;
    r->metadata[0] = e;
    r->n_metadata = 1;
    return r;
}

Tensorflow__Serving__GetModelStatusResponse *
tfserving_grpc_status_response(const tfserving_version_status_t *statuses, int n, arena_t *arena)
{
    Tensorflow__Serving__GetModelStatusResponse *r;

    KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__GetModelStatusResponse,
                            tensorflow__serving__get_model_status_response__init, r);
    r->model_version_status =
        KSERVE_GRPC_ARRAY(arena, n + 1, Tensorflow__Serving__ModelVersionStatus *);
    if (!r->model_version_status)
        return NULL;
    for (int i = 0; i < n; i++) {
        Tensorflow__Serving__ModelVersionStatus *v;
        Tensorflow__Serving__StatusProto *s;

        KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__ModelVersionStatus,
                                tensorflow__serving__model_version_status__init, v);
        KSERVE_GRPC_NEW_MESSAGE(arena, Tensorflow__Serving__StatusProto,
                                tensorflow__serving__status_proto__init, s);
        v->version = statuses[i].version;
        v->state = (Tensorflow__Serving__ModelVersionStatus__State)statuses[i].state;
        s->error_code = (int32_t)statuses[i].error_code;
        s->error_message = kserve_grpc_text(arena, statuses[i].error_message);
        if (!s->error_message)
            return NULL;
        v->status = s;
        r->model_version_status[i] = v;
    }
    r->n_model_version_status = (size_t)n;
    return r;
}
