/*
 * Failures stay where they belong: requests the model rejects fail alone
 * (or with the requests they were batched with), a model whose output is
 * not batched like its inputs fails as an internal error instead of
 * splitting wrong rows, and a bad configuration is refused by name.
 */
#include <string.h>

#include "batcher_fixture.h"

/*
 * Behind a busy worker: five good requests of 3 columns and two of 4
 * columns (which the [N,3] model rejects). The two bad ones share a batch
 * and fail; the good ones share another and succeed.
 */
static void test_bad_batch_fails_alone(backend_model_t *model)
{
    batcher_config_t cfg = fixture_config(8, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t blocker = {0}, jobs[7] = {0};
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &cfg, &b, &err) == STATUS_OK);
    fixture_block_worker(b, &blocker, 1, 3);
    for (int i = 0; i < 7; i++)
        CHECK(batcher_submit(b, fixture_request(&jobs[i], 1, i == 2 || i == 5 ? 4 : 3, (float)i),
                             &err) == STATUS_OK);
    fixture_open_gate();
    fixture_wait_completed(8);
    for (int i = 0; i < 7; i++) {
        const request_t *req = jobs[i].req;
        CHECK(jobs[i].calls == 1);
        if (i == 2 || i == 5) {
            CHECK(req->status == STATUS_INVALID_ARGUMENT);
            CHECK(req->error.code == STATUS_INVALID_ARGUMENT && strstr(req->error.message, "x"));
            CHECK(req->n_outputs == 0);
            CHECK(req->batch_size == 2);
        } else {
            CHECK(fixture_output_right(req, (float)i, false));
            CHECK(req->batch_size == 5);
        }
    }
    batcher_stats(b, &st);
    CHECK(st.failed_invalid == 2);
    CHECK(st.failed_internal == 0);
    CHECK(st.success == 6 && st.inferences == 6);
    /* Only the runs that produced results count as executions. */
    CHECK(st.executions == 2);
    batcher_free(b);
    request_free(blocker.req);
    for (int i = 0; i < 7; i++)
        request_free(jobs[i].req);
}

/* y = Transpose(x): [N,3] -> [3,N], whose first dim is not the batch. */
static backend_model_t *transpose_model(void)
{
    model_spec_t spec = {.opset = 13, .output = "y"};

    spec.nodes[spec.n_nodes++] = node("Transpose", "t", "x", NULL, "y");
    return fixture_load(&spec, "transpose.onnx", NULL);
}

/*
 * Batched, the transposed output cannot be split by rows: INTERNAL for the
 * batch. Unbatched, the same model runs and returns the whole transpose.
 */
static void test_unsplittable_output(backend_model_t *model)
{
    batcher_config_t batched = fixture_config(8, 0), alone = fixture_config(0, 0);
    batcher_t *b = NULL;
    batcher_stats_t st;
    job_t failing = {0}, whole = {0};
    const float *y;
    error_t err;

    fixture_reset();
    CHECK(batcher_create(model, &batched, &b, &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&failing, 2, 3, 0), &err) == STATUS_OK);
    fixture_wait_completed(1);
    CHECK(failing.req->status == STATUS_INTERNAL);
    CHECK(strstr(failing.req->error.message, "'y'") && strstr(failing.req->error.message, "[3,2]"));
    CHECK(failing.req->n_outputs == 0);
    batcher_stats(b, &st);
    CHECK(st.failed_internal == 1 && st.success == 0 && st.executions == 0);
    batcher_free(b);

    CHECK(batcher_create(model, &alone, &b, &err) == STATUS_OK);
    CHECK(batcher_submit(b, fixture_request(&whole, 2, 3, 0), &err) == STATUS_OK);
    fixture_wait_completed(2);
    CHECK(whole.req->status == STATUS_OK && whole.req->n_outputs == 1);
    CHECK(whole.req->outputs[0].dims[0] == 3 && whole.req->outputs[0].dims[1] == 2);
    y = whole.req->outputs[0].data;
    for (int r = 0; y && r < 3; r++)
        for (int c = 0; c < 2; c++)
            CHECK(y[r * 2 + c] == fixture_x(c * 3 + r, 0));
    batcher_free(b);
    request_free(failing.req);
    request_free(whole.req);
}

/* batcher_create with cfg must fail naming field. */
static void expect_bad_config(backend_model_t *model, const batcher_config_t *cfg,
                              const char *field)
{
    batcher_t *b = (batcher_t *)1;
    error_t err = {STATUS_OK, ""};

    CHECK(batcher_create(model, cfg, &b, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(b == NULL);
    if (!strstr(err.message, field)) {
        fprintf(stderr, "message '%s' does not name '%s'\n", err.message, field);
        check_failures++;
    }
}

static void test_bad_configs(backend_model_t *model)
{
    batcher_config_t cfg;

    cfg = fixture_config(-1, 0);
    expect_bad_config(model, &cfg, "max_batch_size");
    cfg = fixture_config(BATCHER_MAX_BATCH_SIZE + 1, 0);
    expect_bad_config(model, &cfg, "max_batch_size");
    cfg = fixture_config(4, 0);
    cfg.preferred_batch_sizes[cfg.n_preferred++] = 5;
    expect_bad_config(model, &cfg, "preferred_batch_sizes[0]");
    cfg = fixture_config(0, 0);
    cfg.preferred_batch_sizes[cfg.n_preferred++] = 1;
    expect_bad_config(model, &cfg, "preferred_batch_sizes[0]");
    cfg = fixture_config(4, -1);
    expect_bad_config(model, &cfg, "max_queue_delay_us");
    cfg = fixture_config(4, 0);
    cfg.max_queue_size = -1;
    expect_bad_config(model, &cfg, "max_queue_size");
    cfg = fixture_config(4, 0);
    cfg.default_timeout_us = -1;
    expect_bad_config(model, &cfg, "default_timeout_us");
    cfg = fixture_config(4, 0);
    cfg.priority_levels = BATCHER_MAX_PRIORITY_LEVELS + 1;
    expect_bad_config(model, &cfg, "priority_levels");
    cfg = fixture_config(4, 0);
    cfg.default_priority = 4;
    expect_bad_config(model, &cfg, "default_priority");
    cfg = fixture_config(4, 0);
    cfg.instance_count = 0;
    expect_bad_config(model, &cfg, "instance_count");
    cfg = fixture_config(4, 0);
    cfg.threads_per_instance = 0;
    expect_bad_config(model, &cfg, "threads_per_instance");
}

int main(void)
{
    backend_model_t *model = fixture_model(false), *transpose = transpose_model();

    test_bad_batch_fails_alone(model);
    test_unsplittable_output(transpose);
    test_bad_configs(model);
    batcher_free(NULL);
    backend_model_free(model);
    backend_model_free(transpose);
    fixture_cleanup();
    CHECK_DONE();
}
