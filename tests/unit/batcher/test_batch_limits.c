/*
 * Limits and lifecycle: a full queue refuses at once, an expired request
 * is answered without running, higher priorities run first, bad requests
 * are refused with a message naming the problem, and a drain finishes the
 * queued work before refusing new requests.
 */
#include <string.h>

#include "batcher_fixture.h"

/* With two queued behind a busy worker, the third is refused and never called back. */
static void test_queue_full(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(0, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, jobs[3] = {0};
    request_t *refused;
    error_t err;

    cfg.max_queue_size = 2;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    for (int i = 0; i < 2; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, 3, (float)i), &err) == STATUS_OK);
    refused = fixture_request(&jobs[2], 1, 3, 2);
    CHECK(batcher_submit(b, refused, &err) == STATUS_QUEUE_FULL);
    CHECK(err.code == STATUS_QUEUE_FULL && strstr(err.message, "full"));
    batcher_stats(b, &st);
    CHECK(st.pending == 2);
    CHECK(st.failed_queue_full == 1);
    fixture_open_gate();
    fixture_wait_completed(3);
    for (int i = 0; i < 2; i++)
        CHECK(fixture_output_right(jobs[i].req, (float)i, false));
    batcher_free(b);
    CHECK(jobs[2].calls == 0);
    request_free(blocker.req);
    for (int i = 0; i < 3; i++)
        request_free(jobs[i].req);
}

/*
 * Behind a busy worker, a request with a 5 ms timeout expires unrun while
 * one without a timeout (and no model default) runs.
 */
static void test_request_timeout(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(0, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, hasty = {0}, patient = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    fixture_request(&hasty, 2, 3, 1)->timeout_us = 5000;
    CHECK(batcher_submit(b, hasty.req, &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&patient, 2, 3, 2), &err) == STATUS_OK);
    fixture_sleep_us(20000);
    fixture_open_gate();
    fixture_wait_completed(3);
    CHECK(hasty.req->status == STATUS_DEADLINE_EXCEEDED);
    CHECK(hasty.req->error.code == STATUS_DEADLINE_EXCEEDED && hasty.req->error.message[0]);
    CHECK(hasty.req->n_outputs == 0);
    CHECK(hasty.req->queue_us >= 5000);
    CHECK(hasty.calls == 1);
    CHECK(fixture_output_right(patient.req, 2, false));
    batcher_stats(b, &st);
    CHECK(st.failed_timeout == 1);
    /* The blocker and the patient request ran; the expired one did not. */
    CHECK(st.executions == 2 && st.success == 2 && st.inferences == 2);
    batcher_free(b);
    request_free(blocker.req);
    request_free(hasty.req);
    request_free(patient.req);
}

/* A request whose client gave up while it was queued is answered without running. */
static void test_cancelled(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(0, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, gone = {0}, kept = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    CHECK(batcher_submit(b, fixture_request(&gone, 2, 3, 1), &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&kept, 2, 3, 2), &err) == STATUS_OK);
    atomic_store(&gone.req->cancelled, true);
    fixture_open_gate();
    fixture_wait_completed(3);
    CHECK(gone.req->status == STATUS_DEADLINE_EXCEEDED);
    CHECK(strstr(gone.req->error.message, "cancelled") != NULL);
    CHECK(gone.req->n_outputs == 0 && gone.calls == 1);
    CHECK(fixture_output_right(kept.req, 2, false));
    batcher_stats(b, &st);
    CHECK(st.failed_timeout == 1 && st.executions == 2 && st.success == 2);
    batcher_free(b);
    request_free(blocker.req);
    request_free(gone.req);
    request_free(kept.req);
}

