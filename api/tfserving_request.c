/*
 * tfserving_request.c - parsing a TF Serving :predict body into a batch
 * plan's single unit (tfserving.h). The rules and messages follow TF
 * Serving's json_tensor.cc as serving-apis.md section 1.2 records them.
 */
#include "tfserving.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "config_json.h"
#include "json_tensor.h"
#include "kserve_input.h"

/* Room for "input 'name'" in messages. */
#define WHAT_MAX (MODEL_NAME_MAX + 16)

/* What parsing needs besides the JSON. */
typedef struct parse_ctx {
    const model_config_t *cfg;
    int64_t max_elements;
    batch_plan_t *plan;
    tensor_t *inputs; /* the unit's, cfg->n_inputs of them */
} parse_ctx_t;

/* TF Serving's base64 object: exactly one key, "b64", with a string value. */
static bool is_b64(const json_t *v)
{
    return json_is_object(v) && json_object_size(v) == 1 &&
           json_is_string(json_object_get(v, "b64"));
}

/* A row object of the named row form: an object that is not a base64 value. */
static bool is_row_object(const json_t *v)
{
    return json_is_object(v) && !is_b64(v);
}

/* The first object among the leaves of v, or NULL. */
static const json_t *find_object(const json_t *v)
{
    size_t i;
    const json_t *e;

    if (json_is_object(v))
        return v;
    json_array_foreach(v, i, e)
    {
        const json_t *o = find_object(e);
        if (o)
            return o;
    }
    return NULL;
}

/* Objects are no values of any tensor inferd holds: b64 ones get TF Serving's rule spelled out. */
static status_t refuse_objects(const json_t *v, int k, const parse_ctx_t *ctx, error_t *err)
{
    const model_tensor_config_t *tc = &ctx->cfg->inputs[k];
    const json_t *o = find_object(v);

    if (!o)
        return STATUS_OK;
    if (is_b64(o))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': {\"b64\": ...} values are only for string (DT_STRING) "
                         "inputs, and '%s' is %s: send numbers",
                         tc->name, tc->name, tfserving_dtype_name(tc->dtype));
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "input '%s': an object where a value or a list belongs", tc->name);
}

/* Allocates input k's data for shape t and checks the element limit. */
static status_t alloc_input(const parse_ctx_t *ctx, int k, tensor_t *t, error_t *err)
{
    const char *name = ctx->cfg->inputs[k].name;
    char what[WHAT_MAX];
    int64_t numel;
    status_t st;

    snprintf(what, sizeof what, "input '%s'", name);
    st = batch_plan_check_shape(ctx->cfg, k, t, what, err);
    if (st == STATUS_OK)
        st = kserve_input_elements(t, name, ctx->max_elements, &numel, err);
    if (st != STATUS_OK)
        return st;
    t->data = arena_alloc(&ctx->plan->arena, (size_t)numel * dtype_size(t->dtype) + 1);
    if (!t->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "input '%s': out of memory for its data", name);
    return STATUS_OK;
}

/* Input k from n row values (rows[i] is row i's value of it): [n] + the rows' common shape. */
static status_t rows_input(const json_t *const *rows, size_t n, int k, parse_ctx_t *ctx,
                           error_t *err)
{
    const model_tensor_config_t *tc = &ctx->cfg->inputs[k];
    tensor_t *t = &ctx->inputs[k];
    char what[WHAT_MAX];
    int64_t next = 0;
    status_t st;

    snprintf(what, sizeof what, "input '%s'", tc->name);
    t->dtype = tc->dtype;
    for (size_t i = 0; i < n; i++) {
        int64_t dims[TENSOR_MAX_RANK];
        int rank;

        st = refuse_objects(rows[i], k, ctx, err);
        if (st == STATUS_OK)
            st = json_tensor_shape(rows[i], TENSOR_MAX_RANK - 1, what, &rank, dims, err);
        if (st != STATUS_OK)
            return st;
        if (i == 0) {
            t->rank = rank + 1;
            memcpy(t->dims + 1, dims, (size_t)rank * sizeof *dims);
            t->dims[0] = (int64_t)n;
        } else if (!shape_equal(rank, dims, t->rank - 1, t->dims + 1)) {
            char got[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': Expecting shape %s but got: %s at instance %zu "
                             "(every instance must give each input the same shape)",
                             tc->name, shape_format(t->rank - 1, t->dims + 1, want, sizeof want),
                             shape_format(rank, dims, got, sizeof got), i);
        }
    }
    st = alloc_input(ctx, k, t, err);
    for (size_t i = 0; st == STATUS_OK && i < n; i++)
        st = json_tensor_store(rows[i], t->dtype, JSON_LEAF_BY_DTYPE, what, t->data, &next, err);
    return st;
}

