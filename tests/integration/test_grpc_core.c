/*
 * test_grpc_core.c - the gRPC front end driven by a client on the gRPC C
 * core API (grpc_test_client.h), messages encoded and read field by field:
 * every RPC, every error status, ModelStreamInfer, client deadlines (a
 * deadline shorter than the queue delay answers DEADLINE_EXCEEDED and the
 * request never runs), HTTP and gRPC requests batched together, outputs
 * equal to the REST API's, and the drain on SIGTERM.
 *
 * The models are the harness's affine model (y = 3x + 1, z = -x) under
 * several configs, so every output is checked exactly.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "grpc_test_client.h"
#include "harness.h"

#define WATCHDOG_SECS 240
#define WIDTH         4
#define SCALE         3
#define BIAS          1
/* Requests of each protocol in the mixed batch (one batch of twice this many). */
#define MIXED_PER_PROTOCOL 8
/* Messages in one stream. */
#define STREAM_MESSAGES 24
/* A message over the server's --max-body-bytes. */
#define MAX_BODY_BYTES 65536

#define SERVICE "/inference.GRPCInferenceService/"

/* Field numbers of inference.proto (and Triton's grpc_service.proto). */
enum {
    F_INFER_MODEL_NAME = 1,
    F_INFER_MODEL_VERSION = 2,
    F_INFER_ID = 3,
    F_INFER_PARAMETERS = 4,
    F_INFER_INPUTS = 5,
    F_INFER_OUTPUTS = 6,
    F_INFER_RAW = 7,
    F_TENSOR_NAME = 1,
    F_TENSOR_DATATYPE = 2,
    F_TENSOR_SHAPE = 3,
    F_TENSOR_CONTENTS = 5,
    F_CONTENTS_FP32 = 6,
    F_PARAM_INT64 = 2,
    F_RESPONSE_OUTPUTS = 5,
    F_RESPONSE_RAW = 6,
    F_STREAM_ERROR = 1,
    F_STREAM_RESPONSE = 2,
};

static const struct {
    const char *name, *config;
} models[] = {
    {"affine", "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
               " 1000}}"},
    /* Waits 1.5 s for company: a shorter client deadline expires in the queue. */
    {"slow", "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
             " 1500000}}"},
    /* Runs once 16 rows are queued, from whichever protocol. */
    {"mixed", "{\"max_batch_size\": 16, \"dynamic_batching\": {\"preferred_batch_size\": [16],"
              " \"max_queue_delay_microseconds\": 10000000}}"},
    /* One pending request at most, held for a second. */
    {"tiny", "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
             " 1000000, \"max_queue_size\": 1}}"},
};

/* y = reshape(x, [-1]): the output loses the batch dim, so the batch cannot be split. */
static const char flatten_script[] =
    "import sys, onnx\n"
    "from onnx import helper, TensorProto\n"
    "shape = helper.make_tensor('shape', TensorProto.INT64, [1], [-1])\n"
    "node = helper.make_node('Reshape', ['x', 'shape'], ['y'])\n"
    "graph = helper.make_graph([node], 'flatten',\n"
    "    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 4])],\n"
    "    [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['n'])], [shape])\n"
    "onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)]), "
    "sys.argv[1])\n";

static harness_server_t *server;
static grpc_channel *channel;

