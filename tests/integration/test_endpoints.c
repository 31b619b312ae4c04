/*
 * test_endpoints.c - every KServe v2 endpoint of a running inferd, in JSON
 * and with the binary tensor extension, checking actual values:
 *
 *   affine  y = 2x + 1, z = -x (a model written here, so results are exact)
 *   mlp     the example classifier: JSON and binary agree, a batch of two
 *           rows equals the two single rows, softmax rows sum to 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"

#define MLP_IN  16
#define MLP_OUT 4
/* The affine model's row width. */
#define AFFINE_WIDTH  4
#define WATCHDOG_SECS 120

static const char affine_config[] =
    "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\": 100,"
    " \"priority_levels\": 2}}";

/* Input value of mlp row r, column c: distinct, signed, non-trivial. */
static float mlp_input(int r, int c)
{
    return (float)((c - 7) * 0.25 + r * 0.5);
}

/* Flat JSON data of rows [first, first + n) of mlp_input. */
static char *mlp_data(int first, int n)
{
    char *text = harness_format("[");
    for (int r = first; r < first + n; r++)
        for (int c = 0; c < MLP_IN; c++) {
            char *next = harness_format("%s%s%.9g", text, r == first && c == 0 ? "" : ",",
                                        (double)mlp_input(r, c));
            free(text);
            text = next;
        }
    char *done = harness_format("%s]", text);
    free(text);
    return done;
}

/* The "data" array of output `name` in an infer response, or NULL. */
static json_t *output_data(json_t *response, const char *name)
{
    size_t i;
    json_t *out;

    json_array_foreach(json_object_get(response, "outputs"), i, out)
    {
        if (strcmp(json_string_value(json_object_get(out, "name")), name) == 0)
            return json_object_get(out, "data");
    }
    return NULL;
}

/* Runs one mlp JSON request of rows [first, first + n) and stores the outputs in probs. */
static bool mlp_json(int port, int first, int n, float *probs)
{
    char *data = mlp_data(first, n);
    char *body = harness_format(
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[%d,16],\"datatype\":\"FP32\",\"data\":%s}]}",
        n, data);
    harness_response_t r = harness_post(port, "/v2/models/mlp/infer", body);
    json_t *root = harness_json(&r);
    json_t *values = root ? output_data(root, "probabilities") : NULL;
    bool ok = r.status == 200 && json_array_size(values) == (size_t)(n * MLP_OUT);

    for (size_t i = 0; ok && i < json_array_size(values); i++)
        probs[i] = (float)json_number_value(json_array_get(values, i));
    if (!ok)
        fprintf(stderr, "mlp JSON infer: %ld %s %s\n", r.status, r.body, r.error);
    json_decref(root);
    harness_response_free(&r);
    free(body);
    free(data);
    return ok;
}

/* The same rows with binary input and binary output. */
static bool mlp_binary(int port, int first, int n, float *probs)
{
    float input[4 * MLP_IN];
    char *header = harness_format(
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[%d,16],\"datatype\":\"FP32\","
        "\"parameters\":{\"binary_data_size\":%zu}}],"
        "\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}}]}",
        n, (size_t)n * MLP_IN * sizeof(float));
    size_t header_len = strlen(header), size = header_len + (size_t)n * MLP_IN * sizeof(float);
    char *body = malloc(size), length[64], value[32];
    const char *headers[] = {length, "Content-Type: application/octet-stream", NULL};
    harness_request_t req = {.method = "POST",
                             .port = port,
                             .path = "/v2/models/mlp/infer",
                             .body = body,
                             .size = size,
                             .headers = headers};
    harness_response_t r;
    json_t *root;
    const unsigned char *bin;
    size_t bin_size;
    bool ok;

    for (int k = 0; k < n; k++)
        for (int c = 0; c < MLP_IN; c++)
            input[k * MLP_IN + c] = mlp_input(first + k, c);
    memcpy(body, header, header_len);
    memcpy(body + header_len, input, (size_t)n * MLP_IN * sizeof(float));
    snprintf(length, sizeof length, "Inference-Header-Content-Length: %zu", header_len);
    r = harness_http(&req);
    root = harness_json(&r);
    bin = harness_binary(&r, &bin_size);
    ok = r.status == 200 && root &&
         harness_header(&r, "Inference-Header-Content-Length", value, sizeof value) &&
         bin_size == (size_t)n * MLP_OUT * sizeof(float);
    CHECK(ok);
    if (ok) {
        json_t *out = json_array_get(json_object_get(root, "outputs"), 0);
        json_int_t declared = json_integer_value(
            json_object_get(json_object_get(out, "parameters"), "binary_data_size"));
        CHECK(declared == (json_int_t)bin_size);
        CHECK(json_object_get(out, "data") == NULL);
        CHECK(strtoull(value, NULL, 10) + bin_size == r.size);
        memcpy(probs, bin, bin_size);
    } else {
        fprintf(stderr, "mlp binary infer: %ld %s %s\n", r.status, r.body, r.error);
    }
    json_decref(root);
    harness_response_free(&r);
    free(body);
    free(header);
    return ok;
}

