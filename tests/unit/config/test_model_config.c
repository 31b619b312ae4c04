/*
 * model_config: config.json parsing and defaults, completion against a real
 * model (x [N,3] -> Relu -> y [N,3], and one with a fixed first dim), the
 * JSON round trip, and malformed files (every error names the file and the
 * field; truncations and byte flips never crash or leak).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "engine/model_builder.h"
#include "model_config.h"

/* Byte-flip rounds over a valid config: enough to reach every parser path. */
#define MUTATION_ROUNDS 3000

static const char *full_config =
    "{\"name\": \"m\", \"platform\": \"onnx\", \"max_batch_size\": 8,\n"
    " \"input\": [{\"name\": \"x\", \"data_type\": \"FP32\", \"dims\": [3]}],\n"
    " \"output\": [{\"name\": \"y\"}],\n"
    " \"dynamic_batching\": {\"preferred_batch_size\": [4, 8], \"max_queue_delay_microseconds\": "
    "500,\n"
    "   \"max_queue_size\": 100, \"default_timeout_microseconds\": 20000, \"priority_levels\": 3,\n"
    "   \"default_priority_level\": 2},\n"
    " \"instance_group\": [{\"count\": 2, \"threads\": 3}, {\"count\": 1, \"threads\": 3}],\n"
    " \"version_policy\": {\"specific\": {\"versions\": [3, 1]}},\n"
    " \"model_warmup\": [{\"batch_size\": 2, \"iterations\": 5, \"inputs\": {\"x\": {\"dims\": "
    "[3]}}},\n"
    "                  {\"batch_size\": 8}]}\n";

/* Writes text to tmp_dir/file and returns the path (static buffer). */
static const char *write_text(const char *file, const char *text, size_t len)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", tmp_dir, file);
    /* A new file, not a truncated one: ext4 flushes on truncate-and-rewrite. */
    unlink(path);
    f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

static const char *write_config(const char *text)
{
    return write_text("config.json", text, strlen(text));
}

/* x [2,3] -> Relu -> y [2,3]: no dynamic batch dim. */
static const char *write_fixed_model(void)
{
    static char path[512];
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__NodeProto *nodes[1] = {node("Relu", "relu", "x", NULL, "y")};
    Onnx__ValueInfoProto *inputs[1], *outputs[1];
    const int64_t dims[2] = {2, 3};
    uint8_t *bytes;
    size_t size;

    opset.domain = "";
    opset.has_version = 1;
    opset.version = 13;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = opsets;
    m.graph = &g;
    g.name = "fixed";
    g.n_node = 1;
    g.node = nodes;
    inputs[0] = value_info("x", 2, dims, NULL);
    outputs[0] = value_info("y", 2, dims, NULL);
    g.n_input = 1;
    g.input = inputs;
    g.n_output = 1;
    g.output = outputs;
    size = onnx__model_proto__get_packed_size(&m);
    bytes = mk(size);
    onnx__model_proto__pack(&m, bytes);
    snprintf(path, sizeof path, "%s", write_text("fixed.onnx", (const char *)bytes, size));
    return path;
}

static void test_defaults(void)
{
    model_config_t c;
    error_t err;
    char missing[512];

    snprintf(missing, sizeof missing, "%s/none/config.json", tmp_dir);
    for (int i = 0; i < 2; i++) {
        CHECK(model_config_load(i ? missing : NULL, "m", &c, &err) == STATUS_OK);
        /* Platform and backend come from the model file unless config.json names them. */
        CHECK(strcmp(c.name, "m") == 0 && c.platform[0] == '\0' && c.backend[0] == '\0');
        CHECK(!c.max_batch_size_set && c.instance_kind == MODEL_INSTANCE_AUTO &&
              c.batching.instance_devices[0] == -1);
        CHECK(c.max_batch_size == 0 && c.n_inputs == 0 && c.n_outputs == 0);
        CHECK(!c.dynamic_batching);
        CHECK(c.batching.max_queue_delay_us == 0 && c.batching.max_queue_size == 0);
        CHECK(c.batching.default_timeout_us == 0 && c.batching.n_preferred == 0);
        CHECK(c.batching.priority_levels == 1 && c.batching.default_priority == 1);
        CHECK(c.batching.instance_count == 1 && c.batching.threads_per_instance == 1);
        CHECK(c.version_policy.kind == VERSION_POLICY_LATEST && c.version_policy.latest_n == 1);
        CHECK(c.n_warmup == 0);
    }
    CHECK(model_config_load(write_config("{}"), "m", &c, &err) == STATUS_OK);
    CHECK(c.batching.instance_count == 1 && !c.dynamic_batching);
    CHECK(model_config_load(write_config("{\"dynamic_batching\": {}}"), "m", &c, &err) ==
          STATUS_OK);
    CHECK(c.dynamic_batching && c.batching.priority_levels == 1 && c.batching.n_preferred == 0);
    CHECK(model_config_load(NULL, "", &c, &err) == STATUS_INVALID_ARGUMENT);
}

