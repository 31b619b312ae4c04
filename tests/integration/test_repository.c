/*
 * test_repository.c - the model repository of a running inferd:
 *
 *   explicit mode: the index before and after load/unload, requests to a
 *   model not loaded yet and unloaded (both 503), unknown models, and an
 *   unload that lets the requests it holds finish;
 *   poll mode: a client sends requests without pause while the model file
 *   is replaced, a version 2 folder appears, config.json changes and a
 *   model folder comes and goes; not one request may fail, and each change
 *   becomes visible in the answers and the metadata.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"

#define WATCHDOG_SECS 120
/* Longest a change may take to show in poll mode (polls are 1 s apart). */
#define RELOAD_TIMEOUT_MS 15000
/* Threads sending requests without pause during the poll-mode changes. */
#define POLL_CLIENTS 4
/* Requests held by the model while it is unloaded. */
#define HELD_REQUESTS 4

static const char infer_body[] =
    "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";

/* y[0] of the affine model for x[0] = 1, and the version that answered; -1 on failure. */
static double infer_y0(int port, const char *path, char *version, size_t size)
{
    harness_response_t r = harness_post(port, path, infer_body);
    json_t *root = harness_json(&r);
    json_t *out = json_array_get(json_object_get(root, "outputs"), 0);
    double y0 =
        r.status == 200 ? json_number_value(json_array_get(json_object_get(out, "data"), 0)) : -1;

    if (version)
        snprintf(version, size, "%s",
                 r.status == 200 ? json_string_value(json_object_get(root, "model_version")) : "");
    json_decref(root);
    harness_response_free(&r);
    return y0;
}

