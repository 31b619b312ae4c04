/*
 * KServe infer request parsing: every way a request can be wrong gets the
 * right status and a message naming the culprit, and no prefix or mutation
 * of a valid body crashes the parser or leaks (run under ASan).
 */
#include <jansson.h>

#include "kserve_fixtures.h"

/* Parses json for cfg and checks the status and that the message holds every needle. */
#define EXPECT_ERROR(cfg, json, ...)                                                               \
    expect_error(__LINE__, cfg, json, NULL, 0, TEST_MAX_ELEMENTS, __VA_ARGS__, NULL)

#define EXPECT_BINARY_ERROR(cfg, json, bin, bin_len, ...)                                          \
    expect_error(__LINE__, cfg, json, bin, bin_len, TEST_MAX_ELEMENTS, __VA_ARGS__, NULL)

static void expect_error(int line, const model_config_t *cfg, const char *json, const void *bin,
                         size_t bin_len, int64_t limit, status_t status, ...)
{
    size_t size = 0;
    char *body = join_body(json, bin, bin_len, &size);
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    status_t st;
    va_list ap;

    st = parse_body(cfg, body, size, strlen(json), limit, &req, &prefs, &err);
    va_start(ap, status);
    check_error_va(line, st, &err, status, ap);
    va_end(ap);
    /* Whatever the message holds, the error body built from it must be valid JSON. */
    {
        char *text = kserve_error_json(err.message);
        json_t *back = text ? json_loads(text, 0, NULL) : NULL;
        CHECK(back != NULL);
        json_decref(back);
        free(text);
    }
    request_free(req);
    free(body);
}

#define X_OK "{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":[1,2,3,4,5,6]}"
#define Y_OK "{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[1]}"

static void test_malformed_json(void)
{
    model_config_t cfg;
    static const char *const truncated[] = {
        "",
        "{",
        "{\"inputs\"",
        "{\"inputs\":[",
        "{\"inputs\":[{\"name\":\"x\"",
        "{\"inputs\":[" X_OK ",",
        "{\"inputs\":[" X_OK "," Y_OK "]",
    };

    simple_cfg(&cfg);
    for (size_t i = 0; i < sizeof truncated / sizeof truncated[0]; i++)
        EXPECT_ERROR(&cfg, truncated[i], STATUS_INVALID_ARGUMENT, "malformed JSON at line 1",
                     "column");
    EXPECT_ERROR(&cfg, "{\n  \"inputs\": [\n    {\"name\": }\n  ]\n}", STATUS_INVALID_ARGUMENT,
                 "malformed JSON at line 3, column");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "]} trailing", STATUS_INVALID_ARGUMENT,
                 "malformed JSON");
    EXPECT_ERROR(&cfg, "{\"inputs\":[],\"inputs\":[]}", STATUS_INVALID_ARGUMENT, "malformed JSON",
                 "duplicate");
    /* Invalid UTF-8 shows up in jansson's text; the error body must still be valid JSON. */
    EXPECT_ERROR(&cfg, "{\"id\":\"\xff\xfe\",\"inputs\":[]}", STATUS_INVALID_ARGUMENT,
                 "malformed JSON");
    EXPECT_ERROR(&cfg, "[1,2]", STATUS_INVALID_ARGUMENT, "JSON object", "an array");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "]}", STATUS_OK);
}

static void test_request_fields(void)
{
    model_config_t cfg;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg, "{\"id\":5,\"inputs\":[" X_OK "," Y_OK "]}", STATUS_INVALID_ARGUMENT,
                 "id must be a string");
    EXPECT_ERROR(&cfg, "{}", STATUS_INVALID_ARGUMENT, "inputs must be an array", "nothing");
    EXPECT_ERROR(&cfg, "{\"inputs\":{}}", STATUS_INVALID_ARGUMENT, "inputs must be an array",
                 "an object");
    EXPECT_ERROR(&cfg, "{\"inputs\":[7]}", STATUS_INVALID_ARGUMENT, "inputs[0] must be an object");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK ",{\"name\":3}]}", STATUS_INVALID_ARGUMENT,
                 "inputs[1].name must be a string");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":{}}", STATUS_INVALID_ARGUMENT,
                 "outputs must be an array");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[1]}", STATUS_INVALID_ARGUMENT,
                 "outputs[0] must be an object");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{}]}", STATUS_INVALID_ARGUMENT,
                 "outputs[0].name must be a string");
}

