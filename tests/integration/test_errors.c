/*
 * test_errors.c - every refusal a client can provoke, with its status and
 * a {"error": "..."} body: 400 (malformed JSON, wrong shape, dtype, data
 * count, batch over max_batch_size, bad parameters, bad binary framing),
 * 404 (unknown model, version, endpoint), 405, 413 (body over
 * --max-body-bytes, announced or chunked), 503 + Retry-After (a model that
 * failed to load).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"

#define WATCHDOG_SECS 120
/* The body limit of the second server. */
#define SMALL_BODY_LIMIT 2048

/* Checks that r has status and a JSON {"error": "<non-empty>"} body mentioning hint (or NULL). */
static void check_error(const harness_response_t *r, long status, const char *hint,
                        const char *what)
{
    json_t *root = harness_json(r);
    const char *message = json_string_value(json_object_get(root, "error"));
    bool ok = r->status == status &&
              (status == 200 || (message && *message && (!hint || strstr(message, hint))));

    if (!ok) {
        fprintf(stderr, "%s: expected %ld mentioning '%s', got %ld: %s %s\n", what, status,
                hint ? hint : "", r->status, r->body, r->error);
        check_failures++;
    }
    json_decref(root);
}

/* 400s of mlp's infer that reached the model (they count as its invalid requests). */
static int mlp_refused;

static void post_expect(int port, const char *path, const char *body, long status, const char *hint)
{
    harness_response_t r = harness_post(port, path, body);
    if (status == 400 && strcmp(path, "/v2/models/mlp/infer") == 0)
        mlp_refused++;
    check_error(&r, status, hint, body ? body : "(empty body)");
    harness_response_free(&r);
}

static void get_expect(int port, const char *path, long status, const char *hint)
{
    harness_response_t r = harness_get(port, path);
    check_error(&r, status, hint, path);
    harness_response_free(&r);
}

/* {"inputs":[{"name":"input","shape":[rows,16],"datatype":dtype,"data":[values 0..count-1]}]} */
static char *mlp_request(const char *name, const char *shape, const char *dtype, int count)
{
    char *data = harness_format("[");
    for (int i = 0; i < count; i++) {
        char *next = harness_format("%s%s%d", data, i ? "," : "", i % 5);
        free(data);
        data = next;
    }
    char *body = harness_format(
        "{\"inputs\":[{\"name\":\"%s\",\"shape\":%s,\"datatype\":\"%s\",\"data\":%s]}]}", name,
        shape, dtype, data);
    free(data);
    return body;
}

static void test_bad_requests(harness_server_t *s)
{
    int port = harness_http_port(s);
    const char *infer = "/v2/models/mlp/infer";
    struct {
        const char *name, *shape, *dtype;
        int count;
        const char *hint;
    } bad[] = {
        {"input", "[1,15]", "FP32", 15, "shape"},    {"input", "[16]", "FP32", 16, "shape"},
        {"input", "[1,16,1]", "FP32", 16, "shape"},  {"input", "[1,16]", "INT32", 16, "INT32"},
        {"input", "[1,16]", "FP16X", 16, "FP16X"},   {"input", "[1,16]", "FP32", 15, NULL},
        {"input", "[1,16]", "FP32", 17, NULL},       {"input", "[2,16]", "FP32", 16, NULL},
        {"input", "[33,16]", "FP32", 33 * 16, "33"}, {"input", "[0,16]", "FP32", 0, NULL},
        {"image", "[1,16]", "FP32", 16, "image"},
    };
    char *ok = mlp_request("input", "[1,16]", "FP32", 16);

    /* The well-formed request passes: the refusals below are about what they change. */
    post_expect(port, infer, ok, 200, NULL);
    free(ok);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = mlp_request(bad[i].name, bad[i].shape, bad[i].dtype, bad[i].count);
        post_expect(port, infer, body, 400, bad[i].hint);
        free(body);
    }
    post_expect(port, infer, "{\"inputs\": [", 400, "JSON");
    post_expect(port, infer, "not json at all", 400, "JSON");
    post_expect(port, infer, NULL, 400, NULL);
    post_expect(port, infer, "[1,2,3]", 400, NULL);
    post_expect(port, infer, "{}", 400, "inputs");
    post_expect(port, infer, "{\"inputs\":[]}", 400, NULL);
    post_expect(port, infer,
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,16],\"datatype\":\"FP32\","
                "\"data\":[\"a\",1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}]}",
                400, NULL);
    {
        char *good = mlp_request("input", "[1,16]", "FP32", 16);
        /* Splice request-level or output-level extras into the good request. */
        const char *extras[][2] = {
            {"\"id\":7,", "id"},
            {"\"parameters\":{\"priority\":2},", "priority"},
            {"\"parameters\":{\"priority\":-1},", "priority"},
            {"\"parameters\":{\"timeout\":\"soon\"},", "timeout"},
            {"\"parameters\":[],", "parameters"},
            {"\"outputs\":[{\"name\":\"logits\"}],", "logits"},
            {"\"outputs\":[{\"name\":\"probabilities\"},{\"name\":\"probabilities\"}],", "twice"},
            {"\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":1}}],",
             "binary_data"},
        };
        for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
            char *body = harness_format("{%s%s", extras[i][0], good + 1);
            post_expect(port, infer, body, 400, extras[i][1]);
            free(body);
        }
        free(good);
    }
}

