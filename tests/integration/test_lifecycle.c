/*
 * test_lifecycle.c - the life of the process around its requests:
 *
 *   SIGTERM with --drain-delay-secs 2: readiness turns 503 at once while
 *   liveness stays 200 and inference still works; the process exits 0
 *   after the delay;
 *   SIGTERM with requests queued for 10 s and --exit-timeout-secs 1: the
 *   queue is flushed, every request gets its exact answer, exit 0;
 *   200 concurrent requests on 2 HTTP threads and one model instance all
 *   succeed;
 *   clients that hang up while their requests are queued do no harm;
 *   --log-format json writes one JSON object per line;
 *   SIGTERM the moment the server is ready still drains and exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"

#define WATCHDOG_SECS 120
#define WIDTH         4
/* Requests queued when SIGTERM arrives. */
#define HELD_REQUESTS 8
/* Servers stopped right after their ready line. */
#define SIGTERM_ROUNDS 5
/* Clients that hang up before their answer, and when. */
#define QUITTERS           4
#define QUITTER_TIMEOUT_MS 200
/* Concurrent connections against two HTTP threads. */
#define MANY_CLIENTS 200

static const char *repo;

static long status_of(harness_response_t r)
{
    long status = r.status;
    harness_response_free(&r);
    return status;
}

/* Sends one row base..base+3 to model; true when the answer is 200 with y = 2x + 1 exactly. */
static bool affine_ok(int port, const char *model, int base)
{
    char *path = harness_format("/v2/models/%s/infer", model);
    char *body = harness_format("{\"inputs\":[{\"name\":\"x\",\"shape\":[1,%d],\"datatype\":"
                                "\"FP32\",\"data\":[%d,%d,%d,%d]}]}",
                                WIDTH, base, base + 1, base + 2, base + 3);
    harness_response_t r = harness_post(port, path, body);
    json_t *root = harness_json(&r);
    json_t *y = json_object_get(json_array_get(json_object_get(root, "outputs"), 0), "data");
    bool ok = r.status == 200 && json_array_size(y) == WIDTH;

    for (int i = 0; ok && i < WIDTH; i++)
        ok = json_number_value(json_array_get(y, (size_t)i)) == 2.0 * (base + i) + 1;
    if (!ok)
        fprintf(stderr, "%s infer of %d: %ld %s %s\n", model, base, r.status, r.body, r.error);
    json_decref(root);
    harness_response_free(&r);
    free(body);
    free(path);
    return ok;
}

static void test_drain_delay(void)
{
    const char *args[] = {"--drain-delay-secs", "2", NULL};
    harness_server_t *s = harness_start(repo, args);
    double signalled;
    int port, code;

    CHECK(s != NULL);
    if (!s)
        return;
    port = harness_http_port(s);
    CHECK(status_of(harness_get(port, "/v2/health/ready")) == 200);
    harness_signal(s, SIGTERM);
    signalled = harness_now_ms();
    CHECK(harness_wait_log(s, "not ready", 5000));
    CHECK(status_of(harness_get(port, "/v2/health/ready")) == 503);
    CHECK(status_of(harness_get(port, "/v2/health/live")) == 200);
    CHECK(affine_ok(port, "fast", 10));
    CHECK(status_of(harness_get(port, "/v2/models/fast/ready")) == 200);
    /* Still serving, still not ready, half way through the delay. */
    harness_sleep_ms(1000);
    CHECK(status_of(harness_get(port, "/v2/health/ready")) == 503);
    CHECK(affine_ok(port, "fast", 20));
    code = harness_wait_exit(s, 10000);
    CHECK(code == 0);
    CHECK(harness_now_ms() - signalled >= 1900);
    /* Gone: the port no longer answers. */
    CHECK(status_of(harness_get(port, "/v2/health/live")) == 0);
    CHECK(HARNESS_STOP(s) == 0);
}

typedef struct held {
    int port;
    bool ok[HELD_REQUESTS];
    double end_ms[HELD_REQUESTS];
} held_t;

