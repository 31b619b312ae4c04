/*
 * tfserving_response.c - the TF Serving REST answers: predictions and
 * outputs of :predict, model status and model metadata (tfserving.h).
 */
#include "tfserving.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "json_text.h"
#include "kserve_internal.h"

/* Bytes guessed per JSON element when sizing the answer up front. */
#define JSON_BYTES_PER_ELEMENT 12

/* Bytes of one row (everything after dim 0) of t. */
static size_t row_bytes(const tensor_t *t)
{
    size_t n = dtype_size(t->dtype);
    for (int d = 1; d < t->rank; d++)
        n *= (size_t)t->dims[d];
    return n;
}

/* Row r of t: the tensor of its dims after the first. */
static void put_row(json_text_t *b, const tensor_t *t, int64_t r)
{
    json_text_tensor(b, t->dtype, (const char *)t->data + (size_t)r * row_bytes(t), t->rank - 1,
                     t->dims + 1);
}

/* The row form needs a first dim every output shares; TF Serving's messages. */
static status_t check_rows(const model_config_t *cfg, const tensor_t *outputs, error_t *err)
{
    for (int k = 0; k < cfg->n_outputs; k++) {
        if (outputs[k].rank < 1)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "Tensor name: %s has no shape information (a scalar cannot be "
                             "answered in the row format: send 'inputs' instead of 'instances')",
                             cfg->outputs[k].name);
        if (outputs[k].dims[0] != outputs[0].dims[0])
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "Tensor name: %s has inconsistent batch size: %" PRId64
                             " expecting: %" PRId64 " (send 'inputs' instead of 'instances')",
                             cfg->outputs[k].name, outputs[k].dims[0], outputs[0].dims[0]);
    }
    return STATUS_OK;
}

static void put_predictions(json_text_t *b, const model_config_t *cfg, const tensor_t *outputs)
{
    json_text_puts(b, "{\"predictions\":[");
    for (int64_t r = 0; r < outputs[0].dims[0]; r++) {
        if (r)
            json_text_puts(b, ",");
        if (cfg->n_outputs == 1) {
            put_row(b, &outputs[0], r);
            continue;
        }
        json_text_puts(b, "{");
        for (int k = 0; k < cfg->n_outputs; k++) {
            if (k)
                json_text_puts(b, ",");
            json_text_string(b, cfg->outputs[k].name);
            json_text_puts(b, ":");
            put_row(b, &outputs[k], r);
        }
        json_text_puts(b, "}");
    }
    json_text_puts(b, "]}");
}

static void put_outputs(json_text_t *b, const model_config_t *cfg, const tensor_t *outputs)
{
    json_text_puts(b, "{\"outputs\":");
    if (cfg->n_outputs == 1) {
        json_text_tensor(b, outputs[0].dtype, outputs[0].data, outputs[0].rank, outputs[0].dims);
    } else {
        json_text_puts(b, "{");
        for (int k = 0; k < cfg->n_outputs; k++) {
            if (k)
                json_text_puts(b, ",");
            json_text_string(b, cfg->outputs[k].name);
            json_text_puts(b, ":");
            json_text_tensor(b, outputs[k].dtype, outputs[k].data, outputs[k].rank,
                             outputs[k].dims);
        }
        json_text_puts(b, "}");
    }
    json_text_puts(b, "}");
}

status_t tfserving_write_predict(tfserving_format_t format, const model_config_t *cfg,
                                 const tensor_t *outputs, char **body, size_t *size, error_t *err)
{
    json_text_t b = {0};
    size_t guess = 64;
    status_t st;

    *body = NULL;
    *size = 0;
    if (cfg->n_outputs < 1)
        return error_set(err, STATUS_INTERNAL, "model '%s' has no outputs", cfg->name);
    if (format == TFSERVING_ROW) {
        st = check_rows(cfg, outputs, err);
        if (st != STATUS_OK)
            return st;
    }
    for (int k = 0; k < cfg->n_outputs; k++)
        guess += (size_t)tensor_numel(&outputs[k]) * JSON_BYTES_PER_ELEMENT;
    json_text_reserve(&b, guess);
    if (format == TFSERVING_ROW)
        put_predictions(&b, cfg, outputs);
    else
        put_outputs(&b, cfg, outputs);
    *body = json_text_take(&b, size);
    if (!*body)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the answer");
    return STATUS_OK;
}

/* One model_version_status entry; NULL when out of memory. */
static json_t *version_status(const tfserving_version_status_t *s)
{
    char version[24];

    snprintf(version, sizeof version, "%" PRId64, s->version);
    return json_pack("{s:s,s:s,s:{s:s,s:o}}", "version", version, "state",
                     tfserving_state_name(s->state), "status", "error_code",
                     api_grpc_code_name(s->error_code), "error_message",
                     kserve_json_string(s->error_message));
}

char *tfserving_status_json(const tfserving_version_status_t *statuses, int n)
{
    json_t *list = json_array(), *root;
    char *json;

    for (int i = 0; i < n && list; i++)
        if (json_array_append_new(list, version_status(&statuses[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    root = list ? json_pack("{s:O}", "model_version_status", list) : NULL;
    json = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
    json_decref(root);
    json_decref(list);
    return json;
}

/* A TensorInfo: name, dtype and tensor_shape (int64 sizes as strings, as proto3 JSON has them). */
static json_t *tensor_info(const model_tensor_config_t *tc, int max_batch_size)
{
    json_t *dims = json_array();
    int64_t sizes[TENSOR_MAX_RANK + 1];
    int rank = tfserving_signature_dims(tc, max_batch_size, sizes);
    char size[24];

    for (int d = 0; d < rank; d++) {
        snprintf(size, sizeof size, "%" PRId64, sizes[d]);
        json_array_append_new(dims, json_pack("{s:s,s:s}", "size", size, "name", ""));
    }
    return json_pack("{s:o,s:s,s:{s:o,s:b}}", "name", kserve_json_string(tc->name), "dtype",
                     tfserving_dtype_name(tc->dtype), "tensor_shape", "dim", dims, "unknown_rank",
                     0);
}

/* {name: TensorInfo} for n tensors. */
static json_t *tensor_map(const model_tensor_config_t *tensors, int n, int max_batch_size)
{
    json_t *map = json_object();

    for (int k = 0; k < n && map; k++)
        if (json_object_set_new(map, tensors[k].name, tensor_info(&tensors[k], max_batch_size))) {
            json_decref(map);
            map = NULL;
        }
    return map;
}

char *tfserving_metadata_json(const model_config_t *cfg, int64_t version)
{
    char text[24];
    json_t *sig, *root;

    snprintf(text, sizeof text, "%" PRId64, version);
    sig = json_pack("{s:o,s:o,s:s,s:{}}", "inputs",
                    tensor_map(cfg->inputs, cfg->n_inputs, cfg->max_batch_size), "outputs",
                    tensor_map(cfg->outputs, cfg->n_outputs, cfg->max_batch_size), "method_name",
                    "tensorflow/serving/predict", "defaults");
    root = json_pack("{s:{s:o,s:s,s:s},s:{s:{s:{s:o}}}}", "model_spec", "name",
                     kserve_json_string(cfg->name), "signature_name", "", "version", text,
                     "metadata", "signature_def", "signature_def", TFSERVING_SIGNATURE, sig);
    return kserve_json_take(root);
}
