/*
 * test_batching.c - the dynamic batcher seen from outside: concurrent
 * requests really run together (and each still gets its own rows back),
 * request and default timeouts answer 503 at the deadline, a full queue
 * answers 503 + Retry-After, and a high-priority request overtakes a
 * low-priority one that was queued first.
 *
 * Every model is the affine model (y = 2x + 1, z = -x) under a different
 * config.json, so every answer is checked exactly.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"

#define WATCHDOG_SECS 120
#define WIDTH         4
/* Concurrent single-row requests of the batching test. */
#define BATCH_CLIENTS 32
/* Concurrent requests against the one-slot queue. */
#define QUEUE_CLIENTS 8

static const struct {
    const char *name, *config;
} models[] = {
    /* Requests wait up to 20 ms for company, so concurrent ones share executions. */
    {"batched", "{\"max_batch_size\": 32, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
                " 20000}, \"instance_group\": [{\"count\": 2}]}"},
    /* Requests wait 2 s for company but time out after 50 ms unless the batch fills. */
    {"deadline", "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
                 " 2000000, \"default_timeout_microseconds\": 50000}}"},
    /* One queued request at most; it waits 300 ms for company. */
    {"tiny_queue",
     "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
     " 300000, \"max_queue_size\": 1}}"},
    /* Two priority levels, one worker, batches of 4 rows, 1 s for company. */
    {"prio", "{\"max_batch_size\": 4, \"dynamic_batching\": {\"max_queue_delay_microseconds\":"
             " 1000000, \"priority_levels\": 2, \"default_priority_level\": 2}}"},
};

static harness_server_t *server;

static char *labels(const char *model, const char *reason)
{
    return reason ? harness_format("model=\"%s\",version=\"1\",reason=\"%s\"", model, reason)
                  : harness_format("model=\"%s\",version=\"1\"", model);
}

static double metric(const char *name, const char *model, const char *reason)
{
    char *l = labels(model, reason);
    double v = harness_scrape(server, name, l);
    free(l);
    return v;
}

/*
 * Sends `rows` rows to model, row r being base + r*WIDTH + [0..WIDTH), with
 * the request-level parameters (a JSON object text, or NULL). A 200 answer
 * is checked exactly here; the response goes to the caller.
 */
static harness_response_t affine(const char *model, int rows, int base, const char *params)
{
    char *data = harness_format("[");
    for (int i = 0; i < rows * WIDTH; i++) {
        char *next = harness_format("%s%s%d", data, i ? "," : "", base + i);
        free(data);
        data = next;
    }
    char *path = harness_format("/v2/models/%s/infer", model);
    char *body = harness_format("{%s%s%s\"inputs\":[{\"name\":\"x\",\"shape\":[%d,%d],"
                                "\"datatype\":\"FP32\",\"data\":%s]}]}",
                                params ? "\"parameters\":" : "", params ? params : "",
                                params ? "," : "", rows, WIDTH, data);
    harness_response_t r = harness_post(harness_http_port(server), path, body);

    if (r.status == 200) {
        json_t *root = harness_json(&r);
        json_t *y = json_object_get(json_array_get(json_object_get(root, "outputs"), 0), "data");
        bool exact = json_array_size(y) == (size_t)(rows * WIDTH);
        for (int i = 0; exact && i < rows * WIDTH; i++)
            exact = json_number_value(json_array_get(y, (size_t)i)) == 2.0 * (base + i) + 1;
        if (!exact) {
            fprintf(stderr, "%s: wrong values for base %d: %s\n", model, base, r.body);
            check_failures++;
        }
        json_decref(root);
    }
    free(body);
    free(path);
    free(data);
    return r;
}

static harness_response_t batch_responses[BATCH_CLIENTS];

static void batch_client(int i, void *arg)
{
    (void)arg;
    batch_responses[i] = affine("batched", 1, 1000 * i, NULL);
}

/* 32 concurrent single rows: all answered correctly in fewer executions than requests. */
static void test_batching_happens(void)
{
    harness_response_t r;
    json_t *root, *m;
    double executions, successes;
    int ok = 0;

    harness_parallel(BATCH_CLIENTS, batch_client, NULL);
    for (int i = 0; i < BATCH_CLIENTS; i++) {
        ok += batch_responses[i].status == 200;
        harness_response_free(&batch_responses[i]);
    }
    CHECK(ok == BATCH_CLIENTS);
    executions = metric("inferd_execution_count_total", "batched", NULL);
    successes = metric("inferd_request_success_total", "batched", NULL);
    CHECK(successes == BATCH_CLIENTS);
    CHECK(metric("inferd_inference_count_total", "batched", NULL) == BATCH_CLIENTS);
    CHECK(executions >= 1 && executions < successes);
    /* The histogram saw at least one execution of more than one row. */
    CHECK(harness_scrape(server, "inferd_batch_size_bucket",
                         "model=\"batched\",version=\"1\",le=\"1\"") < executions);

    r = harness_get(harness_http_port(server), "/v2/models/batched/stats");
    root = harness_json(&r);
    m = json_array_get(json_object_get(root, "model_stats"), 0);
    CHECK(r.status == 200);
    CHECK(json_integer_value(json_object_get(m, "execution_count")) == (json_int_t)executions);
    CHECK(json_integer_value(json_object_get(m, "inference_count")) == BATCH_CLIENTS);
    {
        json_t *b;
        size_t i;
        bool multi = false;
        json_array_foreach(json_object_get(m, "batch_stats"), i, b)
        {
            multi |= json_integer_value(json_object_get(b, "batch_size")) > 1;
        }
        CHECK(multi);
    }
    json_decref(root);
    harness_response_free(&r);
    fprintf(stderr, "batching: %d requests in %.0f executions\n", BATCH_CLIENTS, executions);
}