static void test_parameters(void)
{
    model_config_t cfg;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg, "{\"parameters\":[],\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters must be an object");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"priority\":-1},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.priority", "negative");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"priority\":\"high\"},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.priority", "a string");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"priority\":1.5},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.priority", "a real number");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"priority\":3},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.priority 3", "2 priority levels");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"timeout\":-5},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.timeout");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"timeout\":null},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.timeout", "null");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"binary_data_output\":1},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.binary_data_output", "boolean");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\","
                 "\"parameters\":{\"binary_data\":\"yes\"}}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum'", "binary_data must be a boolean");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\","
                 "\"parameters\":true}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum'", "parameters must be an object");
}

/* Nothing in a request is ignored: keys and parameters inferd does not serve are refused. */
static void test_unknown_keys_and_parameters(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "],\"output\":[]}", STATUS_INVALID_ARGUMENT,
                 "the request: unknown key 'output'", "id, parameters, inputs, outputs");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[1],\"dtype\":\"INT64\"}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y': unknown key 'dtype'");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\",\"binary\":1}]}",
                 STATUS_INVALID_ARGUMENT, "outputs[0]: unknown key 'binary'", "name, parameters");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"priorty\":1},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "unknown request parameter 'priorty'",
                 "priority, timeout, binary_data_output");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"headers\":{}},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "unknown request parameter 'headers'");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[1],\"parameters\":{\"binary_data\":true}}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y': unknown parameter 'binary_data'",
                 "binary_data_size, shared_memory_region");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\","
                 "\"parameters\":{\"binary_data_size\":24}}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum': unknown parameter 'binary_data_size'");
    /* A sequence is refused; the sequence parameters meaning "no sequence" are not. */
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"sequence_id\":7},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.sequence_id", "no sequence batcher");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"sequence_id\":\"s1\"},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.sequence_id");
    EXPECT_ERROR(&cfg, "{\"parameters\":{\"sequence_start\":true},\"inputs\":[" X_OK "," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "parameters.sequence_start");
    CHECK(parse_json(&cfg,
                     "{\"parameters\":{\"sequence_id\":0,\"sequence_start\":false,"
                     "\"sequence_end\":false},\"inputs\":[" X_OK "," Y_OK "]}",
                     &req, &prefs, &err) == STATUS_OK);
    request_free(req);
    CHECK(parse_json(&cfg, "{\"parameters\":{\"sequence_id\":\"\"},\"inputs\":[" X_OK "," Y_OK "]}",
                     &req, &prefs, &err) == STATUS_OK);
    request_free(req);
}

/* y INT64 [1] in shared memory, with the given parameters JSON (no braces). */
#define Y_SHM(params)                                                                              \
    "{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],\"parameters\":{" params "}}"

/* The shared memory parameters: what the parser checks alone, and what it leaves to the registry.
 */