static void test_health_and_server(harness_server_t *s)
{
    int port = harness_http_port(s);
    harness_response_t r = harness_get(port, "/v2/health/live");
    json_t *root = harness_json(&r);

    CHECK(r.status == 200);
    CHECK(json_is_true(json_object_get(root, "live")));
    json_decref(root);
    harness_response_free(&r);

    r = harness_get(port, "/v2/health/ready");
    root = harness_json(&r);
    CHECK(r.status == 200);
    CHECK(json_is_true(json_object_get(root, "ready")));
    json_decref(root);
    harness_response_free(&r);

    r = harness_get(port, "/v2");
    root = harness_json(&r);
    CHECK(r.status == 200);
    CHECK(strcmp(json_string_value(json_object_get(root, "name")), "inferd") == 0);
    CHECK(json_is_string(json_object_get(root, "version")));
    {
        json_t *ext = json_object_get(root, "extensions");
        bool binary = false;
        for (size_t i = 0; i < json_array_size(ext); i++)
            binary |= strcmp(json_string_value(json_array_get(ext, i)), "binary_tensor_data") == 0;
        CHECK(binary);
    }
    json_decref(root);
    harness_response_free(&r);
}

static void test_model_metadata(harness_server_t *s)
{
    int port = harness_http_port(s);
    const char *paths[] = {"/v2/models/mlp", "/v2/models/mlp/versions/1"};

    for (int i = 0; i < 2; i++) {
        harness_response_t r = harness_get(port, paths[i]);
        json_t *root = harness_json(&r);
        json_t *in = json_array_get(json_object_get(root, "inputs"), 0);
        json_t *out = json_array_get(json_object_get(root, "outputs"), 0);
        json_t *shape = json_object_get(in, "shape");

        CHECK(r.status == 200);
        CHECK(strcmp(json_string_value(json_object_get(root, "name")), "mlp") == 0);
        CHECK(json_array_size(json_object_get(root, "versions")) == 1);
        CHECK(strcmp(json_string_value(json_array_get(json_object_get(root, "versions"), 0)),
                     "1") == 0);
        CHECK(strcmp(json_string_value(json_object_get(in, "name")), "input") == 0);
        CHECK(strcmp(json_string_value(json_object_get(in, "datatype")), "FP32") == 0);
        CHECK(json_array_size(shape) == 2);
        CHECK(json_integer_value(json_array_get(shape, 0)) == -1);
        CHECK(json_integer_value(json_array_get(shape, 1)) == MLP_IN);
        CHECK(strcmp(json_string_value(json_object_get(out, "name")), "probabilities") == 0);
        CHECK(json_integer_value(json_array_get(json_object_get(out, "shape"), 1)) == MLP_OUT);
        json_decref(root);
        harness_response_free(&r);
    }

    const char *ready_paths[] = {"/v2/models/mlp/ready", "/v2/models/mlp/versions/1/ready",
                                 "/v2/models/affine/ready"};
    for (int i = 0; i < 3; i++) {
        harness_response_t r = harness_get(port, ready_paths[i]);
        json_t *root = harness_json(&r);
        CHECK(r.status == 200);
        CHECK(json_is_true(json_object_get(root, "ready")));
        json_decref(root);
        harness_response_free(&r);
    }
}