static bool make_flatten_model(const char *path)
{
    const char *argv[] = {"/usr/bin/python3", "-c", flatten_script, path, NULL};
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

static char *make_repository(void)
{
    char *repo = harness_temp_dir();
    bool ok = repo != NULL;

    for (size_t i = 0; ok && i < sizeof models / sizeof models[0]; i++) {
        char *path = harness_format("%s/%s/1/model.onnx", repo, models[i].name);
        ok = harness_make_affine_model(path, SCALE, BIAS) &&
             harness_write_config(repo, models[i].name, models[i].config);
        free(path);
    }
    if (ok) {
        char *dir = harness_format("%s/flatten/1", repo);
        char *path = harness_format("%s/model.onnx", dir);
        ok = harness_mkdirs(dir) && make_flatten_model(path) &&
             harness_write_config(repo, "flatten", "{\"max_batch_size\": 8}");
        free(path);
        free(dir);
    }
    CHECK(ok);
    return repo;
}

/* ---- request builders ---- */

static void input_values(float *x, int rows, float offset)
{
    for (int i = 0; i < rows * WIDTH; i++)
        x[i] = (float)i * 0.25f - 1.5f + offset;
}

/* A ModelInferRequest for model with rows rows of x (raw or typed), asking for outputs. */
static pb_buf_t infer_message(const char *model, const char *id, const float *x, int rows, bool raw,
                              const char *const *outputs)
{
    pb_buf_t m = {0}, in = {0}, contents = {0};
    int64_t shape[2] = {rows, WIDTH};

    pb_string(&m, F_INFER_MODEL_NAME, model);
    if (id)
        pb_string(&m, F_INFER_ID, id);
    pb_string(&in, F_TENSOR_NAME, "x");
    pb_string(&in, F_TENSOR_DATATYPE, "FP32");
    pb_packed_int64(&in, F_TENSOR_SHAPE, shape, 2);
    if (!raw) {
        pb_packed_float(&contents, F_CONTENTS_FP32, x, rows * WIDTH);
        pb_message(&in, F_TENSOR_CONTENTS, &contents);
    }
    pb_message(&m, F_INFER_INPUTS, &in);
    for (int i = 0; outputs && outputs[i]; i++) {
        pb_buf_t out = {0};
        pb_string(&out, F_TENSOR_NAME, outputs[i]);
        pb_message(&m, F_INFER_OUTPUTS, &out);
    }
    if (raw)
        pb_bytes(&m, F_INFER_RAW, x, (size_t)rows * WIDTH * sizeof *x);
    return m;
}

/* Adds the request parameter key = value (int64_param). */
static void add_parameter(pb_buf_t *m, const char *key, int64_t value)
{
    pb_buf_t entry = {0}, param = {0};

    pb_varint(&param, F_PARAM_INT64, (uint64_t)value);
    pb_string(&entry, 1, key);
    pb_message(&entry, 2, &param);
    pb_message(m, F_INFER_PARAMETERS, &entry);
}

static gtc_result_t call(const char *method, pb_buf_t *msg, int timeout_ms)
{
    gtc_result_t r = gtc_unary(channel, method, msg, timeout_ms);
    if (msg) {
        free(msg->data);
        memset(msg, 0, sizeof *msg);
    }
    return r;
}

/* A request message of one string field (name-style requests). */
static pb_buf_t named(int field, const char *name)
{
    pb_buf_t m = {0};
    if (name)
        pb_string(&m, field, name);
    return m;
}

/* The call must fail with status and a message holding fragment. */
static void expect_status(gtc_result_t r, grpc_status_code status, const char *fragment, int line)
{
    if (r.status != status || (fragment && !strstr(r.details, fragment))) {
        fprintf(stderr, "line %d: got status %d '%s', wanted %d with '%s'\n", line, r.status,
                r.details, status, fragment ? fragment : "");
        check_failures++;
    }
    gtc_result_free(&r);
}
#define EXPECT_STATUS(r, status, fragment) expect_status((r), (status), (fragment), __LINE__)

/* Checks a ModelInferResponse holding y (and z when both) for x exactly. */
static void check_outputs(const unsigned char *body, size_t size, const float *x, int rows,
                          bool with_z)
{
    char text[64];
    pb_field_t y_meta = pb_get(body, size, F_RESPONSE_OUTPUTS, 0);
    pb_field_t y = pb_get(body, size, F_RESPONSE_RAW, 0);
    pb_field_t z = pb_get(body, size, F_RESPONSE_RAW, 1);

    CHECK(pb_count(body, size, F_RESPONSE_OUTPUTS) == (with_z ? 2 : 1));
    CHECK(strcmp(pb_text(pb_get(y_meta.data, y_meta.size, F_TENSOR_NAME, 0), text, sizeof text),
                 "y") == 0);
    CHECK(strcmp(pb_text(pb_get(y_meta.data, y_meta.size, F_TENSOR_DATATYPE, 0), text, sizeof text),
                 "FP32") == 0);
    CHECK(y.found && y.size == (size_t)rows * WIDTH * sizeof(float));
    CHECK(!with_z || (z.found && z.size == y.size));
    for (int i = 0; y.found && y.size == (size_t)rows * WIDTH * sizeof(float) && i < rows * WIDTH;
         i++) {
        float yv, zv;
        memcpy(&yv, y.data + i * sizeof(float), sizeof yv);
        CHECK(yv == x[i] * SCALE + BIAS);
        if (with_z && z.found && z.size == y.size) {
            memcpy(&zv, z.data + i * sizeof(float), sizeof zv);
            CHECK(zv == -x[i]);
        }
    }
}

/* The stats JSON of model over HTTP: execution and inference counts. */
static void http_counts(const char *model, int64_t *executions, int64_t *inferences,
                        int64_t *failures)
{
    char *path = harness_format("/v2/models/%s/stats", model);
    harness_response_t r = harness_get(harness_http_port(server), path);
    json_t *root = harness_json(&r);
    json_t *m = json_array_get(json_object_get(root, "model_stats"), 0);

    *executions = json_integer_value(json_object_get(m, "execution_count"));
    *inferences = json_integer_value(json_object_get(m, "inference_count"));
    *failures = json_integer_value(
        json_object_get(json_object_get(json_object_get(m, "inference_stats"), "fail"), "count"));
    json_decref(root);
    harness_response_free(&r);
    free(path);
}

/* ---- the tests ---- */

static void test_health_and_metadata(void)
{
    char text[128];
    pb_buf_t m;
    gtc_result_t r;
    pb_field_t f;

    r = call(SERVICE "ServerLive", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 1);
    gtc_result_free(&r);
    r = call(SERVICE "ServerReady", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 1);
    gtc_result_free(&r);

    m = named(1, "affine");
    r = call(SERVICE "ModelReady", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 1);
    gtc_result_free(&r);
    /* An unknown model is not ready: OK with ready false (Triton's answer), not NOT_FOUND. */
    m = named(1, "nope");
    r = call(SERVICE "ModelReady", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 0);
    gtc_result_free(&r);
    m = named(1, "affine");
    pb_string(&m, 2, "-1");
    EXPECT_STATUS(call(SERVICE "ModelReady", &m, 0), GRPC_STATUS_INVALID_ARGUMENT, "'-1'");

    r = call(SERVICE "ServerMetadata", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    CHECK(strcmp(pb_text(pb_get(r.body, r.size, 1, 0), text, sizeof text), "inferd") == 0);
    CHECK(pb_count(r.body, r.size, 3) >= 2);
    gtc_result_free(&r);

    m = named(1, "affine");
    r = call(SERVICE "ModelMetadata", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    CHECK(strcmp(pb_text(pb_get(r.body, r.size, 1, 0), text, sizeof text), "affine") == 0);
    CHECK(strcmp(pb_text(pb_get(r.body, r.size, 2, 0), text, sizeof text), "1") == 0);
    f = pb_get(r.body, r.size, 4, 0); /* inputs[0] */
    CHECK(strcmp(pb_text(pb_get(f.data, f.size, 1, 0), text, sizeof text), "x") == 0);
    f = pb_get(f.data, f.size, 3, 0); /* shape, packed */
    CHECK(f.found && f.size == 11);   /* -1 (10 bytes) and 4 */
    CHECK(pb_count(r.body, r.size, 5) == 2);
    gtc_result_free(&r);
    m = named(1, "nope");
    EXPECT_STATUS(call(SERVICE "ModelMetadata", &m, 0), GRPC_STATUS_NOT_FOUND, "nope");

    m = named(1, "mixed");
    r = call(SERVICE "ModelConfig", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    f = pb_get(r.body, r.size, 1, 0); /* config */
    CHECK(strcmp(pb_text(pb_get(f.data, f.size, 1, 0), text, sizeof text), "mixed") == 0);
    CHECK(pb_get(f.data, f.size, 4, 0).value == 16); /* max_batch_size */
    CHECK(
        pb_get(pb_get(f.data, f.size, 5, 0).data, pb_get(f.data, f.size, 5, 0).size, 2, 0).value ==
        11);                                 /* input data_type TYPE_FP32 */
    CHECK(pb_count(f.data, f.size, 6) == 2); /* outputs */
    CHECK(pb_get(pb_get(f.data, f.size, 11, 0).data, pb_get(f.data, f.size, 11, 0).size, 2, 0)
              .value == 10000000); /* dynamic_batching.max_queue_delay_microseconds */
    gtc_result_free(&r);
    m = named(1, "nope");
    EXPECT_STATUS(call(SERVICE "ModelConfig", &m, 0), GRPC_STATUS_NOT_FOUND, "nope");

    r = call(SERVICE "RepositoryIndex", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_count(r.body, r.size, 1) == 5);
    f = pb_get(r.body, r.size, 1, 0);
    CHECK(strcmp(pb_text(pb_get(f.data, f.size, 3, 0), text, sizeof text), "READY") == 0);
    gtc_result_free(&r);

    r = call("/grpc.health.v1.Health/Check", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 1); /* SERVING */
    gtc_result_free(&r);
    m = named(1, "other.Service");
    EXPECT_STATUS(call("/grpc.health.v1.Health/Check", &m, 0), GRPC_STATUS_NOT_FOUND,
                  "other.Service");
    EXPECT_STATUS(call(SERVICE "TraceSetting", NULL, 0), GRPC_STATUS_UNIMPLEMENTED, "TraceSetting");
}

static void test_infer(void)
{
    static const char *const only_y[] = {"y", NULL};
    float x[3 * WIDTH];
    pb_buf_t m;
    gtc_result_t r;
    char text[64], *json;
    harness_response_t h;

    input_values(x, 3, 0);
    m = infer_message("affine", "req-1", x, 3, true, NULL);
    r = call(SERVICE "ModelInfer", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    CHECK(strcmp(pb_text(pb_get(r.body, r.size, F_INFER_MODEL_NAME, 0), text, sizeof text),
                 "affine") == 0);
    CHECK(strcmp(pb_text(pb_get(r.body, r.size, F_INFER_MODEL_VERSION, 0), text, sizeof text),
                 "1") == 0);
    CHECK(strcmp(pb_text(pb_get(r.body, r.size, F_INFER_ID, 0), text, sizeof text), "req-1") == 0);
    check_outputs(r.body, r.size, x, 3, true);
    gtc_result_free(&r);

    /* Typed contents, one output asked for, parameters and a version. */
    m = infer_message("affine", NULL, x, 3, false, only_y);
    add_parameter(&m, "priority", 1);
    add_parameter(&m, "timeout", 10000000);
    pb_string(&m, F_INFER_MODEL_VERSION, "1");
    r = call(SERVICE "ModelInfer", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    check_outputs(r.body, r.size, x, 3, false);

    /* The same input over REST gives the same bytes. */
    json = harness_format("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3,4],"
                          "\"data\":[%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,"
                          "%.9g]}],\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":"
                          "true}}]}",
                          x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11]);
    h = harness_post(harness_http_port(server), "/v2/models/affine/infer", json);
    {
        size_t size = 0;
        const unsigned char *bin = harness_binary(&h, &size);
        pb_field_t y = pb_get(r.body, r.size, F_RESPONSE_RAW, 0);
        CHECK(h.status == 200 && bin && size == y.size && memcmp(bin, y.data, size) == 0);
    }
    harness_response_free(&h);
    free(json);
    gtc_result_free(&r);
}

static void test_infer_errors(void)
{
    float x[9 * WIDTH];
    pb_buf_t m, in = {0};
    int64_t shape[2] = {1, 3};

    input_values(x, 9, 0);
    m = infer_message("nope", NULL, x, 1, true, NULL);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_NOT_FOUND, "unknown model 'nope'");
    m = infer_message("affine", NULL, x, 1, true, NULL);
    pb_string(&m, F_INFER_MODEL_VERSION, "2");
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_NOT_FOUND, "no version 2");
    m = infer_message("affine", NULL, x, 9, true, NULL);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_INVALID_ARGUMENT,
                  "exceeds max_batch_size 8");
    /* Shape [1, 3] with 12 bytes of raw data. */
    pb_string(&m, F_INFER_MODEL_NAME, "affine");
    pb_string(&in, F_TENSOR_NAME, "x");
    pb_string(&in, F_TENSOR_DATATYPE, "FP32");
    pb_packed_int64(&in, F_TENSOR_SHAPE, shape, 2);
    pb_message(&m, F_INFER_INPUTS, &in);
    pb_bytes(&m, F_INFER_RAW, x, 3 * sizeof *x);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_INVALID_ARGUMENT,
                  "shape[1] is 3, the model expects 4");
    m = infer_message("affine", NULL, x, 1, true, NULL);
    m.len -= 4; /* the raw bytes end short: the field's length says 16, 12 follow */
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_INVALID_ARGUMENT,
                  "not a valid inference.ModelInferRequest");
    m = infer_message("affine", NULL, x, 1, true, (const char *const[]){"w", NULL});
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_INVALID_ARGUMENT,
                  "unknown output 'w'");
    m = infer_message("affine", NULL, x, 1, true, NULL);
    add_parameter(&m, "priority", 5);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_INVALID_ARGUMENT,
                  "parameters.priority 5");
    /* Over --max-body-bytes: refused by the transport before any parsing. */
    m = infer_message("affine", NULL, x, 1, true, NULL);
    {
        unsigned char *pad = calloc(1, MAX_BODY_BYTES);
        pb_bytes(&m, 15, pad, MAX_BODY_BYTES);
        free(pad);
    }
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_RESOURCE_EXHAUSTED, NULL);
    /* The model itself fails: its output cannot be split between requests. */
    m = infer_message("flatten", NULL, x, 1, true, NULL);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_INTERNAL, "cannot be split");
}

