/*
 * The KServe JSON builders: error, server and model metadata, repository
 * index and statistics bodies, checked by parsing them back.
 */
#include <jansson.h>

#include "kserve_fixtures.h"

/* Parses text (and frees it); NULL, with a note, when it is not JSON. */
static json_t *load(char *text)
{
    json_error_t jerr;
    json_t *root = text ? json_loads(text, 0, &jerr) : NULL;

    if (text && !root)
        fprintf(stderr, "  not JSON (%s): %s\n", jerr.text, text);
    free(text);
    return root;
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "(none)";
}

static json_int_t num(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* True when arr is a JSON array of exactly the n integers given. */
static bool int_array_is(const json_t *arr, int n, const int64_t *values)
{
    if (!json_is_array(arr) || json_array_size(arr) != (size_t)n)
        return false;
    for (int i = 0; i < n; i++)
        if (!json_is_integer(json_array_get(arr, i)) ||
            json_integer_value(json_array_get(arr, i)) != values[i])
            return false;
    return true;
}

static void test_error(void)
{
    json_t *root = load(kserve_error_json("input 'x': \"bad\"\n"));

    CHECK(root && strcmp(str(root, "error"), "input 'x': \"bad\"\n") == 0);
    json_decref(root);
    /* A message cut in the middle of a UTF-8 character still gives valid JSON. */
    root = load(kserve_error_json("caf\xc3"));
    CHECK(root && strcmp(str(root, "error"), "caf?") == 0);
    json_decref(root);
    root = load(kserve_error_json("\xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf ok \xe2\x82\xac"));
    CHECK(root && strcmp(str(root, "error"), "??? ???? ?? ok \xe2\x82\xac") == 0);
    json_decref(root);
}

static void test_server_metadata(void)
{
    static const char *const extensions[] = {"binary_tensor_data", "statistics", NULL};
    json_t *root = load(kserve_server_metadata_json("inferd", "0.1.0", extensions));
    json_t *ext = json_object_get(root, "extensions");

    CHECK(root && strcmp(str(root, "name"), "inferd") == 0);
    CHECK(strcmp(str(root, "version"), "0.1.0") == 0);
    CHECK(json_array_size(ext) == 2);
    CHECK(strcmp(json_string_value(json_array_get(ext, 1)), "statistics") == 0);
    json_decref(root);
    root = load(kserve_server_metadata_json("inferd", "0.1.0", NULL));
    CHECK(root && json_is_array(json_object_get(root, "extensions")) &&
          json_array_size(json_object_get(root, "extensions")) == 0);
    json_decref(root);
}

static void test_model_metadata(void)
{
    model_config_t cfg;
    const int64_t versions[] = {1, 3, 12};
    json_t *root, *in, *out;

    batched_cfg(&cfg);
    root = load(kserve_model_metadata_json(&cfg, versions, 3));
    CHECK(root && strcmp(str(root, "name"), "batched") == 0);
    CHECK(strcmp(str(root, "platform"), "onnxruntime_onnx") == 0);
    CHECK(json_array_size(json_object_get(root, "versions")) == 3);
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(root, "versions"), 2)), "12") ==
          0);
    in = json_object_get(root, "inputs");
    CHECK(json_array_size(in) == 2);
    CHECK(strcmp(str(json_array_get(in, 0), "name"), "x") == 0);
    CHECK(strcmp(str(json_array_get(in, 0), "datatype"), "FP32") == 0);
    CHECK(
        int_array_is(json_object_get(json_array_get(in, 0), "shape"), 2, (const int64_t[]){-1, 3}));
    CHECK(strcmp(str(json_array_get(in, 1), "datatype"), "BOOL") == 0);
    CHECK(int_array_is(json_object_get(json_array_get(in, 1), "shape"), 2,
                       (const int64_t[]){-1, -1}));
    out = json_object_get(root, "outputs");
    CHECK(json_array_size(out) == 1 && strcmp(str(json_array_get(out, 0), "name"), "y") == 0);
    json_decref(root);

    /* Without batching the shapes are the config's own. */
    simple_cfg(&cfg);
    root = load(kserve_model_metadata_json(&cfg, NULL, 0));
    CHECK(root && json_array_size(json_object_get(root, "versions")) == 0);
    in = json_object_get(root, "inputs");
    CHECK(
        int_array_is(json_object_get(json_array_get(in, 0), "shape"), 2, (const int64_t[]){2, 3}));
    CHECK(int_array_is(json_object_get(json_array_get(in, 1), "shape"), 1, (const int64_t[]){-1}));
    CHECK(strcmp(str(json_array_get(json_object_get(root, "outputs"), 2), "datatype"), "BOOL") ==
          0);
    json_decref(root);
}