static void test_config_endpoint(harness_server_t *s)
{
    int port = harness_http_port(s);
    const char *paths[] = {"/v2/models/mlp/config", "/v2/models/mlp/versions/1/config"};

    for (int i = 0; i < 2; i++) {
        harness_response_t r = harness_get(port, paths[i]);
        json_t *root = harness_json(&r);
        json_t *batching = json_object_get(root, "dynamic_batching");
        json_t *group = json_array_get(json_object_get(root, "instance_group"), 0);

        CHECK(r.status == 200);
        CHECK(strcmp(json_string_value(json_object_get(root, "name")), "mlp") == 0);
        CHECK(json_integer_value(json_object_get(root, "max_batch_size")) == 32);
        CHECK(json_integer_value(json_object_get(batching, "max_queue_delay_microseconds")) == 500);
        CHECK(json_integer_value(json_object_get(group, "count")) == 2);
        CHECK(strcmp(json_string_value(json_object_get(
                         json_array_get(json_object_get(root, "input"), 0), "name")),
                     "input") == 0);
        json_decref(root);
        harness_response_free(&r);
    }
}

/* Exact values through the affine model, nested and flat, with id and parameters. */
static void test_affine_json(harness_server_t *s)
{
    int port = harness_http_port(s);
    const char *bodies[] = {
        /* nested data, id echoed, both outputs */
        "{\"id\":\"req-42\",\"inputs\":[{\"name\":\"x\",\"shape\":[2,4],\"datatype\":\"FP32\","
        "\"data\":[[0,1,2,3],[-1.5,0.25,100,-7]]}]}",
        /* flat data, priority and timeout parameters */
        "{\"id\":\"req-43\",\"parameters\":{\"priority\":1,\"timeout\":5000000},"
        "\"inputs\":[{\"name\":\"x\",\"shape\":[2,4],\"datatype\":\"FP32\","
        "\"data\":[0,1,2,3,-1.5,0.25,100,-7]}]}",
    };
    const float x[] = {0, 1, 2, 3, -1.5f, 0.25f, 100, -7};

    for (int b = 0; b < 2; b++) {
        harness_response_t r = harness_post(port, "/v2/models/affine/infer", bodies[b]);
        json_t *root = harness_json(&r);
        json_t *y = output_data(root, "y"), *z = output_data(root, "z");

        CHECK(r.status == 200);
        CHECK(strcmp(json_string_value(json_object_get(root, "model_name")), "affine") == 0);
        CHECK(strcmp(json_string_value(json_object_get(root, "model_version")), "1") == 0);
        CHECK(strcmp(json_string_value(json_object_get(root, "id")), b ? "req-43" : "req-42") == 0);
        CHECK(json_array_size(y) == 8 && json_array_size(z) == 8);
        for (int i = 0; i < 8 && json_array_size(y) == 8 && json_array_size(z) == 8; i++) {
            CHECK(json_number_value(json_array_get(y, (size_t)i)) == 2 * x[i] + 1);
            CHECK(json_number_value(json_array_get(z, (size_t)i)) == -x[i]);
        }
        {
            json_t *out = json_array_get(json_object_get(root, "outputs"), 0);
            json_t *shape = json_object_get(out, "shape");
            CHECK(strcmp(json_string_value(json_object_get(out, "datatype")), "FP32") == 0);
            CHECK(json_integer_value(json_array_get(shape, 0)) == 2);
            CHECK(json_integer_value(json_array_get(shape, 1)) == AFFINE_WIDTH);
        }
        json_decref(root);
        harness_response_free(&r);
    }
}