static void test_shared_memory_parameters(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    char long_name[KSERVE_SHM_NAME_MAX + 2], json[512];

    simple_cfg(&cfg);
    /* An input in shared memory: checked, named in prefs, its data left for the front end. */
    CHECK(parse_json(
              &cfg,
              "{\"inputs\":[" X_OK
              "," Y_SHM("\"shared_memory_region\":\"in\","
                        "\"shared_memory_offset\":16,"
                        "\"shared_memory_byte_size\":8") "],"
                                                         "\"outputs\":[{\"name\":\"sum\","
                                                         "\"parameters\":{\"shared_memory_region\":"
                                                         "\"out\",\"shared_memory_byte_size\":100,"
                                                         "\"binary_data\":false}},"
                                                         "{\"name\":\"count\"}],\"parameters\":{"
                                                         "\"binary_data_output\":true}}",
              &req, &prefs, &err) == STATUS_OK);
    CHECK(req && req->inputs[1].data == NULL && req->inputs[1].dims[0] == 1);
    CHECK(prefs.shm_inputs[1].region && strcmp(prefs.shm_inputs[1].region, "in") == 0);
    CHECK(prefs.shm_inputs[1].offset == 16 && prefs.shm_inputs[1].byte_size == 8);
    CHECK(prefs.shm_inputs[0].region == NULL && req->inputs[0].data != NULL);
    CHECK(prefs.shm_outputs[0].region && strcmp(prefs.shm_outputs[0].region, "out") == 0);
    CHECK(prefs.shm_outputs[0].offset == 0 && prefs.shm_outputs[0].byte_size == 100);
    /* binary_data_output covers the outputs not in shared memory. */
    CHECK(prefs.binary_mask == 2 && req->output_mask == 3);
    request_free(req);

    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"in\"") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "parameters.shared_memory_region needs",
                 "shared_memory_byte_size");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_byte_size\":8") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "parameters.shared_memory_byte_size needs",
                 "shared_memory_region");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_offset\":8") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "parameters.shared_memory_offset needs");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"in\","
                                                "\"shared_memory_offset\":-8,"
                                                "\"shared_memory_byte_size\":8") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'",
                 "shared_memory_offset must be a non-negative", "a negative one");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"in\","
                                                "\"shared_memory_byte_size\":\"8\"") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "shared_memory_byte_size must be",
                 "a string");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":5,"
                                                "\"shared_memory_byte_size\":8") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "shared_memory_region must be a string");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"a/b\","
                                                "\"shared_memory_byte_size\":8") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "region name 'a/b'", "character 1");
    memset(long_name, 'r', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    snprintf(json, sizeof json,
             "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"%s\","
                                            "\"shared_memory_byte_size\":8") "]}",
             long_name);
    EXPECT_ERROR(&cfg, json, STATUS_INVALID_ARGUMENT, "input 'y'", "1 to 128 characters, got 129");
    /* The size must be the tensor's: [1] INT64 is 8 bytes. */
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"in\","
                                                "\"shared_memory_byte_size\":16") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "shared_memory_byte_size is 16 bytes",
                 "shape [1] of INT64 needs 8");
    /* Exactly one source of data. */
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[1],\"parameters\":{\"shared_memory_region\":\"in\","
                 "\"shared_memory_byte_size\":8}}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y' has more than one of");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_SHM("\"shared_memory_region\":\"in\","
                                                "\"shared_memory_byte_size\":8,"
                                                "\"binary_data_size\":8") "]}",
                 STATUS_INVALID_ARGUMENT, "input 'y' has more than one of");
    /* An output in shared memory is the tensor itself: not classified, not binary. */
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\",\"parameters\":"
                 "{\"shared_memory_region\":\"out\",\"shared_memory_byte_size\":24,"
                 "\"classification\":2}}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum'", "classification", "cannot go together");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\",\"parameters\":"
                 "{\"shared_memory_region\":\"out\",\"shared_memory_byte_size\":24,"
                 "\"binary_data\":true}}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum'", "binary_data true", "cannot go together");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\",\"parameters\":"
                 "{\"shared_memory_byte_size\":24}}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum'", "shared_memory_byte_size needs");
}

static void test_names(void)
{
    model_config_t cfg;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK
                 ",{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                 STATUS_INVALID_ARGUMENT, "unknown input 'z'", "model 'simple'");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "]}", STATUS_INVALID_ARGUMENT, "missing input 'y'");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" Y_OK "]}", STATUS_INVALID_ARGUMENT, "missing input 'x'");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "," X_OK "]}", STATUS_INVALID_ARGUMENT,
                 "duplicate input 'x'");
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"zz\"}]}",
                 STATUS_INVALID_ARGUMENT, "unknown output 'zz'");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK "," Y_OK "],\"outputs\":[{\"name\":\"sum\"},"
                 "{\"name\":\"sum\"}]}",
                 STATUS_INVALID_ARGUMENT, "output 'sum' is requested twice");
}

static void test_dtype_and_shape(void)
{
    model_config_t cfg;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT32\",\"shape\":[2,3],"
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "INT32", "model's FP32");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP128\",\"shape\":[2,3],"
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "unknown datatype 'FP128'");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,3],\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "datatype must be a string");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[6],"
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "rank 1", "expects 2", "[2,3]");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3,2],"
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "shape[0] is 3", "expects 2");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,-3],"
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "shape[1] must be a non-negative integer");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,\"3\"],"
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "shape[1]");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":\"2,3\","
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "shape must be an array", "a string");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
                 "\"data\":[1,2,3,4,5,6]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "shape must be an array", "nothing");
}