/* The row form: "instances", a list of values (one input) or of objects keyed by input name. */
static status_t parse_instances(const json_t *instances, parse_ctx_t *ctx, error_t *err)
{
    const model_config_t *cfg = ctx->cfg;
    size_t n = json_array_size(instances), i;
    const json_t **rows = NULL;
    const json_t *row;
    bool named;
    status_t st = STATUS_OK;

    if (!json_is_array(instances))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "Expecting 'instances' to be an list/array, got %s",
                         config_json_type_name(instances));
    if (n == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "No values in 'instances' array");
    if (n > TFSERVING_MAX_INSTANCES)
        return error_set(err, STATUS_LIMIT_EXCEEDED,
                         "'instances' has %zu entries, over the limit of %d", n,
                         TFSERVING_MAX_INSTANCES);
    named = is_row_object(json_array_get(instances, 0));
    if (!named && cfg->n_inputs != 1)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "instances is a plain list, but expecting list of objects as multiple "
                         "input tensors required as per tensorinfo_map (the model has %d inputs)",
                         cfg->n_inputs);
    json_array_foreach(instances, i, row)
    {
        if (named != is_row_object(row))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             named ? "Expecting object but got list at item %zu of input list"
                                   : "Expecting value/list but got object at item %zu of input "
                                     "list",
                             i);
        if (named && json_object_size(row) != (size_t)cfg->n_inputs) {
            char keys[512] = "";
            for (int k = 0; k < cfg->n_inputs; k++)
                snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", k ? "," : "",
                         cfg->inputs[k].name);
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "Failed to process element: %zu of 'instances' list. JSON object: "
                             "keys must be equal to: %s",
                             i, keys);
        }
    }
    rows = arena_alloc(&ctx->plan->arena, n * sizeof *rows);
    if (!rows)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for %zu instances", n);
    for (int k = 0; k < cfg->n_inputs && st == STATUS_OK; k++) {
        json_array_foreach(instances, i, row)
        {
            rows[i] = named ? json_object_get(row, cfg->inputs[k].name) : row;
            if (!rows[i])
                return error_set(err, STATUS_INVALID_ARGUMENT,
                                 "Failed to process element: %zu of 'instances' list. JSON "
                                 "object: missing input '%s'",
                                 i, cfg->inputs[k].name);
        }
        st = rows_input(rows, n, k, ctx, err);
    }
    return st;
}

/* One input of the columnar form: any dense tensor its declaration allows. */
static status_t columnar_input(const json_t *v, int k, parse_ctx_t *ctx, error_t *err)
{
    const model_tensor_config_t *tc = &ctx->cfg->inputs[k];
    tensor_t *t = &ctx->inputs[k];
    char what[WHAT_MAX];
    int64_t next = 0;
    status_t st;

    snprintf(what, sizeof what, "input '%s'", tc->name);
    t->dtype = tc->dtype;
    st = refuse_objects(v, k, ctx, err);
    if (st == STATUS_OK)
        st = json_tensor_shape(v, TENSOR_MAX_RANK, what, &t->rank, t->dims, err);
    if (st == STATUS_OK)
        st = alloc_input(ctx, k, t, err);
    if (st == STATUS_OK)
        st = json_tensor_store(v, t->dtype, JSON_LEAF_BY_DTYPE, what, t->data, &next, err);
    return st;
}

