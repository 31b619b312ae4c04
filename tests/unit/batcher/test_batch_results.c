/*
 * The batcher gives every request exactly its own results: many threads
 * submitting at once to two workers, requests of several rows concatenated
 * and split back, submissions arriving together merged into one run, an
 * unbatched model running each request alone, and outputs left out of the
 * mask described but not copied.
 */
#include "batcher_fixture.h"

#define SUBMITTERS          8
#define REQUESTS_PER_THREAD 40

typedef struct submitter {
    batcher_t *b;
    int index;
    job_t jobs[REQUESTS_PER_THREAD];
    int refused;
} submitter_t;

static float base_of(int thread, int i)
{
    return (float)(thread * 1000 + i * 7);
}

static int rows_of(int i)
{
    return 1 + i % 3;
}

static void *submit_all(void *arg)
{
    submitter_t *s = arg;
    error_t err;

    for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
        job_t *job = &s->jobs[i];
        job->tag = s->index * REQUESTS_PER_THREAD + i;
        if (batcher_submit(s->b, fixture_request(job, rows_of(i), 3, base_of(s->index, i)), &err) !=
            STATUS_OK)
            s->refused++;
    }
    return NULL;
}

/* Eight threads at once, two workers: every output right, done once, off the submitter. */
static void test_concurrent_submitters(backend_model_t *model)
{
    static submitter_t subs[SUBMITTERS];
    pthread_t threads[SUBMITTERS];
    batcher_config_t cfg = fixture_config(8, 2000);
    batcher_t *b = NULL;
    batcher_stats_t st;
    uint64_t rows = 0, histogram = 0;
    error_t err;

    cfg.instance_count = 2;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int t = 0; t < SUBMITTERS; t++) {
        subs[t] = (submitter_t){.b = b, .index = t};
        CHECK(pthread_create(&threads[t], NULL, submit_all, &subs[t]) == 0);
    }
    for (int t = 0; t < SUBMITTERS; t++)
        pthread_join(threads[t], NULL);
    fixture_wait_completed(SUBMITTERS * REQUESTS_PER_THREAD);
    batcher_stats(b, &st);
    for (int t = 0; t < SUBMITTERS; t++) {
        CHECK(subs[t].refused == 0);
        for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
            job_t *job = &subs[t].jobs[i];
            CHECK(job->calls == 1);
            CHECK(!pthread_equal(job->thread, threads[t]));
            CHECK(fixture_output_right(job->req, base_of(t, i), false));
            CHECK(job->req->batch_size >= rows_of(i) && job->req->batch_size <= 8);
            rows += (uint64_t)rows_of(i);
        }
    }
    CHECK(st.success == SUBMITTERS * REQUESTS_PER_THREAD);
    CHECK(st.inferences == rows);
    CHECK(st.executions >= rows / 8 && st.executions <= SUBMITTERS * REQUESTS_PER_THREAD);
    for (int i = 0; i < BATCHER_HISTOGRAM_BUCKETS; i++)
        histogram += st.batch_histogram[i];
    CHECK(histogram == st.executions);
    CHECK(st.failed_invalid + st.failed_internal + st.failed_timeout + st.failed_queue_full +
              st.failed_unavailable ==
          0);
    CHECK(st.pending == 0);
    batcher_free(b);
    for (int t = 0; t < SUBMITTERS; t++)
        for (int i = 0; i < REQUESTS_PER_THREAD; i++)
            request_free(subs[t].jobs[i].req);
}

/*
 * Eight one-row requests submitted back to back while the worker waits up
 * to a second for company: one run of 8 once the batch is full.
 */