/* A request held by tiny's queue (one slot, 1 s delay). */
static void *tiny_request(void *arg)
{
    float x[WIDTH];
    pb_buf_t m;
    gtc_result_t r;

    input_values(x, 1, 0);
    m = infer_message("tiny", NULL, x, 1, true, NULL);
    r = call(SERVICE "ModelInfer", &m, 0);
    *(grpc_status_code *)arg = r.status;
    gtc_result_free(&r);
    return NULL;
}

static void test_queue_full(void)
{
    grpc_status_code first = GRPC_STATUS_UNKNOWN;
    pthread_t t;
    float x[WIDTH];
    pb_buf_t m;

    input_values(x, 1, 0);
    pthread_create(&t, NULL, tiny_request, &first);
    harness_sleep_ms(300);
    m = infer_message("tiny", NULL, x, 1, true, NULL);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 0), GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "queue is full");
    pthread_join(t, NULL);
    CHECK(first == GRPC_STATUS_OK);
}

static void test_deadline(void)
{
    int64_t executions, inferences, failures, executions2, inferences2, failures2;
    float x[WIDTH];
    pb_buf_t m;
    gtc_result_t r;

    input_values(x, 1, 0);
    http_counts("slow", &executions, &inferences, &failures);
    m = infer_message("slow", NULL, x, 1, true, NULL);
    EXPECT_STATUS(call(SERVICE "ModelInfer", &m, 300), GRPC_STATUS_DEADLINE_EXCEEDED, NULL);
    /* Past the 1.5 s queue delay: had it stayed queued, it would have run by now. */
    harness_sleep_ms(2000);
    http_counts("slow", &executions2, &inferences2, &failures2);
    CHECK(executions2 == executions && inferences2 == inferences);
    CHECK(failures2 == failures + 1);
    /* A deadline longer than the delay is met. */
    m = infer_message("slow", NULL, x, 1, true, NULL);
    r = call(SERVICE "ModelInfer", &m, 10000);
    CHECK(r.status == GRPC_STATUS_OK);
    check_outputs(r.body, r.size, x, 1, true);
    gtc_result_free(&r);
}