/* Requested outputs: only z, sent back binary; y alone as JSON; request-level binary output. */
static void test_affine_outputs(harness_server_t *s)
{
    int port = harness_http_port(s);
    harness_response_t r = harness_post(
        port, "/v2/models/affine/infer",
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],"
        "\"outputs\":[{\"name\":\"z\",\"parameters\":{\"binary_data\":true}}]}");
    json_t *root = harness_json(&r);
    json_t *outputs = json_object_get(root, "outputs");
    size_t bin_size;
    const unsigned char *bin = harness_binary(&r, &bin_size);
    char value[32], type[64];
    float z[4];

    CHECK(r.status == 200);
    CHECK(json_array_size(outputs) == 1);
    CHECK(strcmp(json_string_value(json_object_get(json_array_get(outputs, 0), "name")), "z") == 0);
    CHECK(harness_header(&r, "Inference-Header-Content-Length", value, sizeof value));
    CHECK(harness_header(&r, "Content-Type", type, sizeof type) &&
          strcmp(type, "application/octet-stream") == 0);
    CHECK(bin_size == sizeof z);
    if (bin_size == sizeof z) {
        memcpy(z, bin, sizeof z);
        for (int i = 0; i < 4; i++)
            CHECK(z[i] == -(float)(i + 1));
    }
    json_decref(root);
    harness_response_free(&r);

    r = harness_post(port, "/v2/models/affine/infer",
                     "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\","
                     "\"data\":[1,2,3,4]}],\"outputs\":[{\"name\":\"y\"}]}");
    root = harness_json(&r);
    outputs = json_object_get(root, "outputs");
    CHECK(r.status == 200);
    CHECK(!harness_header(&r, "Inference-Header-Content-Length", value, sizeof value));
    CHECK(json_array_size(outputs) == 1);
    CHECK(json_number_value(json_array_get(output_data(root, "y"), 3)) == 9);
    json_decref(root);
    harness_response_free(&r);

    /* binary_data_output at request level: both outputs binary, in the model's order. */
    r = harness_post(port, "/v2/models/affine/infer",
                     "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":\"x\","
                     "\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}");
    bin = harness_binary(&r, &bin_size);
    CHECK(r.status == 200);
    CHECK(bin_size == 2 * sizeof z);
    if (bin_size == 2 * sizeof z) {
        float yz[8];
        memcpy(yz, bin, sizeof yz);
        for (int i = 0; i < 4; i++) {
            CHECK(yz[i] == 2.0f * (float)(i + 1) + 1.0f);
            CHECK(yz[4 + i] == -(float)(i + 1));
        }
    }
    harness_response_free(&r);
}

/* mlp: JSON and binary agree, batches equal their rows, probabilities sum to 1. */
static void test_mlp_values(harness_server_t *s)
{
    int port = harness_http_port(s);
    float row0[MLP_OUT], row1[MLP_OUT], pair[2 * MLP_OUT], bin_pair[2 * MLP_OUT], bin0[MLP_OUT];

    CHECK(mlp_json(port, 0, 1, row0));
    CHECK(mlp_json(port, 1, 1, row1));
    CHECK(mlp_json(port, 0, 2, pair));
    CHECK(mlp_binary(port, 0, 2, bin_pair));
    CHECK(mlp_binary(port, 0, 1, bin0));
    for (int k = 0; k < MLP_OUT; k++) {
        /* JSON prints FP32 with enough digits to round-trip, so these are exact. */
        CHECK(pair[k] == bin_pair[k]);
        CHECK(pair[MLP_OUT + k] == bin_pair[MLP_OUT + k]);
        CHECK(row0[k] == bin0[k]);
        /* A row's result does not depend on its batch company (up to kernel blocking). */
        CHECK_NEAR(pair[k], row0[k], 1e-6);
        CHECK_NEAR(pair[MLP_OUT + k], row1[k], 1e-6);
    }
    for (int r = 0; r < 2; r++) {
        double sum = 0;
        for (int k = 0; k < MLP_OUT; k++) {
            CHECK(pair[r * MLP_OUT + k] > 0 && pair[r * MLP_OUT + k] < 1);
            sum += pair[r * MLP_OUT + k];
        }
        CHECK_NEAR(sum, 1.0, 1e-5);
    }
    /* Different inputs give different outputs: the model is not ignoring its input. */
    CHECK(fabsf(row0[0] - row1[0]) + fabsf(row0[1] - row1[1]) > 1e-6f);
}