static void check_unavailable(const harness_response_t *r, const char *hint)
{
    json_t *root = harness_json(r);
    const char *message = json_string_value(json_object_get(root, "error"));
    char retry[16];

    CHECK(r->status == 503);
    CHECK(message && strstr(message, hint));
    CHECK(harness_header(r, "Retry-After", retry, sizeof retry) && atoi(retry) > 0);
    if (r->status != 503 || !message || !strstr(message, hint))
        fprintf(stderr, "expected 503 mentioning '%s', got %ld: %s\n", hint, r->status, r->body);
    json_decref(root);
}

/* Timeouts: the request's own, and the model's default, which a request cannot raise. */
static void test_timeouts(void)
{
    harness_response_t r = affine("deadline", 1, 0, "{\"timeout\": 1000}");

    check_unavailable(&r, "");
    /* Answered at the deadline, long before the 2 s queue delay ends. */
    CHECK(r.end_ms - r.start_ms < 1000);
    harness_response_free(&r);

    r = affine("deadline", 1, 0, NULL);
    check_unavailable(&r, "");
    CHECK(r.end_ms - r.start_ms < 1000);
    harness_response_free(&r);

    r = affine("deadline", 1, 0, "{\"timeout\": 60000000}");
    check_unavailable(&r, "");
    CHECK(r.end_ms - r.start_ms < 1000);
    harness_response_free(&r);

    /* A full batch runs at once: no wait for company, so no timeout. */
    r = affine("deadline", 8, 7, NULL);
    CHECK(r.status == 200);
    CHECK(r.end_ms - r.start_ms < 1000);
    harness_response_free(&r);

    CHECK(metric("inferd_request_failure_total", "deadline", "timeout") == 3);
    CHECK(metric("inferd_request_success_total", "deadline", NULL) == 1);
}

static harness_response_t queue_responses[QUEUE_CLIENTS];

static void queue_client(int i, void *arg)
{
    (void)arg;
    queue_responses[i] = affine("tiny_queue", 1, 10 * i, NULL);
}

/* max_queue_size 1: the concurrent requests beyond the queued one are refused with 503. */
static void test_queue_full(void)
{
    int ok = 0, full = 0;

    harness_parallel(QUEUE_CLIENTS, queue_client, NULL);
    for (int i = 0; i < QUEUE_CLIENTS; i++) {
        if (queue_responses[i].status == 200) {
            ok++;
        } else {
            check_unavailable(&queue_responses[i], "");
            full += queue_responses[i].status == 503;
        }
        harness_response_free(&queue_responses[i]);
    }
    CHECK(ok >= 1);
    CHECK(full >= 1);
    CHECK(ok + full == QUEUE_CLIENTS);
    CHECK(metric("inferd_request_failure_total", "tiny_queue", "queue_full") == full);
    CHECK(metric("inferd_request_success_total", "tiny_queue", NULL) == ok);
    fprintf(stderr, "queue full: %d answered, %d refused\n", ok, full);
}

static harness_response_t low_response;

static void *low_client(void *arg)
{
    (void)arg;
    /* No priority given: the model's default, level 2 (low). */
    low_response = affine("prio", 2, 500, NULL);
    return NULL;
}

/*
 * One worker, batches of 4 rows. A low request of 2 rows waits (1 s) for
 * company; high requests of 4 rows then arrive. Served in priority order
 * each high one fills a batch alone and runs at once; served first come
 * first served they would queue behind the low one for the full second.
 */
static void test_priorities(void)
{
    pthread_t low;
    harness_response_t high[3];
    double waited = 0;

    pthread_create(&low, NULL, low_client, NULL);
    while (metric("inferd_pending_requests", "prio", NULL) != 1 && waited < 5000) {
        harness_sleep_ms(5);
        waited += 5;
    }
    CHECK(metric("inferd_pending_requests", "prio", NULL) == 1);
    for (int i = 0; i < 3; i++)
        high[i] = affine("prio", 4, 100 * i, "{\"priority\": 1}");
    /* The low request is still waiting after the high ones are done. */
    CHECK(metric("inferd_pending_requests", "prio", NULL) == 1);
    pthread_join(low, NULL);
    CHECK(low_response.status == 200);
    for (int i = 0; i < 3; i++) {
        CHECK(high[i].status == 200);
        CHECK(high[i].end_ms < low_response.end_ms);
        CHECK(high[i].end_ms - high[i].start_ms < 500);
        harness_response_free(&high[i]);
    }
    /* The low one ran when its delay ended. */
    CHECK(low_response.end_ms - low_response.start_ms >= 900);
    harness_response_free(&low_response);
    CHECK(metric("inferd_execution_count_total", "prio", NULL) == 4);
}

int main(void)
{
    char *repo;

    harness_init(WATCHDOG_SECS);
    repo = harness_temp_dir();
    CHECK(repo != NULL);
    if (!repo)
        CHECK_DONE();
    /* One python run; the other models are copies of the first. */
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char *path = harness_format("%s/%s/1/model.onnx", repo, models[i].name);
        char *first = harness_format("%s/%s/1/model.onnx", repo, models[0].name);
        CHECK(i == 0 ? harness_make_affine_model(path, 2, 1) : harness_copy_file(first, path));
        CHECK(harness_write_config(repo, models[i].name, models[i].config));
        free(first);
        free(path);
    }
    server = harness_start(repo, NULL);
    CHECK(server != NULL);
    if (server) {
        test_batching_happens();
        test_timeouts();
        test_queue_full();
        test_priorities();
        CHECK(HARNESS_STOP(server) == 0);
    }
    harness_remove_tree(repo);
    free(repo);
    CHECK_DONE();
}