static void test_stream(void)
{
    pb_buf_t msgs[STREAM_MESSAGES + 2];
    gtc_result_t answers[STREAM_MESSAGES + 4], final;
    float x[STREAM_MESSAGES][2 * WIDTH];
    bool seen[STREAM_MESSAGES] = {false};
    int n = 0, got, errors = 0;
    char text[128];

    for (int i = 0; i < STREAM_MESSAGES; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        input_values(x[i], 2, (float)i);
        msgs[n++] = infer_message("affine", id, x[i], 2, i % 2 == 0, NULL);
    }
    msgs[n++] = infer_message("nope", "bad-model", x[0], 2, true, NULL);
    msgs[n++] = infer_message("affine", "bad-rows", x[0], 9, true, NULL);
    got = gtc_stream(channel, SERVICE "ModelStreamInfer", msgs, n, answers,
                     (int)(sizeof answers / sizeof answers[0]), &final, 0);
    CHECK(got == n);
    CHECK(final.status == GRPC_STATUS_OK);
    for (int a = 0; a < got; a++) {
        pb_field_t err = pb_get(answers[a].body, answers[a].size, F_STREAM_ERROR, 0);
        pb_field_t resp = pb_get(answers[a].body, answers[a].size, F_STREAM_RESPONSE, 0);
        const char *id = pb_text(pb_get(resp.data, resp.size, F_INFER_ID, 0), text, sizeof text);
        char *end;
        long i = strtol(id, &end, 10);

        if (err.found && err.size > 0) {
            char message[256];
            pb_text(err, message, sizeof message);
            errors++;
            CHECK((strcmp(id, "bad-model") == 0 && strstr(message, "unknown model 'nope'")) ||
                  (strcmp(id, "bad-rows") == 0 && strstr(message, "max_batch_size")));
        } else {
            bool known = *end == '\0' && i >= 0 && i < STREAM_MESSAGES;
            CHECK(known);
            if (known) {
                seen[i] = true;
                check_outputs(resp.data, resp.size, x[i], 2, true);
            }
        }
        gtc_result_free(&answers[a]);
    }
    CHECK(errors == 2);
    for (int i = 0; i < STREAM_MESSAGES; i++)
        CHECK(seen[i]);
    for (int i = 0; i < n; i++)
        free(msgs[i].data);

    /* An empty stream ends at once with OK. */
    got = gtc_stream(channel, SERVICE "ModelStreamInfer", NULL, 0, answers, 1, &final, 0);
    CHECK(got == 0 && final.status == GRPC_STATUS_OK);
}