/* Binary framing errors: header length past the body, binary bytes missing or left over. */
static void test_bad_binary(harness_server_t *s)
{
    int port = harness_http_port(s);
    const char *header = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,16],\"datatype\":\"FP32\","
                         "\"parameters\":{\"binary_data_size\":64}}]}";
    size_t header_len = strlen(header);
    char body[1024], length[64];
    const char *headers[] = {length, "Content-Type: application/octet-stream", NULL};
    struct {
        size_t declared_header, binary_bytes;
        long status;
        bool reaches_model; /* a header length past the body is refused before the model */
    } cases[] = {
        {0, 64, 200, true}, /* declared_header 0: the true header length */
        {0, 60, 400, true}, {0, 68, 400, true}, {4000, 64, 400, false}, {10, 64, 400, true},
    };

    memcpy(body, header, header_len);
    memset(body + header_len, 0, 128);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        harness_request_t req = {.method = "POST",
                                 .port = port,
                                 .path = "/v2/models/mlp/infer",
                                 .body = body,
                                 .size = header_len + cases[i].binary_bytes,
                                 .headers = headers};
        harness_response_t r;
        snprintf(length, sizeof length, "Inference-Header-Content-Length: %zu",
                 cases[i].declared_header ? cases[i].declared_header : header_len);
        r = harness_http(&req);
        if (cases[i].status == 200)
            CHECK(r.status == 200);
        else
            check_error(&r, cases[i].status, NULL, "binary framing");
        mlp_refused += cases[i].status == 400 && cases[i].reaches_model;
        harness_response_free(&r);
    }
    {
        harness_request_t req = {.method = "POST",
                                 .port = port,
                                 .path = "/v2/models/mlp/infer",
                                 .body = body,
                                 .size = header_len + 64,
                                 .headers = headers};
        harness_response_t r;
        snprintf(length, sizeof length, "Inference-Header-Content-Length: twelve");
        r = harness_http(&req);
        check_error(&r, 400, "Inference-Header-Content-Length", "non-numeric header length");
        harness_response_free(&r);
    }
}

static void test_not_found(harness_server_t *s)
{
    int port = harness_http_port(s);
    char *body = mlp_request("input", "[1,16]", "FP32", 16);

    post_expect(port, "/v2/models/nosuch/infer", body, 404, "nosuch");
    post_expect(port, "/v2/models/mlp/versions/7/infer", body, 404, "7");
    get_expect(port, "/v2/models/nosuch", 404, "nosuch");
    get_expect(port, "/v2/models/nosuch/ready", 404, NULL);
    get_expect(port, "/v2/models/nosuch/config", 404, NULL);
    get_expect(port, "/v2/models/nosuch/stats", 404, NULL);
    get_expect(port, "/v2/models/mlp/versions/7", 404, NULL);
    get_expect(port, "/v2/models/mlp/versions/7/ready", 404, NULL);
    get_expect(port, "/v2/models/mlp/versions/7/stats", 404, NULL);
    get_expect(port, "/v2/models/mlp/nothing", 404, NULL);
    get_expect(port, "/v2/nothing", 404, NULL);
    get_expect(port, "/v3", 404, NULL);
    get_expect(port, "/", 404, NULL);
    get_expect(port, "/v2/models/mlp/versions/abc", 400, "version");
    free(body);
}