static void held_client(int i, void *arg)
{
    held_t *h = arg;
    h->ok[i] = affine_ok(h->port, "held", 100 * i);
    h->end_ms[i] = harness_now_ms();
}

static void *held_clients(void *arg)
{
    harness_parallel(HELD_REQUESTS, held_client, arg);
    return NULL;
}

static void test_drain_in_flight(void)
{
    const char *args[] = {"--exit-timeout-secs", "1", NULL};
    harness_server_t *s = harness_start(repo, args);
    held_t h = {0};
    pthread_t t;
    double waited = 0, signalled;

    CHECK(s != NULL);
    if (!s)
        return;
    h.port = harness_http_port(s);
    pthread_create(&t, NULL, held_clients, &h);
    while (harness_scrape(s, "inferd_pending_requests", "model=\"held\",version=\"1\"") !=
               HELD_REQUESTS &&
           waited < 5000) {
        harness_sleep_ms(5);
        waited += 5;
    }
    CHECK(harness_scrape(s, "inferd_pending_requests", "model=\"held\",version=\"1\"") ==
          HELD_REQUESTS);
    harness_signal(s, SIGTERM);
    signalled = harness_now_ms();
    pthread_join(t, NULL);
    for (int i = 0; i < HELD_REQUESTS; i++) {
        CHECK(h.ok[i]);
        /* Flushed by the drain, long before their 10 s queue delay would have ended. */
        CHECK(h.end_ms[i] - signalled < 5000);
    }
    CHECK(harness_wait_exit(s, 10000) == 0);
    CHECK(HARNESS_STOP(s) == 0);
}

typedef struct many {
    int port;
    int ok[MANY_CLIENTS];
} many_t;

static void many_client(int i, void *arg)
{
    many_t *m = arg;
    m->ok[i] = affine_ok(m->port, "fast", i * WIDTH);
}

static void test_many_connections(void)
{
    const char *args[] = {"--http-threads", "2", NULL};
    harness_server_t *s = harness_start(repo, args);
    many_t *m = calloc(1, sizeof *m);
    int ok = 0;

    CHECK(s != NULL && m != NULL);
    if (!s || !m) {
        free(m);
        harness_stop(s, true);
        return;
    }
    m->port = harness_http_port(s);
    harness_parallel(MANY_CLIENTS, many_client, m);
    for (int i = 0; i < MANY_CLIENTS; i++)
        ok += m->ok[i];
    CHECK(ok == MANY_CLIENTS);
    CHECK(harness_scrape(s, "inferd_request_success_total", "model=\"fast\",version=\"1\"") ==
          MANY_CLIENTS);
    fprintf(stderr, "%d concurrent requests: %d succeeded in %.0f executions\n", MANY_CLIENTS, ok,
            harness_scrape(s, "inferd_execution_count_total", "model=\"fast\",version=\"1\""));
    free(m);
    CHECK(HARNESS_STOP(s) == 0);
}

/*
 * SIGTERM the moment the server is ready still drains: the process must
 * never die of the signal itself, whichever of its threads the kernel
 * picks to receive it.
 */
static void test_immediate_sigterm(void)
{
    int died = 0;

    for (int i = 0; i < SIGTERM_ROUNDS; i++) {
        harness_server_t *s = harness_start(repo, NULL);
        int code;
        CHECK(s != NULL);
        if (!s)
            return;
        harness_signal(s, SIGTERM);
        code = harness_wait_exit(s, 10000);
        died += code != 0;
        if (code != 0)
            fprintf(stderr, "round %d: SIGTERM just after ready: exit %d\n", i, code);
        CHECK(harness_stop(s, false) == code);
    }
    CHECK(died == 0);
}

typedef struct quitter {
    int port;
    long status[QUITTERS];
} quitter_t;

