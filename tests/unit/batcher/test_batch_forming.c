/*
 * How batches form: requests whose non-batch dims differ never share a
 * run; a reachable preferred size runs at once, the largest one first; and
 * a request waits for company at most max_queue_delay_us.
 */
#include "batcher_fixture.h"

/*
 * Behind a busy worker, one-row requests of 2 and 5 columns interleave,
 * plus a 3-row one of 2 columns: two runs, one per width, none mixed.
 */
static void test_shapes_not_mixed(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(16, 20000);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, jobs[13] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 2);
    for (int i = 0; i < 12; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, i % 2 ? 5 : 2, (float)(3 * i)),
                             &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&jobs[12], 3, 2, 100), &err) == STATUS_OK);
    fixture_open_gate();
    fixture_wait_completed(14);
    batcher_stats(b, &st);
    CHECK(st.executions == 3);
    for (int i = 0; i < 12; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(3 * i), true));
        CHECK(jobs[i].req->batch_size == (i % 2 ? 6 : 9));
    }
    CHECK(fixture_output_right(jobs[12].req, 100, true));
    CHECK(jobs[12].req->outputs[0].dims[0] == 3 && jobs[12].req->outputs[0].dims[1] == 2);
    CHECK(jobs[12].req->batch_size == 9);
    batcher_free(b);
    request_free(blocker.req);
    for (int i = 0; i < 13; i++)
        request_free(jobs[i].req);
}

/* Preferred {2}: the second request completes the batch; nobody waits out the 2 s delay. */
static void test_preferred_runs_at_once(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(8, 2000000);
    batcher_t *b = NULL;
    job_t jobs[2] = {0};
    int64_t start = request_now_us();
    error_t err;

    cfg.preferred_batch_sizes[cfg.n_preferred++] = 2;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 2; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, 3, (float)i), &err) == STATUS_OK);
    fixture_wait_completed(2);
    for (int i = 0; i < 2; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)i, false));
        CHECK(jobs[i].req->batch_size == 2);
        CHECK(jobs[i].done_us - start < FIXTURE_SLACK_US);
    }
    batcher_free(b);
    for (int i = 0; i < 2; i++)
        request_free(jobs[i].req);
}

/*
 * Preferred {2, 4} with five one-row requests queued: a run of 4 (the
 * largest preferred size reachable) at once, then the fifth alone after
 * its delay.
 */
static void test_largest_preferred(backend_model_t *model)
{
    const int64_t delay = 2 * FIXTURE_SLACK_US;
    batcher_config_t cfg = fixture_config(8, delay);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, jobs[5] = {0};
    int64_t opened;
    error_t err;

    cfg.preferred_batch_sizes[cfg.n_preferred++] = 2;
    cfg.preferred_batch_sizes[cfg.n_preferred++] = 4;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 8, 3);
    for (int i = 0; i < 5; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, 3, (float)(i * 9)), &err) ==
              STATUS_OK);
    opened = request_now_us();
    fixture_open_gate();
    fixture_wait_completed(6);
    batcher_stats(b, &st);
    CHECK(st.executions == 3);
    CHECK(st.batch_histogram[0] == 1 && st.batch_histogram[2] == 1 && st.batch_histogram[3] == 1);
    for (int i = 0; i < 5; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(i * 9), false));
        CHECK(jobs[i].req->batch_size == (i < 4 ? 4 : 1));
    }
    for (int i = 0; i < 4; i++)
        CHECK(jobs[i].done_us - opened < FIXTURE_SLACK_US);
    CHECK(jobs[4].req->queue_us >= delay);
    batcher_free(b);
    request_free(blocker.req);
    for (int i = 0; i < 5; i++)
        request_free(jobs[i].req);
}

/* A lone request waits its full delay for company, then runs. */
static void test_lone_request_waits_delay(backend_model_t *model)
{
    const int64_t delay = 30000;
    batcher_config_t cfg = fixture_config(8, delay);
    batcher_t *b = NULL;
    job_t job = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&job, 2, 3, 5), &err) == STATUS_OK);
    fixture_wait_completed(1);
    CHECK(fixture_output_right(job.req, 5, false));
    CHECK(job.req->queue_us >= delay);
    CHECK(job.req->queue_us < delay + FIXTURE_SLACK_US);
    CHECK(job.req->batch_size == 2);
    batcher_free(b);
    request_free(job.req);
}

/*
 * A hurried batcher (a stopping server) runs a waiting request at once,
 * and takes and runs later submissions without a delay too.
 */
static void test_hurry(backend_model_t *model)
{
    const int64_t delay = 10 * 1000 * 1000;
    batcher_config_t cfg = fixture_config(8, delay);
    batcher_t *b = NULL;
    job_t jobs[2] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&jobs[0], 2, 3, 5), &err) == STATUS_OK);
    fixture_sleep_us(20000);
    batcher_hurry(b);
    fixture_wait_completed(1);
    CHECK(batcher_submit(b, fixture_request(&jobs[1], 1, 3, 7), &err) == STATUS_OK);
    fixture_wait_completed(2);
    CHECK(fixture_output_right(jobs[0].req, 5, false));
    CHECK(fixture_output_right(jobs[1].req, 7, false));
    for (int i = 0; i < 2; i++)
        CHECK(jobs[i].req->queue_us < 20000 + FIXTURE_SLACK_US);
    batcher_free(b);
    for (int i = 0; i < 2; i++)
        request_free(jobs[i].req);
}

#define TRICKLE 40

/*
 * Requests trickling in every 4 ms (160 ms in all) with a 30 ms delay and
 * room for 64: the delay counts from the oldest request, so later arrivals
 * do not hold the first batch back until the trickle ends.
 */
static void test_trickle_bounded(backend_model_t *model)
{
    const int64_t delay = 30000;
    batcher_config_t cfg = fixture_config(64, delay);
    batcher_t *b = NULL;
    job_t jobs[TRICKLE] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < TRICKLE; i++) {
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, 3, (float)i), &err) == STATUS_OK);
        fixture_sleep_us(4000);
    }
    fixture_wait_completed(TRICKLE);
    CHECK(jobs[0].req->batch_size < TRICKLE);
    for (int i = 0; i < TRICKLE; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)i, false));
        CHECK(jobs[i].req->queue_us < delay + FIXTURE_SLACK_US);
    }
    batcher_free(b);
    for (int i = 0; i < TRICKLE; i++)
        request_free(jobs[i].req);
}

int main(void)
{
    backend_model_t *fixed = fixture_model(false), *cols = fixture_model(true);

    test_shapes_not_mixed(cols);
    test_preferred_runs_at_once(fixed);
    test_largest_preferred(fixed);
    test_lone_request_waits_delay(fixed);
    test_trickle_bounded(fixed);
    test_hurry(fixed);
    backend_model_free(fixed);
    backend_model_free(cols);
    fixture_cleanup();
    CHECK_DONE();
}