static void test_full(void)
{
    model_config_t c;
    error_t err;

    CHECK(model_config_load(write_config(full_config), "m", &c, &err) == STATUS_OK);
    CHECK(c.max_batch_size == 8);
    CHECK(c.n_inputs == 1 && strcmp(c.inputs[0].name, "x") == 0);
    CHECK(c.inputs[0].dtype == DTYPE_FLOAT && c.inputs[0].rank == 1 && c.inputs[0].dims[0] == 3);
    CHECK(c.n_outputs == 1 && c.outputs[0].dtype == DTYPE_UNDEFINED && c.outputs[0].rank == -1);
    CHECK(c.dynamic_batching);
    CHECK(c.batching.n_preferred == 2 && c.batching.preferred_batch_sizes[0] == 4 &&
          c.batching.preferred_batch_sizes[1] == 8);
    CHECK(c.batching.max_queue_delay_us == 500 && c.batching.max_queue_size == 100);
    CHECK(c.batching.default_timeout_us == 20000);
    CHECK(c.batching.priority_levels == 3 && c.batching.default_priority == 2);
    CHECK(c.batching.instance_count == 3 && c.batching.threads_per_instance == 3);
    CHECK(c.version_policy.kind == VERSION_POLICY_SPECIFIC && c.version_policy.n_versions == 2);
    CHECK(c.version_policy.versions[0] == 3 && c.version_policy.versions[1] == 1);
    CHECK(c.n_warmup == 2 && c.warmup[0].batch_size == 2 && c.warmup[0].iterations == 5);
    CHECK(c.warmup[0].n_inputs == 1 && c.warmup[0].inputs[0].dims[0] == 3);
    CHECK(c.warmup[1].batch_size == 8 && c.warmup[1].iterations == 1 && c.warmup[1].n_inputs == 0);

    CHECK(model_config_load(write_config("{\"version_policy\": {\"all\": {}}}"), "m", &c, &err) ==
          STATUS_OK);
    CHECK(c.version_policy.kind == VERSION_POLICY_ALL);
    CHECK(model_config_load(write_config("{\"version_policy\": {\"latest\": {\"num_versions\": "
                                         "3}}}"),
                            "m", &c, &err) == STATUS_OK);
    CHECK(c.version_policy.kind == VERSION_POLICY_LATEST && c.version_policy.latest_n == 3);
}

/* Loads text for model "m" and completes it against model. */
static status_t load_complete(const char *text, const backend_model_t *model, model_config_t *c,
                              error_t *err)
{
    status_t st;

    memset(err, 0, sizeof *err);
    st = model_config_load(write_config(text), "m", c, err);
    return st == STATUS_OK ? model_config_complete(c, model, err) : st;
}