static void test_wrong_method(harness_server_t *s)
{
    int port = harness_http_port(s);
    const struct {
        const char *method, *path;
    } cases[] = {
        {"GET", "/v2/models/mlp/infer"},
        {"POST", "/v2/health/live"},
        {"DELETE", "/v2/models/mlp"},
        {"GET", "/v2/repository/index"},
        {"PUT", "/v2/models/mlp/infer"},
        {"GET", "/v2/repository/models/mlp/load"},
        {"POST", "/v2"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        harness_request_t req = {.method = cases[i].method, .port = port, .path = cases[i].path};
        harness_response_t r = harness_http(&req);
        check_error(&r, 405, NULL, cases[i].path);
        harness_response_free(&r);
    }
}

/* A model whose config.json is broken: listed UNAVAILABLE with the reason; requests get 503. */
static void test_broken_model(harness_server_t *s)
{
    int port = harness_http_port(s);
    harness_response_t r = harness_post(port, "/v2/repository/index", NULL);
    json_t *root = harness_json(&r), *entry;
    char retry[16];
    size_t i;
    bool listed = false;

    CHECK(r.status == 200);
    json_array_foreach(root, i, entry)
    {
        if (strcmp(json_string_value(json_object_get(entry, "name")), "broken") != 0)
            continue;
        listed = true;
        CHECK(strcmp(json_string_value(json_object_get(entry, "state")), "UNAVAILABLE") == 0);
        CHECK(json_string_value(json_object_get(entry, "reason")) &&
              strstr(json_string_value(json_object_get(entry, "reason")), "no_such_key"));
    }
    CHECK(listed);
    json_decref(root);
    harness_response_free(&r);

    r = harness_post(port, "/v2/repository/index", "{\"ready\": true}");
    root = harness_json(&r);
    CHECK(r.status == 200 && json_array_size(root) == 1);
    json_decref(root);
    harness_response_free(&r);
    post_expect(port, "/v2/repository/index", "{\"ready\": 3}", 400, NULL);
    post_expect(port, "/v2/repository/index", "[", 400, NULL);

    r = harness_post(port, "/v2/models/broken/infer", "{\"inputs\":[]}");
    check_error(&r, 503, "broken", "infer on a broken model");
    CHECK(harness_header(&r, "Retry-After", retry, sizeof retry) && atoi(retry) > 0);
    harness_response_free(&r);
    get_expect(port, "/v2/models/broken/ready", 503, NULL);
    get_expect(port, "/v2/models/broken", 503, NULL);
    CHECK(harness_log_contains(s, "no_such_key"));
}

/* Load and unload need --model-control-mode explicit. */
static void test_control_refused(harness_server_t *s)
{
    int port = harness_http_port(s);

    post_expect(port, "/v2/repository/models/mlp/load", NULL, 400, "explicit");
    post_expect(port, "/v2/repository/models/mlp/unload", NULL, 400, "explicit");
    get_expect(port, "/v2/models/mlp/ready", 200, NULL);
}

/* The refusals are counted as invalid requests of their model, and nothing else. */
static void test_failure_metrics(harness_server_t *s)
{
    double invalid = harness_scrape(s, "inferd_request_failure_total",
                                    "model=\"mlp\",version=\"1\",reason=\"invalid\"");
    double success =
        harness_scrape(s, "inferd_request_success_total", "model=\"mlp\",version=\"1\"");

    CHECK(invalid == mlp_refused);
    CHECK(success == 2);
    CHECK(harness_scrape(s, "inferd_request_failure_total",
                         "model=\"mlp\",version=\"1\",reason=\"internal\"") == 0);
}

static void test_body_limit(const char *repo)
{
    const char *args[] = {"--max-body-bytes", "2048", NULL};
    harness_server_t *s = harness_start(repo, args);
    char big[4 * SMALL_BODY_LIMIT];
    char *small = mlp_request("input", "[1,16]", "FP32", 16);

    CHECK(s != NULL);
    if (!s) {
        free(small);
        return;
    }
    CHECK(strlen(small) < SMALL_BODY_LIMIT);
    post_expect(harness_http_port(s), "/v2/models/mlp/infer", small, 200, NULL);
    /* Over the limit, announced by Content-Length: refused before the upload. */
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, small, strlen(small));
    post_expect(harness_http_port(s), "/v2/models/mlp/infer", big, 413, "2048");
    /* Over the limit while uploading (chunked: no length up front). */
    {
        const char *headers[] = {"Transfer-Encoding: chunked", NULL};
        harness_request_t req = {.method = "POST",
                                 .port = harness_http_port(s),
                                 .path = "/v2/models/mlp/infer",
                                 .body = big,
                                 .size = sizeof big - 1,
                                 .headers = headers};
        harness_response_t r = harness_http(&req);
        check_error(&r, 413, "2048", "chunked body over the limit");
        harness_response_free(&r);
        req.body = small;
        req.size = strlen(small);
        r = harness_http(&req);
        CHECK(r.status == 200);
        harness_response_free(&r);
    }
    /* The server is still fine afterwards. */
    post_expect(harness_http_port(s), "/v2/models/mlp/infer", small, 200, NULL);
    CHECK(HARNESS_STOP(s) == 0);
    free(small);
}

int main(void)
{
    char *repo;
    harness_server_t *s;

    harness_init(WATCHDOG_SECS);
    repo = harness_temp_dir();
    CHECK(repo != NULL);
    if (!repo)
        CHECK_DONE();
    CHECK(harness_copy_example(repo, "mlp", "mlp"));
    CHECK(harness_copy_example(repo, "mlp", "broken"));
    CHECK(harness_write_config(repo, "broken", "{\"max_batch_size\": 4, \"no_such_key\": 1}"));
    s = harness_start(repo, NULL);
    CHECK(s != NULL);
    if (s) {
        test_bad_requests(s);
        test_bad_binary(s);
        test_not_found(s);
        test_wrong_method(s);
        test_broken_model(s);
        test_control_refused(s);
        test_failure_metrics(s);
        CHECK(HARNESS_STOP(s) == 0);
    }
    harness_remove_tree(repo);
    CHECK(harness_copy_example(repo, "mlp", "mlp"));
    test_body_limit(repo);
    harness_remove_tree(repo);
    free(repo);
    CHECK_DONE();
}