static void quitter_client(int i, void *arg)
{
    quitter_t *q = arg;
    static const char body[] = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],"
                               "\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";
    harness_request_t req = {.method = "POST",
                             .port = q->port,
                             .path = "/v2/models/patient/infer",
                             .body = body,
                             .size = sizeof body - 1,
                             .timeout_ms = QUITTER_TIMEOUT_MS};
    harness_response_t r = harness_http(&req);
    q->status[i] = r.status;
    harness_response_free(&r);
}

/*
 * Clients that hang up while their requests wait in the queue: the
 * requests still complete later, into closed connections, and the server
 * carries on (under ASan this also checks nothing is used after it is freed).
 */
static void test_client_gone(void)
{
    harness_server_t *s = harness_start(repo, NULL);
    quitter_t q = {0};
    double waited = 0;

    CHECK(s != NULL);
    if (!s)
        return;
    q.port = harness_http_port(s);
    harness_parallel(QUITTERS, quitter_client, &q);
    for (int i = 0; i < QUITTERS; i++)
        CHECK(q.status[i] == 0);
    while (harness_scrape(s, "inferd_request_success_total", "model=\"patient\",version=\"1\"") !=
               QUITTERS &&
           waited < 5000) {
        harness_sleep_ms(20);
        waited += 20;
    }
    CHECK(harness_scrape(s, "inferd_request_success_total", "model=\"patient\",version=\"1\"") ==
          QUITTERS);
    CHECK(affine_ok(harness_http_port(s), "fast", 40));
    CHECK(HARNESS_STOP(s) == 0);
}

/* Every line of the log is a JSON object with ts, level and msg. */
static void test_json_log(void)
{
    const char *args[] = {"--log-format", "json", NULL};
    harness_server_t *s = harness_start(repo, args);

    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(affine_ok(harness_http_port(s), "fast", 0));
    harness_signal(s, SIGINT);
    CHECK(harness_wait_exit(s, 10000) == 0);
    CHECK(harness_log_count(s, "{\"ts\":\"") == harness_log_count(s, "\n"));
    CHECK(harness_log_count(s, "\"level\":\"info\"") >= 2);
    CHECK(harness_log_contains(s, "\"msg\":\"ready: http on 127.0.0.1:"));
    CHECK(HARNESS_STOP(s) == 0);
}

int main(void)
{
    char *dir, *fast, *held, *patient;

    harness_init(WATCHDOG_SECS);
    dir = harness_temp_dir();
    CHECK(dir != NULL);
    if (!dir)
        CHECK_DONE();
    repo = dir;
    fast = harness_format("%s/fast/1/model.onnx", dir);
    held = harness_format("%s/held/1/model.onnx", dir);
    patient = harness_format("%s/patient/1/model.onnx", dir);
    CHECK(harness_make_affine_model(fast, 2, 1));
    CHECK(harness_copy_file(fast, held));
    CHECK(harness_copy_file(fast, patient));
    /* Requests wait 1 s for company: their clients give up before that. */
    CHECK(harness_write_config(dir, "patient",
                               "{\"max_batch_size\": 32, \"dynamic_batching\": "
                               "{\"max_queue_delay_microseconds\": 1000000}}"));
    /* One instance batching briefly: the many-connections test shares it. */
    CHECK(harness_write_config(dir, "fast",
                               "{\"max_batch_size\": 8, \"dynamic_batching\": "
                               "{\"max_queue_delay_microseconds\": 1000}, "
                               "\"instance_group\": [{\"count\": 1}]}"));
    /* Requests wait 10 s for company: they are still queued when SIGTERM comes. */
    CHECK(harness_write_config(dir, "held",
                               "{\"max_batch_size\": 32, \"dynamic_batching\": "
                               "{\"max_queue_delay_microseconds\": 10000000}}"));
    test_drain_delay();
    test_drain_in_flight();
    test_many_connections();
    test_json_log();
    test_client_gone();
    test_immediate_sigterm();
    harness_remove_tree(dir);
    free(fast);
    free(held);
    free(patient);
    free(dir);
    CHECK_DONE();
}