static void test_repository_index(void)
{
    const kserve_index_entry_t entries[] = {
        {"resnet", "1", KSERVE_MODEL_READY, NULL},
        {"resnet", "2", KSERVE_MODEL_LOADING, ""},
        {"broken", NULL, KSERVE_MODEL_UNAVAILABLE, "model.onnx: invalid model"},
        {"old", "7", KSERVE_MODEL_UNLOADING, NULL},
    };
    json_t *root = load(kserve_repository_index_json(entries, 4));

    CHECK(json_is_array(root) && json_array_size(root) == 4);
    CHECK(strcmp(str(json_array_get(root, 0), "state"), "READY") == 0);
    CHECK(strcmp(str(json_array_get(root, 0), "version"), "1") == 0);
    CHECK(json_object_get(json_array_get(root, 0), "reason") == NULL);
    CHECK(strcmp(str(json_array_get(root, 1), "state"), "LOADING") == 0);
    CHECK(json_object_get(json_array_get(root, 1), "reason") == NULL);
    CHECK(strcmp(str(json_array_get(root, 2), "state"), "UNAVAILABLE") == 0);
    CHECK(json_object_get(json_array_get(root, 2), "version") == NULL);
    CHECK(strcmp(str(json_array_get(root, 2), "reason"), "model.onnx: invalid model") == 0);
    CHECK(strcmp(str(json_array_get(root, 3), "state"), "UNLOADING") == 0);
    json_decref(root);
    root = load(kserve_repository_index_json(NULL, 0));
    CHECK(json_is_array(root) && json_array_size(root) == 0);
    json_decref(root);
}

static void test_model_stats(void)
{
    kserve_model_stats_t models[2] = {
        {.name = "resnet", .version = "1", .last_inference_ms = 1700000000123, .max_batch_size = 8},
        {.name = "idle", .version = NULL},
    };
    json_t *root, *list, *m, *inf, *batches;

    models[0].stats.success = 10;
    models[0].stats.failed_invalid = 1;
    models[0].stats.failed_queue_full = 2;
    models[0].stats.failed_timeout = 3;
    models[0].stats.inferences = 24;
    models[0].stats.executions = 4;
    models[0].stats.queue_us = 500;
    models[0].stats.compute_us = 2000;
    models[0].stats.batch_histogram[0] = 1;
    models[0].stats.batch_histogram[3] = 3;
    models[0].stats.batch_histogram[BATCHER_HISTOGRAM_BUCKETS - 1] = 2;
    root = load(kserve_model_stats_json(models, 2));
    list = json_object_get(root, "model_stats");
    CHECK(json_array_size(list) == 2);
    m = json_array_get(list, 0);
    CHECK(strcmp(str(m, "name"), "resnet") == 0 && strcmp(str(m, "version"), "1") == 0);
    CHECK(num(m, "last_inference") == 1700000000123);
    CHECK(num(m, "inference_count") == 24 && num(m, "execution_count") == 4);
    inf = json_object_get(m, "inference_stats");
    CHECK(num(json_object_get(inf, "success"), "count") == 10);
    CHECK(num(json_object_get(inf, "success"), "ns") == 2500000);
    CHECK(num(json_object_get(inf, "fail"), "count") == 6);
    CHECK(num(json_object_get(inf, "queue"), "ns") == 500000);
    CHECK(num(json_object_get(inf, "compute_infer"), "ns") == 2000000);
    CHECK(num(json_object_get(inf, "compute_input"), "count") == 10);
    CHECK(json_is_object(json_object_get(inf, "compute_output")));
    batches = json_object_get(m, "batch_stats");
    CHECK(json_array_size(batches) == 3);
    CHECK(num(json_array_get(batches, 0), "batch_size") == 1);
    CHECK(num(json_object_get(json_array_get(batches, 0), "compute_infer"), "count") == 1);
    CHECK(num(json_array_get(batches, 1), "batch_size") == 8);
    CHECK(num(json_object_get(json_array_get(batches, 1), "compute_infer"), "count") == 3);
    CHECK(num(json_array_get(batches, 2), "batch_size") ==
          (INT64_C(1) << (BATCHER_HISTOGRAM_BUCKETS - 2)) + 1);
    m = json_array_get(list, 1);
    CHECK(strcmp(str(m, "version"), "") == 0 && num(m, "inference_count") == 0);
    CHECK(json_array_size(json_object_get(m, "batch_stats")) == 0);
    json_decref(root);
}

static void test_dtype_names(void)
{
    for (int i = 0; i < N_ALL_DTYPES; i++)
        CHECK(kserve_dtype_from_name(dtype_kserve_name(all_dtypes[i])) == all_dtypes[i]);
    CHECK(kserve_dtype_from_name("BYTES") == DTYPE_STRING);
    CHECK(kserve_dtype_from_name("fp32") == DTYPE_UNDEFINED);
    CHECK(kserve_dtype_from_name("") == DTYPE_UNDEFINED);
}

int main(void)
{
    test_error();
    test_server_metadata();
    test_model_metadata();
    test_repository_index();
    test_model_stats();
    test_dtype_names();
    CHECK_DONE();
}