/* A request asking for 10 s cannot raise the model's 5 ms default: it expires too. */
static void test_default_timeout_caps(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(4, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, raiser = {0};
    error_t err;

    cfg.default_timeout_us = 5000;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    fixture_request(&raiser, 1, 3, 0)->timeout_us = 10000000;
    CHECK(batcher_submit(b, raiser.req, &err) == STATUS_OK);
    CHECK(raiser.req->deadline_us == raiser.req->enqueue_us + 5000);
    fixture_sleep_us(20000);
    fixture_open_gate();
    fixture_wait_completed(2);
    CHECK(raiser.req->status == STATUS_DEADLINE_EXCEEDED);
    batcher_stats(b, &st);
    /* The blocker is under the 5 ms default too: on a loaded machine it may expire first. */
    if (blocker.req->status == STATUS_OK)
        CHECK(st.failed_timeout == 1 && st.executions == 1);
    else
        CHECK(blocker.req->status == STATUS_DEADLINE_EXCEEDED && st.failed_timeout == 2 &&
              st.executions == 0);
    batcher_free(b);
    request_free(blocker.req);
    request_free(raiser.req);
}

/*
 * A request with a 20 ms timeout waiting for company under a 2 s delay is
 * answered when it expires, not when the delay ends.
 */
static void test_expiry_while_forming(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(8, 2000000);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t job = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_request(&job, 1, 3, 0)->timeout_us = 20000;
    CHECK(batcher_submit(b, job.req, &err) == STATUS_OK);
    fixture_wait_completed(1);
    CHECK(job.req->status == STATUS_DEADLINE_EXCEEDED);
    CHECK(job.done_us - job.req->enqueue_us >= 20000);
    CHECK(job.done_us - job.req->enqueue_us < FIXTURE_SLACK_US);
    batcher_stats(b, &st);
    CHECK(st.failed_timeout == 1 && st.executions == 0);
    batcher_free(b);
    request_free(job.req);
}

/* Queued low, default, high, high behind a busy worker: they run high, high, default, low. */
static void test_priorities(backend_model_t *model)
{
    static const int priorities[4] = {3, 0, 1, 1};
    static const int expected[5] = {-1, 2, 3, 1, 0};
    batcher_config_t cfg = fixture_config(1, 0);
    batcher_t *b = NULL;
    job_t blocker = {0}, jobs[4] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    for (int i = 0; i < 4; i++) {
        jobs[i].tag = i;
        fixture_request(&jobs[i], 1, 3, (float)i)->priority = priorities[i];
        CHECK(batcher_submit(b, jobs[i].req, &err) == STATUS_OK);
    }
    fixture_open_gate();
    fixture_wait_completed(5);
    for (int i = 0; i < 5; i++)
        CHECK(fixture_order[i] == expected[i]);
    for (int i = 0; i < 4; i++)
        CHECK(fixture_output_right(jobs[i].req, (float)i, false));
    batcher_free(b);
    request_free(blocker.req);
    for (int i = 0; i < 4; i++)
        request_free(jobs[i].req);
}

/* Submits req, expecting STATUS_INVALID_ARGUMENT with word in the message. */
static void expect_invalid(batcher_t *b, request_t *req, const char *word)
{
    error_t err = {STATUS_OK, ""};

    CHECK(batcher_submit(b, req, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(err.code == STATUS_INVALID_ARGUMENT);
    if (!strstr(err.message, word)) {
        fprintf(stderr, "message '%s' does not mention '%s'\n", err.message, word);
        check_failures++;
    }
}

/* Malformed requests are refused at once, named, counted and never called back. */
static void test_invalid_requests(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(4, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t jobs[10] = {0};
    request_t *req;
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_request(&jobs[0], 1, 3, 0)->priority = 4;
    expect_invalid(b, jobs[0].req, "priority 4");
    fixture_request(&jobs[1], 1, 3, 0)->priority = -1;
    expect_invalid(b, jobs[1].req, "priority -1");
    expect_invalid(b, fixture_request(&jobs[2], 5, 3, 0), "batch dim 5");
    expect_invalid(b, fixture_request(&jobs[3], 0, 3, 0), "batch dim 0");
    req = fixture_request(&jobs[4], 1, 3, 0);
    req->inputs[0].rank = 0;
    expect_invalid(b, req, "no batch dim");
    req = fixture_request(&jobs[5], 1, 3, 0);
    req->n_inputs = 2;
    expect_invalid(b, req, "2 inputs");
    fixture_request(&jobs[6], 1, 3, 0)->timeout_us = -5;
    expect_invalid(b, jobs[6].req, "timeout");
    fixture_request(&jobs[7], 1, 3, 0)->done = NULL;
    expect_invalid(b, jobs[7].req, "callback");
    req = fixture_request(&jobs[8], 1, 3, 0);
    req->inputs[0].dims[1] = -3;
    expect_invalid(b, req, "[1,-3]");
    req = fixture_request(&jobs[9], 1, 3, 0);
    req->inputs[0].data = NULL;
    expect_invalid(b, req, "no data");
    batcher_stats(b, &st);
    CHECK(st.failed_invalid == 10);
    CHECK(st.pending == 0);
    batcher_free(b);
    for (int i = 0; i < 10; i++) {
        CHECK(jobs[i].calls == 0);
        request_free(jobs[i].req);
    }
}

/* Probes sent while the drain starts, 20 ms apart: 4 s at most. */
#define PROBES 200

typedef struct drainer {
    batcher_t *b;
    bool returned;
} drainer_t;

static void *drain_main(void *arg)
{
    drainer_t *d = arg;

    batcher_drain(d->b);
    pthread_mutex_lock(&fixture_lock);
    d->returned = true;
    pthread_mutex_unlock(&fixture_lock);
    return NULL;
}

/*
 * Six requests queued behind a busy worker when the drain starts: new ones
 * are refused, the drain waits for the worker, then runs all six (and any
 * probe accepted before the refusals began) before it returns.
 */
static void test_drain(backend_model_t *model)
{
    static job_t probes[PROBES];
    batcher_config_t cfg = fixture_config(4, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, jobs[6] = {0}, late = {0};
    drainer_t drainer = {0};
    pthread_t thread;
    int accepted = 0, n_probes = 0;
    status_t probe_st = STATUS_OK;
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    for (int i = 0; i < 6; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, 3, (float)(i + 40)), &err) ==
              STATUS_OK);
    drainer.b = b;
    CHECK(pthread_create(&thread, NULL, drain_main, &drainer) == 0);
    while (n_probes < PROBES && probe_st == STATUS_OK) {
        probe_st = batcher_submit(b, fixture_request(&probes[n_probes], 1, 3, 7), &err);
        accepted += probe_st == STATUS_OK;
        n_probes++;
        fixture_sleep_us(20000);
    }
    CHECK(probe_st == STATUS_UNAVAILABLE && err.code == STATUS_UNAVAILABLE);
    pthread_mutex_lock(&fixture_lock);
    CHECK(fixture_completed == 1);
    CHECK(!drainer.returned);
    pthread_mutex_unlock(&fixture_lock);
    fixture_open_gate();
    pthread_join(thread, NULL);
    CHECK(drainer.returned);
    CHECK(fixture_completed == 7 + accepted);
    for (int i = 0; i < 6; i++)
        CHECK(fixture_output_right(jobs[i].req, (float)(i + 40), false));
    for (int i = 0; i < accepted; i++)
        CHECK(fixture_output_right(probes[i].req, 7, false));
    CHECK(batcher_submit(b, fixture_request(&late, 1, 3, 0), &err) == STATUS_UNAVAILABLE);
    batcher_stats(b, &st);
    CHECK(st.failed_unavailable == 2);
    CHECK(st.success == (uint64_t)(7 + accepted) && st.pending == 0);
    batcher_drain(b);
    batcher_free(b);
    CHECK(late.calls == 0);
    request_free(blocker.req);
    request_free(late.req);
    for (int i = 0; i < 6; i++)
        request_free(jobs[i].req);
    for (int i = 0; i < n_probes; i++)
        request_free(probes[i].req);
}

int main(void)
{
    backend_model_t *model = fixture_model(false);

    test_queue_full(model);
    test_request_timeout(model);
    test_cancelled(model);
    test_default_timeout_caps(model);
    test_expiry_while_forming(model);
    test_priorities(model);
    test_invalid_requests(model);
    test_drain(model);
    backend_model_free(model);
    fixture_cleanup();
    CHECK_DONE();
}
