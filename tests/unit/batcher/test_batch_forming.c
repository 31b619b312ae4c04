/*
 * How batches form: requests whose non-batch dims differ never share a
 * run; a reachable preferred size runs at once, the largest one first; a
 * request waits for company at most max_queue_delay_us; a waiting
 * leader is woken by every arrival that lets its batch run early; and with
 * no leader, an arrival wakes an idle worker.
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

/* Requests completed so far. */
static int completed_now(void)
{
    int n;

    pthread_mutex_lock(&fixture_lock);
    n = fixture_completed;
    pthread_mutex_unlock(&fixture_lock);
    return n;
}

/* One priority level: the waiting leader is woken only by arrivals that can matter. */
static batcher_config_t one_level_config(int max_batch, int64_t delay_us)
{
    batcher_config_t cfg = fixture_config(max_batch, delay_us);

    cfg.priority_levels = 1;
    cfg.default_priority = 1;
    return cfg;
}

/*
 * Preferred {4}, 2 s delay, the leader waiting on a 1-row request: a 2-row
 * arrival (3 rows) leaves it waiting, and a 1-row one reaching 4 rows runs
 * the batch of three at once.
 */
static void test_waiting_leader_woken_at_preferred(backend_model_t *model)
{
    batcher_config_t cfg = one_level_config(8, 2000000);
    const int64_t rows[3] = {1, 2, 1};
    batcher_t *b = NULL;
    job_t jobs[3] = {0};
    int64_t last = 0;
    error_t err;

    cfg.preferred_batch_sizes[cfg.n_preferred++] = 4;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 3; i++) {
        /* Each arrival finds the leader waiting for the delay. */
        fixture_sleep_us(20000);
        last = request_now_us();
        CHECK(batcher_submit(b, fixture_request(&jobs[i], rows[i], 3, (float)(10 * i)), &err) ==
              STATUS_OK);
        if (i == 1)
            CHECK(completed_now() == 0);
    }
    fixture_wait_completed(3);
    for (int i = 0; i < 3; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(10 * i), false));
        CHECK(jobs[i].req->batch_size == 4);
        CHECK(jobs[i].done_us - last < FIXTURE_SLACK_US);
    }
    batcher_free(b);
    for (int i = 0; i < 3; i++)
        request_free(jobs[i].req);
}

/*
 * At most 4 rows, no preferred size, 2 s delay: 1 + 2 rows wait, and a
 * 2-row arrival that does not fit fills the batch, which runs at once; the
 * newcomer waits for its delay (cut short by hurrying).
 */
static void test_waiting_leader_woken_when_full(backend_model_t *model)
{
    batcher_config_t cfg = one_level_config(4, 2000000);
    const int64_t rows[3] = {1, 2, 2};
    batcher_t *b = NULL;
    job_t jobs[3] = {0};
    int64_t last = 0;
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 3; i++) {
        fixture_sleep_us(20000);
        last = request_now_us();
        CHECK(batcher_submit(b, fixture_request(&jobs[i], rows[i], 3, (float)(10 * i)), &err) ==
              STATUS_OK);
    }
    fixture_wait_completed(2);
    CHECK(completed_now() == 2);
    batcher_hurry(b);
    fixture_wait_completed(3);
    for (int i = 0; i < 3; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(10 * i), false));
        CHECK(jobs[i].req->batch_size == (i < 2 ? 3 : 2));
    }
    for (int i = 0; i < 2; i++)
        CHECK(jobs[i].done_us - last < FIXTURE_SLACK_US);
    batcher_free(b);
    for (int i = 0; i < 3; i++)
        request_free(jobs[i].req);
}

/*
 * Preferred {8}, 2 s delay, the leader waiting on a request without a
 * deadline: a request with a 50 ms timeout must wake it, or it would expire
 * unanswered until the delay ends.
 */
static void test_waiting_leader_woken_for_deadline(backend_model_t *model)
{
    batcher_config_t cfg = one_level_config(8, 2000000);
    batcher_t *b = NULL;
    job_t jobs[2] = {0};
    int64_t submitted;
    error_t err;

    cfg.preferred_batch_sizes[cfg.n_preferred++] = 8;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&jobs[0], 1, 3, 0), &err) == STATUS_OK);
    fixture_sleep_us(20000);
    fixture_request(&jobs[1], 1, 3, 10)->timeout_us = 50000;
    submitted = request_now_us();
    CHECK(batcher_submit(b, jobs[1].req, &err) == STATUS_OK);
    fixture_wait_completed(1);
    CHECK(completed_now() == 1);
    CHECK(jobs[1].req->status == STATUS_DEADLINE_EXCEEDED);
    CHECK(jobs[1].done_us - submitted < FIXTURE_SLACK_US);
    batcher_hurry(b);
    fixture_wait_completed(2);
    CHECK(fixture_output_right(jobs[0].req, 0, false));
    batcher_free(b);
    for (int i = 0; i < 2; i++)
        request_free(jobs[i].req);
}

/*
 * Two workers, no delay: a worker holds a batch that emptied the queue (it
 * handed the lead to nobody) and stays in its callback. A request arriving
 * then must wake the idle worker, which runs it while the first is still
 * held; then, with both idle again, one more request runs too.
 */
static void test_idle_worker_woken_without_leader(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(4, 0);
    batcher_t *b = NULL;
    job_t blocker = {0}, jobs[2] = {0};
    error_t err;

    cfg.instance_count = 2;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    CHECK(batcher_submit(b, fixture_request(&jobs[0], 1, 3, 5), &err) == STATUS_OK);
    fixture_wait_completed(2);
    CHECK(fixture_output_right(jobs[0].req, 5, false));
    CHECK(!pthread_equal(jobs[0].thread, blocker.thread));
    fixture_open_gate();
    fixture_sleep_us(20000);
    CHECK(batcher_submit(b, fixture_request(&jobs[1], 1, 3, 7), &err) == STATUS_OK);
    fixture_wait_completed(3);
    CHECK(fixture_output_right(jobs[1].req, 7, false));
    batcher_free(b);
    request_free(blocker.req);
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
    test_waiting_leader_woken_at_preferred(fixed);
    test_waiting_leader_woken_when_full(fixed);
    test_waiting_leader_woken_for_deadline(fixed);
    test_idle_worker_woken_without_leader(fixed);
    backend_model_free(fixed);
    backend_model_free(cols);
    fixture_cleanup();
    CHECK_DONE();
}