static void test_batch(void)
{
    model_config_t cfg;

    batched_cfg(&cfg);
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[5,3],"
                 "\"data\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},{\"name\":\"mask\","
                 "\"datatype\":\"BOOL\",\"shape\":[5,1],\"data\":[true,true,true,true,true]}]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "batch size 5 exceeds max_batch_size 4");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[0,3],"
                 "\"data\":[]},{\"name\":\"mask\",\"datatype\":\"BOOL\",\"shape\":[0,1],"
                 "\"data\":[]}]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "batch size 0");
    /* The client must send the batch dim. */
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3],"
                 "\"data\":[1,2,3]},{\"name\":\"mask\",\"datatype\":\"BOOL\",\"shape\":[1,1],"
                 "\"data\":[true]}]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "rank 1", "expects 2", "batch dim");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
                 "\"data\":[1,2,3]},{\"name\":\"mask\",\"datatype\":\"BOOL\",\"shape\":[2,1],"
                 "\"data\":[true,false]}]}",
                 STATUS_INVALID_ARGUMENT, "input 'mask'", "batch size 2", "input 'x'");
}

static void test_element_counts(void)
{
    model_config_t cfg;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                 "\"data\":[1,2,3,4,5,6,7]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "data has 7 elements", "[2,3]", "needs 6");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                 "\"data\":[[1,2],[4,5]]}," Y_OK "]}",
                 STATUS_INVALID_ARGUMENT, "input 'x'", "data has 4 elements", "needs 6");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[0],"
                 "\"data\":[1]}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "data has 1 elements", "needs 0");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":5}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "data must be an array");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[[[[[[[[[1]]]]]]]]]}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "deeper than 8");
    EXPECT_ERROR(
        &cfg, "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1]}]}",
        STATUS_INVALID_ARGUMENT, "input 'y'", "has none of: data, parameters.binary_data_size");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[1],\"parameters\":{\"binary_data_size\":8}}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "has more than one of: data");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[1],\"parameters\":7}]}",
                 STATUS_INVALID_ARGUMENT, "input 'y'", "parameters must be an object");
}

static void test_element_limit(void)
{
    model_config_t cfg;
    const char *json = "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\","
                       "\"shape\":[11],\"data\":[1,2,3,4,5,6,7,8,9,10,11]}]}";

    simple_cfg(&cfg);
    expect_error(__LINE__, &cfg, json, NULL, 0, 10, STATUS_LIMIT_EXCEEDED, "input 'y'",
                 "limit of 10", NULL);
    expect_error(__LINE__, &cfg, json, NULL, 0, 11, STATUS_OK, NULL);
    /* Huge dims fail on the limit before any product can overflow or memory is touched. */
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\","
                 "\"shape\":[9223372036854775807],\"data\":[]}]}",
                 STATUS_LIMIT_EXCEEDED, "input 'y'");
    /* An empty tensor's other dims too (fuzz_rest_infer: empty-tensor-huge-dim). */
    tensor_cfg(&cfg.inputs[1], "y", DTYPE_INT64, 2, INT64_C(-1), INT64_C(-1));
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\","
                 "\"shape\":[0,55555555555551],\"data\":[]}]}",
                 STATUS_LIMIT_EXCEEDED, "input 'y'");
    batched_cfg(&cfg);
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
                 "\"data\":[1,2,3]},{\"name\":\"mask\",\"datatype\":\"BOOL\","
                 "\"shape\":[4,4611686018427387904],\"parameters\":{\"binary_data_size\":0}}]}",
                 STATUS_LIMIT_EXCEEDED, "input 'mask'");
}

/*
 * A dtypes request whose input `bad` holds value as its element 2 (every
 * other element valid) fails naming the input, the element and needle;
 * with bad = DTYPE_UNDEFINED the request is all valid and must parse.
 */
static void expect_value_error(dtype_t bad, const char *value, const char *needle)
{
    model_config_t cfg;
    char json[4096];
    size_t used = 0;

    dtypes_cfg(&cfg);
    used += (size_t)snprintf(json, sizeof json, "{\"inputs\":[");
    for (int i = 0; i < N_ALL_DTYPES; i++) {
        char name[16];
        const char *v = all_dtypes[i] == DTYPE_BOOL ? "true" : "1";
        lower_name(all_dtypes[i], name, sizeof name);
        used += (size_t)snprintf(
            json + used, sizeof json - used,
            "%s{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":[4],\"data\":[%s,%s,%s,%s]}",
            i ? "," : "", name, dtype_kserve_name(all_dtypes[i]), v, v,
            all_dtypes[i] == bad ? value : v, v);
    }
    snprintf(json + used, sizeof json - used, "]}");
    if (bad == DTYPE_UNDEFINED) {
        EXPECT_ERROR(&cfg, json, STATUS_OK);
    } else {
        char name[16], input[32];
        lower_name(bad, name, sizeof name);
        snprintf(input, sizeof input, "input '%s'", name);
        EXPECT_ERROR(&cfg, json, STATUS_INVALID_ARGUMENT, input, "data[2]", needle);
    }
}