static void test_complete(const backend_model_t *model, const backend_model_t *fixed)
{
    model_config_t c, again;
    error_t err;

    /* no config: everything from the model, batch dim kept */
    CHECK(model_config_load(NULL, "m", &c, &err) == STATUS_OK);
    CHECK(model_config_complete(&c, model, &err) == STATUS_OK);
    CHECK(c.n_inputs == 1 && strcmp(c.inputs[0].name, "x") == 0);
    CHECK(c.inputs[0].dtype == DTYPE_FLOAT && c.inputs[0].rank == 2);
    CHECK(c.inputs[0].dims[0] == -1 && c.inputs[0].dims[1] == 3);
    CHECK(c.n_outputs == 1 && strcmp(c.outputs[0].name, "y") == 0 && c.outputs[0].rank == 2);
    CHECK(c.batching.max_batch_size == 0 && c.batching.instance_count == 1);

    /* batching: the batch dim is dropped from what clients see */
    CHECK(load_complete("{\"max_batch_size\": 4}", model, &c, &err) == STATUS_OK);
    CHECK(c.inputs[0].rank == 1 && c.inputs[0].dims[0] == 3);
    CHECK(c.outputs[0].rank == 1 && c.outputs[0].dims[0] == 3);
    CHECK(c.batching.max_batch_size == 4 && c.batching.max_queue_delay_us == 0);
    CHECK(c.batching.n_preferred == 0 && !c.dynamic_batching);

    /* the full config; warmup completed in model input order */
    CHECK(load_complete(full_config, model, &c, &err) == STATUS_OK);
    CHECK(c.batching.max_batch_size == 8 && c.batching.max_queue_delay_us == 500);
    CHECK(c.outputs[0].dtype == DTYPE_FLOAT && c.outputs[0].rank == 1);
    CHECK(c.warmup[1].n_inputs == 1 && c.warmup[1].inputs[0].dtype == DTYPE_FLOAT);
    CHECK(c.warmup[1].inputs[0].rank == 1 && c.warmup[1].inputs[0].dims[0] == 3);
    again = c;
    CHECK(model_config_complete(&again, model, &err) == STATUS_OK);
    CHECK(memcmp(&again, &c, sizeof c) == 0);

    /* narrowing a dynamic dim */
    CHECK(load_complete("{\"input\": [{\"name\": \"x\", \"dims\": [5, 3]}]}", model, &c, &err) ==
          STATUS_OK);
    CHECK(c.inputs[0].dims[0] == 5 && c.inputs[0].dims[1] == 3);
    CHECK(load_complete("{\"model_warmup\": [{\"inputs\": {\"x\": {\"dims\": [2, 3]}}}]}", model,
                        &c, &err) == STATUS_OK);
    CHECK(c.warmup[0].inputs[0].rank == 2 && c.warmup[0].inputs[0].dims[0] == 2);

    /* a fixed first dim serves without batching, not with */
    CHECK(load_complete("{}", fixed, &c, &err) == STATUS_OK);
    CHECK(c.inputs[0].dims[0] == 2 && c.outputs[0].dims[0] == 2);
    CHECK(load_complete("{\"model_warmup\": [{}]}", fixed, &c, &err) == STATUS_OK);
    CHECK(c.warmup[0].inputs[0].dims[0] == 2 && c.warmup[0].inputs[0].dims[1] == 3);
}

typedef struct bad_complete {
    const char *text;
    int fixed; /* against the fixed-dim model */
    const char *expect[3];
} bad_complete_t;