/* One request of the mixed batch: even i over gRPC, odd i over HTTP. */
static void mixed_request(int i, void *arg)
{
    float x[WIDTH];
    bool *ok = arg;

    input_values(x, 1, (float)i);
    if (i % 2 == 0) {
        pb_buf_t m = infer_message("mixed", NULL, x, 1, true, NULL);
        gtc_result_t r = call(SERVICE "ModelInfer", &m, 0);
        ok[i] = r.status == GRPC_STATUS_OK;
        if (ok[i])
            check_outputs(r.body, r.size, x, 1, true);
        gtc_result_free(&r);
    } else {
        char *json = harness_format("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":"
                                    "[1,4],\"data\":[%.9g,%.9g,%.9g,%.9g]}]}",
                                    x[0], x[1], x[2], x[3]);
        harness_response_t h =
            harness_post(harness_http_port(server), "/v2/models/mixed/infer", json);
        json_t *root = harness_json(&h);
        json_t *y = json_object_get(json_array_get(json_object_get(root, "outputs"), 0), "data");
        ok[i] = h.status == 200 && json_array_size(y) == WIDTH;
        for (size_t k = 0; ok[i] && k < WIDTH; k++)
            ok[i] = (float)json_number_value(json_array_get(y, k)) == x[k] * SCALE + BIAS;
        json_decref(root);
        harness_response_free(&h);
        free(json);
    }
}