static void test_values(void)
{
    expect_value_error(DTYPE_UNDEFINED, "", "");
    expect_value_error(DTYPE_UINT8, "256", "out of range for UINT8");
    expect_value_error(DTYPE_UINT8, "-1", "out of range for UINT8");
    expect_value_error(DTYPE_INT8, "128", "out of range for INT8");
    expect_value_error(DTYPE_INT8, "-129", "out of range for INT8");
    expect_value_error(DTYPE_UINT16, "65536", "out of range for UINT16");
    expect_value_error(DTYPE_INT16, "-32769", "out of range for INT16");
    expect_value_error(DTYPE_UINT32, "4294967296", "out of range for UINT32");
    expect_value_error(DTYPE_UINT32, "-1", "out of range for UINT32");
    expect_value_error(DTYPE_INT32, "2147483648", "out of range for INT32");
    expect_value_error(DTYPE_INT32, "-2147483649", "out of range for INT32");
    expect_value_error(DTYPE_UINT64, "-1", "out of range for UINT64");
    expect_value_error(DTYPE_FLOAT, "1e39", "out of range for FP32");
    expect_value_error(DTYPE_FLOAT, "-1e39", "out of range for FP32");
    expect_value_error(DTYPE_FLOAT, "\"1.0\"", "must be a number for FP32");
    expect_value_error(DTYPE_DOUBLE, "null", "must be a number for FP64");
    expect_value_error(DTYPE_INT32, "1.5", "must be an integer for INT32");
    expect_value_error(DTYPE_INT64, "true", "must be an integer for INT64");
    expect_value_error(DTYPE_BOOL, "1", "must be true or false");
    expect_value_error(DTYPE_UINT8, "{}", "must be an integer for UINT8");
}

/* Past INT64 jansson itself refuses the number, so the message is a JSON one. */
static void test_integers_past_int64(void)
{
    model_config_t cfg;

    simple_cfg(&cfg);
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[9223372036854775808]}]}",
                 STATUS_INVALID_ARGUMENT, "malformed JSON", "too big");
    EXPECT_ERROR(&cfg,
                 "{\"inputs\":[" X_OK ",{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],"
                 "\"data\":[1e400]}]}",
                 STATUS_INVALID_ARGUMENT, "malformed JSON");
}

#define X_BIN                                                                                      \
    "{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"parameters\":{\"binary_data_size\":"  \
    "24}}"
#define Y_BIN                                                                                      \
    "{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[2],\"parameters\":{\"binary_data_size\":"   \
    "16}}"

static void test_binary_errors(void)
{
    model_config_t cfg;
    unsigned char bin[64] = {0};

    simple_cfg(&cfg);
    EXPECT_BINARY_ERROR(&cfg, "{\"inputs\":[" X_BIN "," Y_BIN "]}", bin, 40, STATUS_OK);
    EXPECT_BINARY_ERROR(&cfg,
                        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                        "\"parameters\":{\"binary_data_size\":20}}," Y_BIN "]}",
                        bin, 36, STATUS_INVALID_ARGUMENT, "input 'x'", "binary_data_size is 20",
                        "[2,3] of FP32 needs 24");
    EXPECT_BINARY_ERROR(&cfg, "{\"inputs\":[" X_BIN "," Y_BIN "]}", bin, 39,
                        STATUS_INVALID_ARGUMENT, "input 'y'", "runs past the end", "15 bytes left");
    EXPECT_BINARY_ERROR(&cfg, "{\"inputs\":[" X_BIN "," Y_BIN "]}", bin, 44,
                        STATUS_INVALID_ARGUMENT, "4 bytes of binary data left over");
    EXPECT_BINARY_ERROR(&cfg, "{\"inputs\":[" X_OK "," Y_OK "]}", bin, 1, STATUS_INVALID_ARGUMENT,
                        "1 bytes of binary data left over");
    EXPECT_BINARY_ERROR(&cfg,
                        "{\"inputs\":[" X_BIN ",{\"name\":\"y\",\"datatype\":\"INT64\","
                        "\"shape\":[2],\"parameters\":{\"binary_data_size\":-16}}]}",
                        bin, 40, STATUS_INVALID_ARGUMENT, "input 'y'",
                        "binary_data_size must be a non-negative integer");
    EXPECT_BINARY_ERROR(&cfg,
                        "{\"inputs\":[" X_BIN ",{\"name\":\"y\",\"datatype\":\"INT64\","
                        "\"shape\":[2],\"parameters\":{\"binary_data_size\":\"16\"}}]}",
                        bin, 40, STATUS_INVALID_ARGUMENT, "input 'y'", "binary_data_size");
    /* Binary data needs a header length; without one it is all JSON. */
    EXPECT_ERROR(&cfg, "{\"inputs\":[" X_BIN "," Y_BIN "]}", STATUS_INVALID_ARGUMENT, "input 'x'",
                 "runs past the end", "0 bytes left");
    {
        request_t *req = NULL;
        kserve_output_prefs_t prefs;
        error_t err;
        CHECK(parse_body(&cfg, "{}", 2, 3, TEST_MAX_ELEMENTS, &req, &prefs, &err) ==
              STATUS_INVALID_ARGUMENT);
        CHECK(contains_all(err.message, "Inference-Header-Content-Length 3", "2 bytes", NULL));
        request_free(req);
        /* An empty POST may come with no body buffer at all. */
        CHECK(parse_body(&cfg, NULL, 0, 0, TEST_MAX_ELEMENTS, &req, &prefs, &err) ==
              STATUS_INVALID_ARGUMENT);
        CHECK(contains_all(err.message, "malformed JSON at line 1, column 0", NULL));
        request_free(req);
    }
}