/* The columnar form: "inputs", one tensor (one input) or an object of them by name. */
static status_t parse_inputs(const json_t *inputs, parse_ctx_t *ctx, error_t *err)
{
    const model_config_t *cfg = ctx->cfg;
    const char *key;
    const json_t *v;
    status_t st;

    if (!is_row_object(inputs)) {
        if (cfg->n_inputs != 1)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "'inputs' is a single tensor, but the model has %d inputs: send an "
                             "object of input name to tensor",
                             cfg->n_inputs);
        return columnar_input(inputs, 0, ctx, err);
    }
    json_object_foreach((json_t *)inputs, key, v)
    {
        if (kserve_find_tensor(cfg->inputs, cfg->n_inputs, key) < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unknown input '%s' in 'inputs' object: model '%s' has no such input",
                             key, cfg->name);
    }
    for (int k = 0; k < cfg->n_inputs; k++) {
        v = json_object_get(inputs, cfg->inputs[k].name);
        if (!v)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "Missing named input: %s in 'inputs' object", cfg->inputs[k].name);
        st = columnar_input(v, k, ctx, err);
        if (st == STATUS_OK)
            st = batch_plan_same_rows(cfg, ctx->inputs, k, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

/* The top-level keys: signature_name and exactly one of instances and inputs. */
static status_t parse_root(const json_t *root, parse_ctx_t *ctx, tfserving_format_t *format,
                           error_t *err)
{
    const json_t *sig = json_object_get(root, "signature_name");
    const json_t *instances = json_object_get(root, "instances");
    const json_t *inputs = json_object_get(root, "inputs");
    const char *key;
    const json_t *v;

    json_object_foreach((json_t *)root, key, v)
    {
        if (strcmp(key, "signature_name") != 0 && strcmp(key, "instances") != 0 &&
            strcmp(key, "inputs") != 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unknown key '%s' in the request: a predict request has "
                             "signature_name and one of instances or inputs",
                             key);
    }
    if (sig && !json_is_string(sig))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "'signature_name' key must be a string value");
    if (sig && json_string_length(sig) > 0 &&
        strcmp(json_string_value(sig), TFSERVING_SIGNATURE) != 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "Serving signature name: \"%.128s\" not found in signature def (inferd "
                         "serves each model as the one signature \"" TFSERVING_SIGNATURE "\")",
                         json_string_value(sig));
    if (instances && inputs)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "Not formatted correctly expecting only one of 'inputs' or 'instances' "
                         "keys to exist");
    if (!instances && !inputs)
        return error_set(err, STATUS_INVALID_ARGUMENT, "Missing 'inputs' or 'instances' key");
    *format = instances ? TFSERVING_ROW : TFSERVING_COLUMNAR;
    return instances ? parse_instances(instances, ctx, err) : parse_inputs(inputs, ctx, err);
}

status_t tfserving_parse_predict(const char *body, size_t size, const model_config_t *cfg,
                                 int64_t max_tensor_elements, batch_plan_t *plan,
                                 tfserving_format_t *format, error_t *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    parse_ctx_t ctx = {
        .cfg = cfg,
        .max_elements = kserve_element_limit(max_tensor_elements),
        .plan = plan,
    };
    status_t st;

    *format = TFSERVING_ROW;
    if (cfg->n_inputs > REQUEST_MAX_TENSORS || cfg->n_outputs > REQUEST_MAX_TENSORS) {
        st = error_set(err, STATUS_INTERNAL, "model '%s' has more than %d inputs or outputs",
                       cfg->name, REQUEST_MAX_TENSORS);
        goto cleanup;
    }
    /* A signature without inputs has nothing for instances or inputs to fill. */
    if (cfg->n_inputs < 1) {
        st = error_set(err, STATUS_UNSUPPORTED, "model '%s' has no inputs to predict from",
                       cfg->name);
        goto cleanup;
    }
    root = json_loadb(body ? body : "", size, JSON_REJECT_DUPLICATES, &jerr);
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
    st = batch_plan_units(plan, 1, err);
    if (st != STATUS_OK)
        goto cleanup;
    ctx.inputs = arena_alloc(&plan->arena, (size_t)cfg->n_inputs * sizeof *ctx.inputs + 1);
    if (!ctx.inputs) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for the inputs");
        goto cleanup;
    }
    st = parse_root(root, &ctx, format, err);
    if (st != STATUS_OK)
        goto cleanup;
    plan->units[0].inputs = ctx.inputs;
    plan->units[0].rows = cfg->max_batch_size > 0 ? ctx.inputs[0].dims[0] : 1;

cleanup:
    json_decref(root);
    return st;
}