static void test_mixed_batching(void)
{
    bool ok[2 * MIXED_PER_PROTOCOL] = {false};
    int64_t executions, inferences, failures, executions2, inferences2, failures2;
    double start;

    http_counts("mixed", &executions, &inferences, &failures);
    start = harness_now_ms();
    harness_parallel(2 * MIXED_PER_PROTOCOL, mixed_request, ok);
    http_counts("mixed", &executions2, &inferences2, &failures2);
    for (int i = 0; i < 2 * MIXED_PER_PROTOCOL; i++)
        CHECK(ok[i]);
    CHECK(inferences2 - inferences == 2 * MIXED_PER_PROTOCOL);
    /* Executions < requests: here one batch of 16 holding both protocols' requests. */
    CHECK(executions2 - executions == 1);
    /* The preferred size ran it, not the 10 s delay. */
    CHECK(harness_now_ms() - start < 8000);
}

static void test_statistics(void)
{
    pb_buf_t m = named(1, "affine");
    gtc_result_t r = call(SERVICE "ModelStatistics", &m, 0);
    pb_field_t s;
    char text[64];

    CHECK(r.status == GRPC_STATUS_OK && pb_count(r.body, r.size, 1) == 1);
    s = pb_get(r.body, r.size, 1, 0);
    CHECK(strcmp(pb_text(pb_get(s.data, s.size, 1, 0), text, sizeof text), "affine") == 0);
    CHECK(pb_get(s.data, s.size, 3, 0).value > 0); /* last_inference */
    CHECK(pb_get(s.data, s.size, 4, 0).value > 0); /* inference_count */
    CHECK(pb_get(s.data, s.size, 5, 0).value > 0); /* execution_count */
    gtc_result_free(&r);
    r = call(SERVICE "ModelStatistics", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_count(r.body, r.size, 1) == 5);
    gtc_result_free(&r);
    m = named(1, "nope");
    EXPECT_STATUS(call(SERVICE "ModelStatistics", &m, 0), GRPC_STATUS_NOT_FOUND, "nope");
}