/* Parses body[0, size) and frees the result; a failure must come with a message. */
static void parse_any(const model_config_t *cfg, const char *body, size_t size, size_t header_len)
{
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    status_t st = parse_body(cfg, body, size, header_len, TEST_MAX_ELEMENTS, &req, &prefs, &err);

    if (st != STATUS_OK)
        CHECK(err.message[0] != '\0');
    request_free(req);
}

static void test_fuzz_prefixes_and_mutations(void)
{
    static const unsigned char replacements[] = {'{', '}', '[', ']', '"',  ',',  ':',
                                                 '1', '-', 'e', ' ', 0x00, 0x80, 0xff};
    model_config_t cfg;
    const char *json = "{\"id\":\"a\\u00e9\",\"parameters\":{\"priority\":1,\"timeout\":9,"
                       "\"binary_data_output\":true},\"inputs\":[{\"name\":\"y\","
                       "\"datatype\":\"INT64\",\"shape\":[2],\"parameters\":"
                       "{\"binary_data_size\":16}},{\"name\":\"x\",\"datatype\":\"FP32\","
                       "\"shape\":[2,3],\"data\":[[1.5,2,3],[4,5,6e-3]]}],\"outputs\":"
                       "[{\"name\":\"flag\",\"parameters\":{\"binary_data\":false}},"
                       "{\"name\":\"sum\"}]}";
    unsigned char bin[16];
    size_t size = 0, header_len = strlen(json);
    char *body;

    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)i;
    body = join_body(json, bin, sizeof bin, &size);
    simple_cfg(&cfg);
    parse_any(&cfg, body, size, header_len);
    {
        request_t *req = NULL;
        kserve_output_prefs_t prefs;
        error_t err;
        CHECK(parse_body(&cfg, body, size, header_len, TEST_MAX_ELEMENTS, &req, &prefs, &err) ==
              STATUS_OK);
        request_free(req);
    }
    /* Every prefix: as a JSON-only body, and cut inside the JSON or the binary section. */
    for (size_t n = 0; n < size; n++) {
        parse_any(&cfg, body, n, n < header_len ? n : header_len);
        if (n < header_len)
            parse_any(&cfg, body, n, n);
    }
    /* Every byte of the JSON replaced by each of a few troublesome ones. */
    for (size_t i = 0; i < header_len; i++) {
        char saved = body[i];
        for (size_t r = 0; r < sizeof replacements; r++) {
            body[i] = (char)replacements[r];
            parse_any(&cfg, body, size, header_len);
        }
        body[i] = saved;
    }
    free(body);
}

int main(void)
{
    test_malformed_json();
    test_request_fields();
    test_parameters();
    test_unknown_keys_and_parameters();
    test_shared_memory_parameters();
    test_names();
    test_dtype_and_shape();
    test_batch();
    test_element_counts();
    test_element_limit();
    test_values();
    test_integers_past_int64();
    test_binary_errors();
    test_fuzz_prefixes_and_mutations();
    CHECK_DONE();
}