/* The index entry of name as "STATE/version/reason", or "" when not listed. */
static void index_entry(int port, const char *name, char *out, size_t size)
{
    harness_response_t r = harness_post(port, "/v2/repository/index", NULL);
    json_t *root = harness_json(&r), *e;
    size_t i;

    out[0] = '\0';
    json_array_foreach(root, i, e)
    {
        const char *version = json_string_value(json_object_get(e, "version"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            snprintf(out, size, "%s/%s/%s", json_string_value(json_object_get(e, "state")),
                     version ? version : "", reason ? reason : "");
    }
    json_decref(root);
    harness_response_free(&r);
}

static long status_of(harness_response_t r)
{
    long status = r.status;
    harness_response_free(&r);
    return status;
}

typedef struct held {
    int port;
    long status[HELD_REQUESTS];
} held_t;

static void held_client(int i, void *arg)
{
    held_t *h = arg;
    h->status[i] = status_of(harness_post(h->port, "/v2/models/slow/infer", infer_body));
}

static void *held_clients(void *arg)
{
    harness_parallel(HELD_REQUESTS, held_client, arg);
    return NULL;
}

/* Unloading a model with queued requests: they still complete. */
static void test_unload_in_flight(harness_server_t *s)
{
    int port = harness_http_port(s);
    held_t h = {.port = port};
    pthread_t t;
    double waited = 0;

    CHECK(status_of(harness_post(port, "/v2/repository/models/slow/load", NULL)) == 200);
    pthread_create(&t, NULL, held_clients, &h);
    while (harness_scrape(s, "inferd_pending_requests", "model=\"slow\",version=\"1\"") !=
               HELD_REQUESTS &&
           waited < 5000) {
        harness_sleep_ms(5);
        waited += 5;
    }
    CHECK(status_of(harness_post(port, "/v2/repository/models/slow/unload", NULL)) == 200);
    CHECK(status_of(harness_get(port, "/v2/models/slow/ready")) == 503);
    pthread_join(t, NULL);
    for (int i = 0; i < HELD_REQUESTS; i++)
        CHECK(h.status[i] == 200);
}

static void test_explicit(const char *repo)
{
    const char *args[] = {"--model-control-mode", "explicit", NULL};
    harness_server_t *s = harness_start(repo, args);
    char entry[512], retry[16];
    int port;

    CHECK(s != NULL);
    if (!s)
        return;
    port = harness_http_port(s);
    /* Nothing is loaded at start, but the index lists the folders. */
    index_entry(port, "affine", entry, sizeof entry);
    CHECK(strcmp(entry, "UNAVAILABLE//not loaded") == 0);
    CHECK(status_of(harness_post(port, "/v2/repository/index", "{\"ready\": true}")) == 200);
    /* A model the repository holds but has not loaded is not ready (503), as after an unload. */
    CHECK(status_of(harness_post(port, "/v2/models/affine/infer", infer_body)) == 503);
    CHECK(status_of(harness_get(port, "/v2/models/affine/ready")) == 503);
    CHECK(status_of(harness_get(port, "/v2/models/nosuch/ready")) == 404);
    CHECK(status_of(harness_get(port, "/v2/health/ready")) == 200);

    CHECK(status_of(harness_post(port, "/v2/repository/models/affine/load", NULL)) == 200);
    index_entry(port, "affine", entry, sizeof entry);
    CHECK(strcmp(entry, "READY/1/") == 0);
    CHECK(status_of(harness_get(port, "/v2/models/affine/ready")) == 200);
    CHECK(infer_y0(port, "/v2/models/affine/infer", NULL, 0) == 3);
    /* Loading again (with a parameters body) is fine and changes nothing. */
    CHECK(status_of(harness_post(port, "/v2/repository/models/affine/load",
                                 "{\"parameters\": {}}")) == 200);
    CHECK(infer_y0(port, "/v2/models/affine/infer", NULL, 0) == 3);
    CHECK(status_of(harness_post(port, "/v2/repository/models/affine/load", "[")) == 400);
    CHECK(status_of(harness_post(port, "/v2/repository/models/nosuch/load", NULL)) == 404);
    CHECK(status_of(harness_post(port, "/v2/repository/models/nosuch/unload", NULL)) == 404);

    CHECK(status_of(harness_post(port, "/v2/repository/models/affine/unload", NULL)) == 200);
    index_entry(port, "affine", entry, sizeof entry);
    CHECK(strncmp(entry, "UNAVAILABLE/1/unloaded", 22) == 0);
    /* Unloaded: known but not ready, so 503 with a hint to retry. */
    {
        harness_response_t r = harness_post(port, "/v2/models/affine/infer", infer_body);
        CHECK(r.status == 503);
        CHECK(harness_header(&r, "Retry-After", retry, sizeof retry));
        harness_response_free(&r);
    }
    CHECK(status_of(harness_get(port, "/v2/models/affine/ready")) == 503);
    CHECK(status_of(harness_post(port, "/v2/repository/models/affine/load", NULL)) == 200);
    CHECK(infer_y0(port, "/v2/models/affine/infer", NULL, 0) == 3);

    test_unload_in_flight(s);
    CHECK(HARNESS_STOP(s) == 0);
}

/* The poll-mode clients: requests without pause, recording what answered last. */
typedef struct client {
    int port;
    atomic_bool stop;
    atomic_int sent;
    atomic_int failed;
    pthread_mutex_t lock;
    double last_y0;
    char last_version[16];
} client_t;

static void *poll_client(void *arg)
{
    client_t *c = arg;

    while (!atomic_load(&c->stop)) {
        char version[16];
        double y0 = infer_y0(c->port, "/v2/models/affine/infer", version, sizeof version);
        atomic_fetch_add(&c->sent, 1);
        if (y0 < 0) {
            atomic_fetch_add(&c->failed, 1);
            continue;
        }
        pthread_mutex_lock(&c->lock);
        c->last_y0 = y0;
        snprintf(c->last_version, sizeof c->last_version, "%s", version);
        pthread_mutex_unlock(&c->lock);
    }
    return NULL;
}

/* Waits until the client's latest answer is y0 from version; false after RELOAD_TIMEOUT_MS. */
static bool wait_answer(client_t *c, double y0, const char *version)
{
    for (double start = harness_now_ms(); harness_now_ms() - start < RELOAD_TIMEOUT_MS;) {
        bool seen;
        pthread_mutex_lock(&c->lock);
        seen = c->last_y0 == y0 && strcmp(c->last_version, version) == 0;
        pthread_mutex_unlock(&c->lock);
        if (seen)
            return true;
        harness_sleep_ms(20);
    }
    fprintf(stderr, "no answer y0 = %g from version %s within %d ms (last %g from %s)\n", y0,
            version, RELOAD_TIMEOUT_MS, c->last_y0, c->last_version);
    return false;
}

/* The "versions" of the model's metadata, joined with commas. */
static void metadata_versions(int port, const char *model, char *out, size_t size)
{
    char *path = harness_format("/v2/models/%s", model);
    harness_response_t r = harness_get(port, path);
    json_t *root = harness_json(&r), *v;
    size_t i, used = 0;

    out[0] = '\0';
    json_array_foreach(json_object_get(root, "versions"), i, v)
    {
        used +=
            (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", json_string_value(v));
        if (used >= size)
            break;
    }
    json_decref(root);
    harness_response_free(&r);
    free(path);
}

static bool wait_metadata(int port, const char *model, const char *want)
{
    char versions[64];
    for (double start = harness_now_ms(); harness_now_ms() - start < RELOAD_TIMEOUT_MS;) {
        metadata_versions(port, model, versions, sizeof versions);
        if (strcmp(versions, want) == 0)
            return true;
        harness_sleep_ms(20);
    }
    fprintf(stderr, "metadata of %s: versions '%s', expected '%s'\n", model, versions, want);
    return false;
}

static void test_poll_reload(const char *repo)
{
    const char *args[] = {"--model-control-mode", "poll", "--repository-poll-secs", "1", NULL};
    harness_server_t *s = harness_start(repo, args);
    client_t c = {.last_y0 = -1};
    pthread_t t[POLL_CLIENTS];
    char *v1 = harness_format("%s/affine/1/model.onnx", repo);
    char *staging = harness_format("%s/affine/staging", repo);
    char *staged = harness_format("%s/affine/staging/model.onnx", repo);
    char *v2 = harness_format("%s/affine/2", repo);
    char *late = harness_format("%s/late", repo);
    char *late_model = harness_format("%s/late/1/model.onnx", repo);
    int port;

    CHECK(s != NULL);
    if (!s)
        goto cleanup;
    port = harness_http_port(s);
    c.port = port;
    pthread_mutex_init(&c.lock, NULL);
    for (int i = 0; i < POLL_CLIENTS; i++)
        pthread_create(&t[i], NULL, poll_client, &c);
    CHECK(wait_answer(&c, 3, "1"));

    /* 1. The version 1 file is replaced (written aside, renamed over): y = 3x + 1. */
    CHECK(harness_make_affine_model(v1, 3, 1));
    CHECK(wait_answer(&c, 4, "1"));
    CHECK(harness_log_contains(s, "files changed, reloading"));

    /* 2. A version 2 folder appears whole (staged, then renamed): y = 4x + 1 serves alone. */
    CHECK(harness_make_affine_model(staged, 4, 1));
    CHECK(rename(staging, v2) == 0);
    CHECK(wait_answer(&c, 5, "2"));
    CHECK(wait_metadata(port, "affine", "2"));

    /*
     * 3. config.json now serves every version: version 1 is back beside 2.
     * 4. At the same time a new model folder appears; it goes again after.
     */
    CHECK(harness_make_affine_model(late_model, 5, 1));
    CHECK(harness_write_config(repo, "affine",
                               "{\"max_batch_size\": 8, \"version_policy\": {\"all\": {}}}"));
    CHECK(wait_metadata(port, "affine", "1,2"));
    CHECK(infer_y0(port, "/v2/models/affine/versions/1/infer", NULL, 0) == 4);
    CHECK(infer_y0(port, "/v2/models/affine/versions/2/infer", NULL, 0) == 5);
    CHECK(wait_answer(&c, 5, "2"));
    CHECK(wait_metadata(port, "late", "1"));
    CHECK(infer_y0(port, "/v2/models/late/infer", NULL, 0) == 6);
    harness_remove_tree(late);
    for (double start = harness_now_ms(); harness_now_ms() - start < RELOAD_TIMEOUT_MS &&
                                          status_of(harness_get(port, "/v2/models/late")) != 404;)
        harness_sleep_ms(20);
    CHECK(status_of(harness_get(port, "/v2/models/late")) == 404);

    atomic_store(&c.stop, true);
    for (int i = 0; i < POLL_CLIENTS; i++)
        pthread_join(t[i], NULL);
    pthread_mutex_destroy(&c.lock);
    fprintf(stderr, "poll reload: %d requests, %d failed\n", atomic_load(&c.sent),
            atomic_load(&c.failed));
    CHECK(atomic_load(&c.failed) == 0);
    CHECK(atomic_load(&c.sent) > 20);
    CHECK(HARNESS_STOP(s) == 0);
cleanup:
    free(v1);
    free(staging);
    free(staged);
    free(v2);
    free(late);
    free(late_model);
}

int main(void)
{
    char *repo;
    char *model;

    harness_init(WATCHDOG_SECS);
    repo = harness_temp_dir();
    CHECK(repo != NULL);
    if (!repo)
        CHECK_DONE();
    model = harness_format("%s/affine/1/model.onnx", repo);
    CHECK(harness_make_affine_model(model, 2, 1));
    CHECK(harness_write_config(repo, "affine", "{\"max_batch_size\": 8}"));
    {
        char *slow = harness_format("%s/slow/1/model.onnx", repo);
        CHECK(harness_copy_file(model, slow));
        /* Requests wait up to 1 s for company: they are still queued during the unload. */
        CHECK(harness_write_config(
            repo, "slow",
            "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_microseconds\": "
            "1000000}}"));
        free(slow);
    }
    test_explicit(repo);
    {
        char *slow = harness_format("%s/slow", repo);
        harness_remove_tree(slow);
        free(slow);
    }
    test_poll_reload(repo);
    harness_remove_tree(repo);
    free(model);
    free(repo);
    CHECK_DONE();
}