static void test_repository_control(const char *repo)
{
    static const char *const explicit_mode[] = {"--model-control-mode", "explicit", NULL};
    harness_server_t *s = harness_start(repo, explicit_mode);
    grpc_channel *ch;
    float x[WIDTH];
    pb_buf_t m;
    gtc_result_t r;

    CHECK(s != NULL);
    if (!s)
        return;
    ch = gtc_channel(harness_grpc_port(s));
    input_values(x, 1, 0);
    m = named(2, "affine");
    r = gtc_unary(ch, SERVICE "RepositoryModelLoad", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    gtc_result_free(&r);
    free(m.data);
    m = infer_message("affine", NULL, x, 1, true, NULL);
    r = gtc_unary(ch, SERVICE "ModelInfer", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    gtc_result_free(&r);
    free(m.data);
    m = named(2, "affine");
    r = gtc_unary(ch, SERVICE "RepositoryModelUnload", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    gtc_result_free(&r);
    free(m.data);
    m = infer_message("affine", NULL, x, 1, true, NULL);
    EXPECT_STATUS(gtc_unary(ch, SERVICE "ModelInfer", &m, 0), GRPC_STATUS_UNAVAILABLE, "not ready");
    free(m.data);
    m = named(1, "affine");
    r = gtc_unary(ch, SERVICE "ModelReady", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK && !pb_get(r.body, r.size, 1, 0).value);
    gtc_result_free(&r);
    free(m.data);
    m = named(2, "nope");
    EXPECT_STATUS(gtc_unary(ch, SERVICE "RepositoryModelLoad", &m, 0), GRPC_STATUS_NOT_FOUND, NULL);
    free(m.data);
    grpc_channel_destroy(ch);
    CHECK(HARNESS_STOP(s) == 0);
}

static void test_drain(const char *repo)
{
    static const char *const delay[] = {"--drain-delay-secs", "2", NULL};
    harness_server_t *s = harness_start(repo, delay);
    grpc_channel *ch;
    float x[WIDTH];
    pb_buf_t m;
    gtc_result_t r;

    CHECK(s != NULL);
    if (!s)
        return;
    ch = gtc_channel(harness_grpc_port(s));
    input_values(x, 1, 0);
    harness_signal(s, SIGTERM);
    CHECK(harness_wait_log(s, "not ready", 10000));
    r = gtc_unary(ch, "/grpc.health.v1.Health/Check", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 2); /* NOT_SERVING */
    gtc_result_free(&r);
    r = gtc_unary(ch, SERVICE "ServerReady", NULL, 0);
    CHECK(r.status == GRPC_STATUS_OK && pb_get(r.body, r.size, 1, 0).value == 0);
    gtc_result_free(&r);
    /* Still served during the drain delay; the queued one completes during the drain. */
    m = infer_message("slow", NULL, x, 1, true, NULL);
    r = gtc_unary(ch, SERVICE "ModelInfer", &m, 0);
    CHECK(r.status == GRPC_STATUS_OK);
    gtc_result_free(&r);
    free(m.data);
    CHECK(harness_wait_exit(s, 20000) == 0);
    /* Gone: the channel cannot reach it any more. */
    r = gtc_unary(ch, SERVICE "ServerLive", NULL, 2000);
    CHECK(r.status == GRPC_STATUS_UNAVAILABLE || r.status == GRPC_STATUS_DEADLINE_EXCEEDED);
    gtc_result_free(&r);
    grpc_channel_destroy(ch);
    CHECK(HARNESS_STOP(s) == 0);
}

int main(void)
{
    static const char *const limit[] = {"--max-body-bytes", "65536", NULL};
    char *repo;

    harness_init(WATCHDOG_SECS);
    gtc_init();
    repo = make_repository();
    server = harness_start(repo, limit);
    CHECK(server != NULL);
    if (server) {
        CHECK(harness_grpc_port(server) > 0);
        channel = gtc_channel(harness_grpc_port(server));
        test_health_and_metadata();
        test_infer();
        test_infer_errors();
        test_queue_full();
        test_deadline();
        test_stream();
        test_mixed_batching();
        test_statistics();
        grpc_channel_destroy(channel);
        CHECK(HARNESS_STOP(server) == 0);
        test_repository_control(repo);
        test_drain(repo);
    }
    harness_remove_tree(repo);
    free(repo);
    grpc_shutdown();
    CHECK_DONE();
}