static void test_together_run_once(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(8, 1000000);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t jobs[8] = {0};
    int64_t start = request_now_us();
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 8; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, 3, (float)(10 * i)), &err) ==
              STATUS_OK);
    fixture_wait_completed(8);
    batcher_stats(b, &st);
    CHECK(st.executions == 1);
    CHECK(st.batch_histogram[3] == 1);
    CHECK(st.success == 8 && st.inferences == 8);
    for (int i = 0; i < 8; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(10 * i), false));
        CHECK(jobs[i].req->batch_size == 8);
        /* Full batches do not sit out the delay. */
        CHECK(jobs[i].done_us - start < FIXTURE_SLACK_US);
    }
    batcher_free(b);
    for (int i = 0; i < 8; i++)
        request_free(jobs[i].req);
}

/* Without dynamic batching each request runs alone, batch dim and all. */
static void test_not_combined(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(8, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t jobs[4] = {0};
    error_t err;

    cfg.combine_requests = false;
    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 4; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 2, 3, (float)(7 * i)), &err) ==
              STATUS_OK);
    fixture_wait_completed(4);
    batcher_stats(b, &st);
    CHECK(st.executions == 4 && st.success == 4 && st.inferences == 8);
    for (int i = 0; i < 4; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(7 * i), false));
        CHECK(jobs[i].req->batch_size == 2);
    }
    batcher_free(b);
    for (int i = 0; i < 4; i++)
        request_free(jobs[i].req);
}

/* Requests of 1, 2, 3, 4 and 6 rows fill a batch of 16 and each gets back its own rows. */
static void test_rows_split_back(backend_model_t *model)
{
    static const int rows[5] = {1, 2, 3, 4, 6};
    batcher_config_t cfg = fixture_config(16, 1000000);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t jobs[5] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 5; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], rows[i], 3, (float)(-50 * i)), &err) ==
              STATUS_OK);
    fixture_wait_completed(5);
    batcher_stats(b, &st);
    CHECK(st.executions == 1);
    CHECK(st.batch_histogram[4] == 1);
    CHECK(st.inferences == 16);
    for (int i = 0; i < 5; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)(-50 * i), false));
        CHECK(jobs[i].req->outputs[0].dims[0] == rows[i]);
        CHECK(jobs[i].req->batch_size == 16);
        CHECK(jobs[i].req->compute_us >= 0 && jobs[i].req->queue_us >= 0);
    }
    batcher_free(b);
    for (int i = 0; i < 5; i++)
        request_free(jobs[i].req);
}

/* max_batch_size 0: inputs go to the model as given, one request per run. */
static void test_unbatched(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(0, 1000000);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t jobs[3] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    for (int i = 0; i < 3; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 2 + 3 * i, 3, (float)i), &err) ==
              STATUS_OK);
    fixture_wait_completed(3);
    batcher_stats(b, &st);
    CHECK(st.executions == 3);
    CHECK(st.inferences == 3);
    CHECK(st.batch_histogram[0] == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(fixture_output_right(jobs[i].req, (float)i, false));
        CHECK(jobs[i].req->batch_size == 1);
    }
    batcher_free(b);
    for (int i = 0; i < 3; i++)
        request_free(jobs[i].req);
}

/* An output left out of the mask keeps its dtype and shape but gets no data. */
static void test_output_mask(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(4, 0);
    batcher_t *b = NULL;
    job_t job = {0};
    request_t *req;
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    req = fixture_request(&job, 3, 3, 0);
    req->output_mask = 0;
    CHECK(batcher_submit(b, req, &err) == STATUS_OK);
    fixture_wait_completed(1);
    CHECK(req->status == STATUS_OK);
    CHECK(req->n_outputs == 1);
    CHECK(req->outputs[0].dtype == DTYPE_FLOAT && req->outputs[0].rank == 2);
    CHECK(req->outputs[0].dims[0] == 3 && req->outputs[0].dims[1] == 3);
    CHECK(req->outputs[0].data == NULL);
    batcher_free(b);
    request_free(req);
}

int main(void)
{
    backend_model_t *model = fixture_model(false);

    test_concurrent_submitters(model);
    test_together_run_once(model);
    test_rows_split_back(model);
    test_not_combined(model);
    test_unbatched(model);
    test_output_mask(model);
    backend_model_free(model);
    fixture_cleanup();
    CHECK_DONE();
}