/* The versioned infer path and the cnn example. */
static void test_versioned_infer(harness_server_t *s)
{
    int port = harness_http_port(s);
    char *data = harness_format("[");
    for (int i = 0; i < 28 * 28; i++) {
        char *next = harness_format("%s%s%d", data, i ? "," : "", (i * 7) % 13);
        free(data);
        data = next;
    }
    char *body = harness_format("{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],"
                                "\"datatype\":\"FP32\",\"data\":%s]}]}",
                                data);
    harness_response_t r = harness_post(port, "/v2/models/cnn/versions/1/infer", body);
    json_t *root = harness_json(&r);
    json_t *logits = output_data(root, "logits");

    CHECK(r.status == 200);
    CHECK(json_array_size(logits) == 10);
    CHECK(strcmp(json_string_value(json_object_get(root, "model_version")), "1") == 0);
    json_decref(root);
    harness_response_free(&r);
    free(body);
    free(data);

    r = harness_post(port, "/v2/models/affine/versions/1/infer",
                     "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\","
                     "\"data\":[5,6,7,8]}]}");
    root = harness_json(&r);
    CHECK(r.status == 200);
    CHECK(json_number_value(json_array_get(output_data(root, "y"), 0)) == 11);
    json_decref(root);
    harness_response_free(&r);
}

static void test_repository_index(harness_server_t *s)
{
    int port = harness_http_port(s);
    const char *bodies[] = {NULL, "{\"ready\": true}", "{}"};

    for (int b = 0; b < 3; b++) {
        harness_response_t r = harness_post(port, "/v2/repository/index", bodies[b]);
        json_t *root = harness_json(&r), *entry;
        size_t i;
        int seen = 0;

        CHECK(r.status == 200);
        CHECK(json_array_size(root) == 3);
        json_array_foreach(root, i, entry)
        {
            const char *name = json_string_value(json_object_get(entry, "name"));
            seen |= strcmp(name, "mlp") == 0 ? 1 : strcmp(name, "cnn") == 0 ? 2 : 4;
            CHECK(strcmp(json_string_value(json_object_get(entry, "state")), "READY") == 0);
            CHECK(strcmp(json_string_value(json_object_get(entry, "version")), "1") == 0);
        }
        CHECK(seen == 7);
        json_decref(root);
        harness_response_free(&r);
    }
}

/* After the requests above: the stats endpoints and the metrics agree with what was sent. */
static void test_stats_and_metrics(harness_server_t *s)
{
    int port = harness_http_port(s);
    harness_response_t r = harness_get(port, "/v2/models/stats");
    json_t *root = harness_json(&r);
    json_t *models = json_object_get(root, "model_stats");
    double success = -1;
    size_t i;
    json_t *m;

    CHECK(r.status == 200);
    CHECK(json_array_size(models) == 3);
    json_array_foreach(models, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), "affine") == 0)
            success = (double)json_integer_value(json_object_get(
                json_object_get(json_object_get(m, "inference_stats"), "success"), "count"));
    }
    CHECK(success == 6);
    json_decref(root);
    harness_response_free(&r);

    const char *paths[] = {"/v2/models/mlp/stats", "/v2/models/mlp/versions/1/stats"};
    for (int p = 0; p < 2; p++) {
        r = harness_get(port, paths[p]);
        root = harness_json(&r);
        models = json_object_get(root, "model_stats");
        m = json_array_get(models, 0);
        CHECK(r.status == 200);
        CHECK(json_array_size(models) == 1);
        CHECK(strcmp(json_string_value(json_object_get(m, "name")), "mlp") == 0);
        CHECK(strcmp(json_string_value(json_object_get(m, "version")), "1") == 0);
        /* mlp_json 3 times (4 rows) and mlp_binary twice (3 rows). */
        CHECK(json_integer_value(json_object_get(m, "inference_count")) == 7);
        CHECK(json_integer_value(json_object_get(
                  json_object_get(json_object_get(m, "inference_stats"), "success"), "count")) ==
              5);
        CHECK(json_integer_value(json_object_get(m, "last_inference")) > 0);
        json_decref(root);
        harness_response_free(&r);
    }

    r = harness_get(harness_metrics_port(s), "/metrics");
    CHECK(r.status == 200);
    CHECK(harness_metric(r.body, "inferd_request_success_total", "model=\"mlp\",version=\"1\"") ==
          5);
    CHECK(harness_metric(r.body, "inferd_inference_count_total", "model=\"mlp\",version=\"1\"") ==
          7);
    CHECK(harness_metric(r.body, "inferd_request_success_total",
                         "model=\"affine\",version=\"1\"") == 6);
    CHECK(harness_metric(r.body, "inferd_request_success_total", "model=\"cnn\",version=\"1\"") ==
          1);
    CHECK(harness_metric(r.body, "inferd_pending_requests", "model=\"mlp\",version=\"1\"") == 0);
    CHECK(harness_metric(r.body, "process_resident_memory_bytes", NULL) > 0);
    CHECK(strstr(r.body, "# TYPE inferd_batch_size histogram") != NULL);
    harness_response_free(&r);

    r = harness_get(harness_metrics_port(s), "/nothing");
    CHECK(r.status == 404);
    harness_response_free(&r);
}