static const bad_complete_t bad_completes[] = {
    {"{\"input\": [{\"name\": \"z\"}]}", 0, {"\"z\"", "not an input"}},
    {"{\"output\": [{\"name\": \"q\"}]}", 0, {"\"q\"", "not an output"}},
    {"{\"input\": [{\"name\": \"x\", \"data_type\": \"INT64\"}]}", 0, {"\"x\"", "INT64", "FP32"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": [3]}]}", 0, {"\"x\"", "1 dims", "2"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": [-1, 4]}]}", 0, {"\"x\"", "dims[1]", "4"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": [-1, -1]}]}", 0, {"\"x\"", "dims[1]", "-1"}},
    {"{\"max_batch_size\": 2, \"input\": [{\"name\": \"x\", \"dims\": [-1, 3]}]}",
     0,
     {"\"x\"", "without the batch dim"}},
    {"{\"max_batch_size\": 2}", 1, {"input \"x\"", "batch", "fixed"}},
    {"{\"model_warmup\": [{}]}", 0, {"model_warmup[0]", "\"x\"", "variable"}},
    {"{\"model_warmup\": [{\"inputs\": {\"w\": {\"dims\": [1]}}}]}",
     0,
     {"model_warmup[0]", "\"w\"", "not an input"}},
    {"{\"max_batch_size\": 2, \"model_warmup\": [{}, {\"inputs\": {\"x\": {\"dims\": [4]}}}]}",
     0,
     {"model_warmup[1]", "x", "dims[0]"}},
    {"{\"model_warmup\": [{\"inputs\": {\"x\": {\"dims\": [4]}}}]}",
     0,
     {"model_warmup[0]", "x", "1 dims"}},
    {"{\"instance_group\": [{\"kind\": \"KIND_NPU\", \"devices\": [0]}]}",
     0,
     {"onnx-cpu", "runs on the CPU", "KIND_NPU"}},
    {"{\"backend\": \"ascend\"}", 0, {"backend \"ascend\"", "\"onnx-cpu\""}},
    {"{\"platform\": \"ascend_om\"}", 0, {"platform \"ascend_om\"", "\"onnx\""}},
    /* Without max_batch_size here, the batch sizes are checked once the model has spoken. */
    {"{\"dynamic_batching\": {\"preferred_batch_size\": [2]}}",
     0,
     {"preferred_batch_size[0]", "exceeds max_batch_size 0"}},
    {"{\"model_warmup\": [{\"batch_size\": 2, \"inputs\": {\"x\": {\"dims\": [1, 3]}}}]}",
     0,
     {"model_warmup[0].batch_size", "must be 1"}},
};

static void test_complete_errors(const backend_model_t *model, const backend_model_t *fixed)
{
    for (size_t i = 0; i < sizeof bad_completes / sizeof bad_completes[0]; i++) {
        const bad_complete_t *b = &bad_completes[i];
        model_config_t c, before;
        error_t err;

        memset(&err, 0, sizeof err);
        CHECK(model_config_load(write_config(b->text), "m", &c, &err) == STATUS_OK);
        before = c;
        CHECK(model_config_complete(&c, b->fixed ? fixed : model, &err) != STATUS_OK);
        /* a failure leaves the config as it was */
        CHECK(memcmp(&before, &c, sizeof c) == 0);
        for (int j = 0; j < 3 && b->expect[j]; j++) {
            if (!strstr(err.message, b->expect[j])) {
                fprintf(stderr, "complete case %zu: \"%s\" not in: %s\n", i, b->expect[j],
                        err.message);
                CHECK(0);
            }
        }
    }
}

/* to_json, written back as config.json and loaded, gives the same config. */
static void round_trip(const model_config_t *c, const backend_model_t *model)
{
    model_config_t back;
    error_t err;
    char *text = model_config_to_json(c);

    CHECK(text != NULL);
    if (!text)
        return;
    memset(&err, 0, sizeof err);
    CHECK(model_config_load(write_config(text), c->name, &back, &err) == STATUS_OK);
    if (model)
        CHECK(model_config_complete(&back, model, &err) == STATUS_OK);
    if (memcmp(&back, c, sizeof back) != 0) {
        fprintf(stderr, "round trip differs for %s (%s)\n", text, err.message);
        CHECK(0);
    }
    free(text);
}

static void test_round_trip(const backend_model_t *model)
{
    const char *texts[] = {
        full_config,
        "{}",
        "{\"max_batch_size\": 2, \"dynamic_batching\": {}, \"version_policy\": {\"all\": {}}}",
        "{\"input\": [{\"name\": \"x\", \"dims\": [-1, 3]}], \"model_warmup\": [{\"inputs\": "
        "{\"x\": {\"dims\": [0, 3]}}}], \"version_policy\": {\"latest\": {\"num_versions\": 4}}}",
    };
    model_config_t c;
    error_t err;
    char *text;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        CHECK(model_config_load(write_config(texts[i]), "m", &c, &err) == STATUS_OK);
        round_trip(&c, NULL);
        CHECK(model_config_complete(&c, model, &err) == STATUS_OK);
        round_trip(&c, model);
    }
    CHECK(load_complete("{\"max_batch_size\": 3}", model, &c, &err) == STATUS_OK);
    text = model_config_to_json(&c);
    CHECK(text && !strstr(text, "dynamic_batching") && strstr(text, "\"max_batch_size\":3"));
    /* Triton's schema: its type names, and its platform and backend for an ONNX model. */
    CHECK(text && strstr(text, "\"data_type\":\"TYPE_FP32\"") && strstr(text, "\"dims\":[3]"));
    CHECK(text && strstr(text, "\"platform\":\"onnxruntime_onnx\"") &&
          strstr(text, "\"backend\":\"onnxruntime\""));
    free(text);
    /* Both spellings of a type, both platform names, and a labels file on an output. */
    CHECK(load_complete("{\"platform\": \"onnxruntime_onnx\", \"backend\": \"onnxruntime\", "
                        "\"input\": [{\"name\": \"x\", \"data_type\": \"TYPE_FP32\"}], "
                        "\"output\": [{\"name\": \"y\", \"data_type\": \"FP32\", "
                        "\"label_filename\": \"labels.txt\"}], "
                        "\"instance_group\": [{\"kind\": \"KIND_CPU\"}]}",
                        model, &c, &err) == STATUS_OK);
    CHECK(strcmp(c.outputs[0].label_filename, "labels.txt") == 0 &&
          c.inputs[0].dtype == DTYPE_FLOAT);
    text = model_config_to_json(&c);
    CHECK(text && strstr(text, "\"label_filename\":\"labels.txt\""));
    free(text);
}

typedef struct bad_load {
    const char *text;
    const char *expect[3];
} bad_load_t;

static const bad_load_t bad_loads[] = {
    {"{\"max_batch_size\": 4", {"config.json", "invalid JSON"}},
    {"", {"config.json", "invalid JSON"}},
    {"[1]", {"config.json", "object"}},
    {"{\"max_batch_size\": 1, \"max_batch_size\": 2}", {"config.json", "max_batch_size"}},
    {"{\"bogus\": 1}", {"config.json", "\"bogus\""}},
    {"{\"name\": \"other\"}", {"name", "\"other\"", "\"m\""}},
    {"{\"name\": 5}", {"name", "string"}},
    {"{\"name\": \"\"}", {"name", "bytes"}},
    {"{\"platform\": \"tensorflow\"}", {"platform", "tensorflow"}},
    {"{\"max_batch_size\": \"4\"}", {"max_batch_size", "integer", "a string"}},
    {"{\"max_batch_size\": -1}", {"max_batch_size", "-1"}},
    {"{\"max_batch_size\": 2.5}", {"max_batch_size", "real"}},
    {"{\"max_batch_size\": 99999999999999999999}", {"config.json", "invalid JSON"}},
    {"{\"input\": {}}", {"input", "array"}},
    {"{\"input\": [3]}", {"input[0]", "object"}},
    {"{\"input\": [{\"dims\": [3]}]}", {"input[0]", "name"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": \"3\"}]}", {"input[0].dims", "array"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": [3, \"a\"]}]}", {"input[0].dims[1]", "integer"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": [-2]}]}", {"input[0].dims[0]", "-2"}},
    {"{\"input\": [{\"name\": \"x\", \"dims\": [1,1,1,1,1,1,1,1,1]}]}", {"input[0].dims", "9"}},
    {"{\"input\": [{\"name\": \"x\", \"data_type\": \"FLOAT32\"}]}",
     {"input[0].data_type", "FLOAT32"}},
    {"{\"input\": [{\"name\": \"x\", \"data_type\": \"BYTES\"}]}",
     {"input[0].data_type", "BYTES", "not supported"}},
    {"{\"input\": [{\"name\": \"x\", \"data_type\": 1}]}", {"input[0].data_type", "string"}},
    {"{\"input\": [{\"name\": \"x\", \"shape\": [1]}]}", {"input[0]", "\"shape\""}},
    {"{\"output\": [{\"name\": \"y\"}, {\"name\": \"y\"}]}", {"output[1]", "\"y\"", "twice"}},
    {"{\"dynamic_batching\": []}", {"dynamic_batching", "object"}},
    {"{\"dynamic_batching\": {\"preserve_ordering\": true}}",
     {"dynamic_batching", "\"preserve_ordering\""}},
    {"{\"max_batch_size\": 4, \"dynamic_batching\": {\"preferred_batch_size\": [0]}}",
     {"dynamic_batching.preferred_batch_size[0]", "0"}},
    {"{\"max_batch_size\": 4, \"dynamic_batching\": {\"preferred_batch_size\": [2, 8]}}",
     {"dynamic_batching.preferred_batch_size[1]", "8", "max_batch_size 4"}},
    {"{\"max_batch_size\": 4, \"dynamic_batching\": {\"preferred_batch_size\": [2, 2]}}",
     {"preferred_batch_size[1]", "twice"}},
    {"{\"dynamic_batching\": {\"priority_levels\": 0}}", {"dynamic_batching.priority_levels", "0"}},
    {"{\"dynamic_batching\": {\"priority_levels\": 17}}", {"priority_levels", "17", "1..16"}},
    {"{\"dynamic_batching\": {\"priority_levels\": 2, \"default_priority_level\": 3}}",
     {"default_priority_level", "3", "priority_levels 2"}},
    {"{\"dynamic_batching\": {\"max_queue_delay_microseconds\": -1}}",
     {"max_queue_delay_microseconds", "-1"}},
    {"{\"dynamic_batching\": {\"max_queue_size\": 1.5}}", {"max_queue_size", "integer"}},
    {"{\"dynamic_batching\": {\"default_timeout_microseconds\": null}}",
     {"default_timeout_microseconds", "null"}},
    {"{\"instance_group\": []}", {"instance_group", "at least one"}},
    {"{\"instance_group\": [{\"count\": 0}]}", {"instance_group[0].count", "0"}},
    {"{\"instance_group\": [{\"count\": 40}, {\"count\": 40}]}", {"instance_group", "64"}},
    {"{\"instance_group\": [{\"kind\": \"KIND_GPU\"}]}", {"instance_group[0].kind", "KIND_GPU"}},
    {"{\"backend\": \"tensorrt\"}", {"backend", "tensorrt", "onnxruntime"}},
    {"{\"input\": [{\"name\": \"x\", \"data_type\": \"TYPE_STRING\"}]}",
     {"input[0].data_type", "TYPE_STRING", "not supported"}},
    {"{\"input\": [{\"name\": \"x\", \"label_filename\": \"l.txt\"}]}",
     {"input[0]", "label_filename"}},
    {"{\"output\": [{\"name\": \"y\", \"label_filename\": \"../l.txt\"}]}",
     {"output[0].label_filename", "not a path"}},
    {"{\"output\": [{\"name\": \"y\", \"label_filename\": \"..\"}]}",
     {"output[0].label_filename", "path"}},
    {"{\"instance_group\": [{\"threads\": 2}, {\"threads\": 4}]}",
     {"instance_group[1]", "threads 4"}},
    {"{\"instance_group\": [{\"threads\": 0}]}", {"instance_group[0].threads", "0"}},
    {"{\"version_policy\": {}}", {"version_policy", "exactly one"}},
    {"{\"version_policy\": {\"latest\": {}, \"all\": {}}}", {"version_policy", "exactly one"}},
    {"{\"version_policy\": {\"newest\": {}}}", {"version_policy", "\"newest\""}},
    {"{\"version_policy\": {\"latest\": {\"num_versions\": 0}}}",
     {"version_policy.latest.num_versions", "0"}},
    {"{\"version_policy\": {\"latest\": 1}}", {"version_policy.latest", "object"}},
    {"{\"version_policy\": {\"all\": {\"x\": 1}}}", {"version_policy.all", "\"x\""}},
    {"{\"version_policy\": {\"specific\": {\"versions\": []}}}",
     {"version_policy.specific.versions", "at least one"}},
    {"{\"version_policy\": {\"specific\": {}}}", {"version_policy.specific.versions"}},
    {"{\"version_policy\": {\"specific\": {\"versions\": [1, 1]}}}", {"versions[1]", "twice"}},
    {"{\"version_policy\": {\"specific\": {\"versions\": [0]}}}", {"versions[0]", "0"}},
    {"{\"model_warmup\": {}}", {"model_warmup", "array"}},
    {"{\"model_warmup\": [{\"batch_size\": 0}]}", {"model_warmup[0].batch_size", "0"}},
    {"{\"max_batch_size\": 0, \"model_warmup\": [{\"batch_size\": 2}]}",
     {"model_warmup[0].batch_size", "2", "must be 1"}},
    {"{\"max_batch_size\": 2, \"model_warmup\": [{}, {\"batch_size\": 3}]}",
     {"model_warmup[1].batch_size", "3"}},
    {"{\"model_warmup\": [{\"count\": 1}]}", {"model_warmup[0]", "\"count\""}},
    {"{\"model_warmup\": [{\"inputs\": []}]}", {"model_warmup[0].inputs", "object"}},
    {"{\"model_warmup\": [{\"inputs\": {\"x\": {}}}]}", {"model_warmup[0].inputs.x", "dims"}},
    {"{\"model_warmup\": [{\"inputs\": {\"x\": {\"dims\": [-1]}}}]}",
     {"model_warmup[0].inputs.x.dims[0]", "-1"}},
    {"{\"model_warmup\": [{\"inputs\": {\"x\": {\"dims\": [1], \"zero_data\": true}}}]}",
     {"model_warmup[0].inputs.x", "\"zero_data\""}},
    {"{\"model_warmup\": [{\"inputs\": {\"x\": 3}}]}", {"model_warmup[0].inputs.x", "object"}},
    {"{\"model_warmup\": [{}, {}, {}, {}, {}, {}, {}, {}, {}]}", {"model_warmup", "9", "8"}},
    {"{\"instance_group\": [{\"kind\": \"KIND_NPU\", \"threads\": 2}]}",
     {"instance_group[0]", "\"threads\"", "KIND_NPU"}},
    {"{\"instance_group\": [{\"kind\": \"KIND_CPU\", \"devices\": [0]}]}",
     {"instance_group[0]", "\"devices\"", "KIND_CPU"}},
    {"{\"instance_group\": [{\"kind\": \"KIND_NPU\", \"devices\": []}]}",
     {"instance_group[0].devices", "at least one"}},
    {"{\"instance_group\": [{\"devices\": [1, 1]}]}", {"instance_group[0].devices[1]", "twice"}},
    {"{\"instance_group\": [{\"devices\": [64]}]}",
     {"instance_group[0].devices[0]", "64", "0..63"}},
    {"{\"instance_group\": [{\"devices\": [\"0\"]}]}", {"instance_group[0].devices[0]", "integer"}},
    {"{\"instance_group\": [{\"count\": 40, \"devices\": [0, 1]}]}", {"instance_group", "64"}},
    {"{\"instance_group\": [{\"kind\": \"KIND_CPU\"}, {\"kind\": \"KIND_NPU\"}]}",
     {"instance_group[1]", "KIND_NPU", "KIND_CPU"}},
    {"{\"instance_group\": [{\"devices\": [0]}, {\"count\": 2}]}",
     {"instance_group", "mixes KIND_NPU"}},
    {"{\"instance_group\": [{\"kind\": 3}]}", {"instance_group[0].kind", "string"}},
    {"{\"backend\": \"tensorrt\"}", {"backend", "tensorrt", "\"ascend\""}},
    {"{\"platform\": \"onnx\", \"backend\": \"ascend\"}", {"backend", "ascend", "\"onnx\""}},
};

/* KIND_NPU groups: count workers on each listed device, in order; written back the same. */
static void test_npu_instances(void)
{
    model_config_t c, back;
    error_t err = {0};
    char *text;
    const int want[] = {0, 0, 1, 1, 3};

    CHECK(model_config_load(write_config("{\"backend\": \"ascend\", \"instance_group\": ["
                                         "{\"kind\": \"KIND_NPU\", \"count\": 2, \"devices\": "
                                         "[0, 1]}, {\"devices\": [3]}]}"),
                            "m", &c, &err) == STATUS_OK);
    CHECK(c.instance_kind == MODEL_INSTANCE_NPU && c.batching.instance_count == 5);
    CHECK(strcmp(c.backend, "ascend") == 0 && c.platform[0] == '\0');
    for (int i = 0; i < 5; i++)
        CHECK(c.batching.instance_devices[i] == want[i]);
    text = model_config_to_json(&c);
    CHECK(text && strstr(text, "{\"kind\":\"KIND_NPU\",\"count\":2,\"devices\":[0]},"
                               "{\"kind\":\"KIND_NPU\",\"count\":2,\"devices\":[1]},"
                               "{\"kind\":\"KIND_NPU\",\"count\":1,\"devices\":[3]}"));
    CHECK(text && model_config_load(write_config(text), "m", &back, &err) == STATUS_OK &&
          memcmp(&back, &c, sizeof c) == 0);
    free(text);
    /* CPU groups keep their threads; KIND_AUTO groups name no device. */
    CHECK(model_config_load(write_config("{\"instance_group\": [{\"kind\": \"KIND_CPU\", "
                                         "\"count\": 2, \"threads\": 3}, {\"threads\": 3}]}"),
                            "m", &c, &err) == STATUS_OK);
    CHECK(c.instance_kind == MODEL_INSTANCE_CPU && c.batching.instance_count == 3 &&
          c.batching.threads_per_instance == 3 && c.batching.instance_devices[2] == -1);
}

static void test_load_errors(void)
{
    for (size_t i = 0; i < sizeof bad_loads / sizeof bad_loads[0]; i++) {
        const bad_load_t *b = &bad_loads[i];
        model_config_t c;
        error_t err;

        memset(&err, 0, sizeof err);
        CHECK(model_config_load(write_config(b->text), "m", &c, &err) != STATUS_OK);
        if (!strstr(err.message, "config.json")) {
            fprintf(stderr, "load case %zu: no file name in: %s\n", i, err.message);
            CHECK(0);
        }
        for (int j = 0; j < 3 && b->expect[j]; j++) {
            if (!strstr(err.message, b->expect[j])) {
                fprintf(stderr, "load case %zu: \"%s\" not in: %s\n", i, b->expect[j], err.message);
                CHECK(0);
            }
        }
    }
}

static void test_too_large(void)
{
    size_t size = (size_t)MODEL_CONFIG_MAX_BYTES + 16;
    char *text = malloc(size);
    model_config_t c;
    error_t err;

    if (!text) {
        CHECK(text);
        return;
    }
    /* valid JSON (an object padded with spaces), but over the limit */
    memset(text, ' ', size);
    text[0] = '{';
    text[size - 1] = '}';
    CHECK(model_config_load(write_text("config.json", text, size), "m", &c, &err) ==
          STATUS_LIMIT_EXCEEDED);
    CHECK(strstr(err.message, "config.json") && strstr(err.message, "larger"));
    free(text);
}

/* Every truncation and many byte flips of a valid file: errors, never crashes. */
static void test_malformed(const backend_model_t *model)
{
    size_t len = strlen(full_config);
    char *text = malloc(len + 1);
    unsigned seed = 12345;
    const char flips[] = "{}[]\",:-0123456789aex \\";
    model_config_t c;
    error_t err;

    if (!text) {
        CHECK(text);
        return;
    }
    for (size_t n = 0; n + 1 < len; n++) {
        memset(&err, 0, sizeof err);
        if (model_config_load(write_text("config.json", full_config, n), "m", &c, &err) ==
            STATUS_OK) {
            fprintf(stderr, "truncation at %zu accepted\n", n);
            CHECK(0);
        }
        CHECK(err.message[0] != '\0');
    }
    for (int round = 0; round < MUTATION_ROUNDS; round++) {
        memcpy(text, full_config, len + 1);
        for (int k = 0; k < 1 + round % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            text[(seed >> 8) % len] = flips[(seed >> 20) % (sizeof flips - 1)];
        }
        memset(&err, 0, sizeof err);
        if (model_config_load(write_text("config.json", text, len), "m", &c, &err) == STATUS_OK) {
            char *json;
            if (model_config_complete(&c, model, &err) != STATUS_OK)
                continue;
            json = model_config_to_json(&c);
            CHECK(json != NULL);
            free(json);
        } else {
            CHECK(err.message[0] != '\0');
        }
    }
    free(text);
}

/*
 * "precision": fp32 by default, bf16 when asked, written back by the JSON
 * round trip, anything else refused naming the model and the value.
 */
static void test_precision(void)
{
    model_config_t c;
    error_t err;
    char *text;

    CHECK(model_config_load(write_config("{}"), "m", &c, &err) == STATUS_OK);
    CHECK(c.precision == ENGINE_PRECISION_FP32);
    CHECK(model_config_load(write_config("{\"precision\": \"fp32\"}"), "m", &c, &err) == STATUS_OK);
    CHECK(c.precision == ENGINE_PRECISION_FP32);
    CHECK(model_config_load(write_config("{\"precision\": \"bf16\"}"), "m", &c, &err) == STATUS_OK);
    CHECK(c.precision == ENGINE_PRECISION_BF16);
    text = model_config_to_json(&c);
    CHECK(text && strstr(text, "\"precision\":\"bf16\""));
    CHECK(model_config_load(write_config(text), "m", &c, &err) == STATUS_OK);
    CHECK(c.precision == ENGINE_PRECISION_BF16);
    free(text);
    CHECK(model_config_load(write_config("{\"precision\": \"fp16\"}"), "resnet", &c, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "precision") && strstr(err.message, "\"resnet\"") &&
          strstr(err.message, "\"fp16\"") && strstr(err.message, "bf16"));
    CHECK(model_config_load(write_config("{\"precision\": \"BF16\"}"), "m", &c, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(model_config_load(write_config("{\"precision\": 16}"), "m", &c, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "precision") && strstr(err.message, "string"));
}

int main(void)
{
    model_spec_t spec = {.opset = 13, .output = "y"};
    backend_model_t *model = NULL;
    backend_model_t *fixed = NULL;
    error_t err;
    char cmd[600];

    if (!mkdtemp(tmp_dir))
        return 1;
    spec.nodes[spec.n_nodes++] = node("Relu", "relu", "x", NULL, "y");
    CHECK(backend_model_load(NULL, write_model(&spec, "model.onnx"), NULL, &model, &err) ==
          STATUS_OK);
    CHECK(backend_model_load(NULL, write_fixed_model(), NULL, &fixed, &err) == STATUS_OK);
    test_defaults();
    test_full();
    test_load_errors();
    test_npu_instances();
    test_too_large();
    test_precision();
    if (model && fixed) {
        test_complete(model, fixed);
        test_complete_errors(model, fixed);
        test_round_trip(model);
        test_malformed(model);
    }
    backend_model_free(model);
    backend_model_free(fixed);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    builder_free();
    CHECK_DONE();
}