/*
 * One kept-alive connection carries a mix of calls, as a client session
 * does: infer (JSON and binary, answered after the connection was
 * suspended), metadata, and refusals; all on the first connection.
 */
static void test_keep_alive(harness_server_t *s)
{
    static const char infer[] = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],"
                                "\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";
    static const char binary[] = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],"
                                 "\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":16}}]}"
                                 "\0\0\x80\x3f\0\0\0\x40\0\0\x40\x40\0\0\x80\x40";
    char length[64];
    const char *binary_headers[] = {length, "Content-Type: application/octet-stream", NULL};
    const struct {
        const char *method, *path, *body;
        size_t size;
        const char *const *headers;
        long status;
    } calls[] = {
        {"POST", "/v2/models/affine/infer", infer, sizeof infer - 1, NULL, 200},
        {"GET", "/v2/models/affine", NULL, 0, NULL, 200},
        {"POST", "/v2/models/affine/infer", "{\"inputs\":", 11, NULL, 400},
        {"POST", "/v2/models/affine/infer", binary, sizeof binary - 1, binary_headers, 200},
        {"GET", "/v2/models/nosuch", NULL, 0, NULL, 404},
        {"POST", "/v2/models/affine/infer", infer, sizeof infer - 1, NULL, 200},
        {"GET", "/v2/models/affine/infer", NULL, 0, NULL, 405},
        {"GET", "/v2/health/ready", NULL, 0, NULL, 200},
        {"POST", "/v2/models/affine/infer", infer, sizeof infer - 1, NULL, 200},
    };
    harness_session_t *session = harness_session_new();
    long connects = 0;

    snprintf(length, sizeof length, "Inference-Header-Content-Length: %zu", strlen(binary));
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            harness_request_t req = {.method = calls[i].method,
                                     .port = harness_http_port(s),
                                     .path = calls[i].path,
                                     .body = calls[i].body,
                                     .size = calls[i].size,
                                     .headers = calls[i].headers};
            harness_response_t r = harness_session_http(session, &req);
            if (r.status != calls[i].status)
                fprintf(stderr, "keep-alive call %zu: %ld %s %s\n", i, r.status, r.body, r.error);
            CHECK(r.status == calls[i].status);
            if (r.status == 200 && strstr(calls[i].path, "infer")) {
                json_t *root = harness_json(&r);
                CHECK(json_number_value(json_array_get(output_data(root, "y"), 3)) == 9);
                json_decref(root);
            }
            connects += r.connects;
            harness_response_free(&r);
        }
    CHECK(connects == 1);
    harness_session_free(session);
}

int main(void)
{
    char *repo;
    harness_server_t *s;
    char *path;

    harness_init(WATCHDOG_SECS);
    repo = harness_temp_dir();
    CHECK(repo != NULL);
    if (!repo)
        CHECK_DONE();
    path = harness_format("%s/affine/1/model.onnx", repo);
    CHECK(harness_copy_example(repo, "mlp", "mlp"));
    CHECK(harness_copy_example(repo, "cnn", "cnn"));
    CHECK(harness_make_affine_model(path, 2, 1));
    CHECK(harness_write_config(repo, "affine", affine_config));
    free(path);
    s = harness_start(repo, NULL);
    CHECK(s != NULL);
    if (s) {
        test_health_and_server(s);
        test_model_metadata(s);
        test_config_endpoint(s);
        test_affine_json(s);
        test_affine_outputs(s);
        test_mlp_values(s);
        test_versioned_infer(s);
        test_repository_index(s);
        test_stats_and_metrics(s);
        test_keep_alive(s);
        CHECK(HARNESS_STOP(s) == 0);
    }
    harness_remove_tree(repo);
    free(repo);
    CHECK_DONE();
}
