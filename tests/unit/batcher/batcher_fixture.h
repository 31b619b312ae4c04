/*
 * batcher_fixture.h - what the batcher tests share: tiny real models
 * (y = 2x + w on x [N,3], y = 2x + 1 on x [N,M]), requests that record
 * their completion, and a gate that holds a worker busy inside a
 * completion callback so requests pile up behind it. Header-only; each
 * test is one translation unit.
 */
#ifndef INFERD_TEST_BATCHER_FIXTURE_H
#define INFERD_TEST_BATCHER_FIXTURE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "batcher.h"
#include "check.h"
#include "engine/model_builder.h"

/* Longest a test waits for completions before calling it a hang. */
#define FIXTURE_WAIT_US  (INT64_C(4) * 1000000)
#define FIXTURE_MAX_JOBS 1024
/*
 * Scheduling delay a timing bound allows: generous, because on a loaded
 * machine a woken thread was seen to start 200 ms late. Tests that tell
 * "ran at once" from "waited out the delay" use delays of twice this or more.
 */
#define FIXTURE_SLACK_US (INT64_C(500) * 1000)

static const float fixture_bias[3] = {1, -100, 3};

/* One submitted request and what its completion saw. */
typedef struct job {
    request_t *req;
    int tag;
    int calls;  /* completions: must end at exactly 1 */
    bool block; /* hold the worker in the callback until the gate opens */
    int64_t done_us;
    pthread_t thread; /* the thread the callback ran on */
} job_t;

static pthread_mutex_t fixture_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fixture_cv = PTHREAD_COND_INITIALIZER;
static int fixture_completed;
static int fixture_order[FIXTURE_MAX_JOBS]; /* tags in completion order */
static bool fixture_gate_open;
static bool fixture_blocked; /* a blocking job is inside its callback */
static bool fixture_dir_made;

static inline void fixture_reset(void)
{
    pthread_mutex_lock(&fixture_lock);
    fixture_completed = 0;
    fixture_gate_open = false;
    fixture_blocked = false;
    pthread_mutex_unlock(&fixture_lock);
}

static inline void fixture_on_done(request_t *req)
{
    job_t *job = req->user;

    pthread_mutex_lock(&fixture_lock);
    job->calls++;
    job->done_us = request_now_us();
    job->thread = pthread_self();
    if (fixture_completed < FIXTURE_MAX_JOBS)
        fixture_order[fixture_completed] = job->tag;
    fixture_completed++;
    pthread_cond_broadcast(&fixture_cv);
    if (job->block) {
        fixture_blocked = true;
        pthread_cond_broadcast(&fixture_cv);
        while (!fixture_gate_open)
            pthread_cond_wait(&fixture_cv, &fixture_lock);
    }
    pthread_mutex_unlock(&fixture_lock);
}

/* Waits (bounded) until pred holds; the lock is held while it is evaluated. */
#define FIXTURE_WAIT_FOR(pred)                                                                     \
    do {                                                                                           \
        struct timespec until_;                                                                    \
        clock_gettime(CLOCK_REALTIME, &until_);                                                    \
        until_.tv_sec += FIXTURE_WAIT_US / 1000000;                                                \
        pthread_mutex_lock(&fixture_lock);                                                         \
        while (!(pred))                                                                            \
            if (pthread_cond_timedwait(&fixture_cv, &fixture_lock, &until_) != 0)                  \
                break;                                                                             \
        CHECK(pred);                                                                               \
        pthread_mutex_unlock(&fixture_lock);                                                       \
    } while (0)

static inline void fixture_wait_completed(int n)
{
    FIXTURE_WAIT_FOR(fixture_completed >= n);
}

static inline void fixture_wait_blocked(void)
{
    FIXTURE_WAIT_FOR(fixture_blocked);
}

static inline void fixture_open_gate(void)
{
    pthread_mutex_lock(&fixture_lock);
    fixture_gate_open = true;
    pthread_cond_broadcast(&fixture_cv);
    pthread_mutex_unlock(&fixture_lock);
}

static inline void fixture_sleep_us(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

    while (nanosleep(&ts, &ts) != 0)
        continue;
}

/* x[i] = base + i, for a request of rows x cols floats. */
static inline float fixture_x(int64_t i, float base)
{
    return base + (float)i;
}

/* A request of rows x cols floats for job, with output 0 wanted. */
static inline request_t *fixture_request(job_t *job, int64_t rows, int64_t cols, float base)
{
    request_t *req = request_create();
    float *x;

    if (!req)
        abort();
    x = arena_alloc(&req->arena, (size_t)(rows * cols) * sizeof *x);
    if (!x && rows * cols > 0)
        abort();
    for (int64_t i = 0; i < rows * cols; i++)
        x[i] = fixture_x(i, base);
    req->n_inputs = 1;
    req->inputs[0] = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 2, .dims = {rows, cols}, .data = x};
    req->output_mask = 1;
    req->done = fixture_on_done;
    req->user = job;
    job->req = req;
    job->calls = 0;
    return req;
}

/*
 * True when the request succeeded with y = 2x + bias: bias[j % 3] on the
 * [N,3] model, 1 on the [N,M] one (cols != 3 or dynamic says which).
 */
static inline bool fixture_output_right(const request_t *req, float base, bool dynamic_cols)
{
    const tensor_t *x = &req->inputs[0], *y = &req->outputs[0];
    const float *out = y->data;

    if (req->status != STATUS_OK || req->n_outputs != 1 || !out || y->dtype != DTYPE_FLOAT ||
        !shape_equal(y->rank, y->dims, x->rank, x->dims))
        return false;
    for (int64_t i = 0; i < tensor_numel(x); i++) {
        float bias = dynamic_cols ? 1.0f : fixture_bias[i % x->dims[1]];
        if (out[i] != 2 * fixture_x(i, base) + bias)
            return false;
    }
    return true;
}

/*
 * Submits a request of rows x cols whose callback holds the worker until
 * fixture_open_gate, and waits until it does: what is submitted next queues
 * behind it. A full batch of rows does not wait for the queue delay.
 */
static inline void fixture_block_worker(batcher_t *b, job_t *job, int64_t rows, int64_t cols)
{
    error_t err;

    job->block = true;
    job->tag = -1;
    CHECK(batcher_submit(b, fixture_request(job, rows, cols, 0), &err) == STATUS_OK);
    fixture_wait_blocked();
}

/* A batcher config: one worker, dynamic batches up to max_batch, three priority levels. */
static inline batcher_config_t fixture_config(int max_batch, int64_t delay_us)
{
    batcher_config_t cfg = {
        .max_batch_size = max_batch,
        .combine_requests = true,
        .max_queue_delay_us = delay_us,
        .priority_levels = 3,
        .default_priority = 2,
        .instance_count = 1,
        .threads_per_instance = 1,
    };
    return cfg;
}

/* Writes and loads spec (input x [N,3], or [N,M] with cols_param); aborts on failure. */
static inline backend_model_t *fixture_load(const model_spec_t *spec, const char *file,
                                            const char *cols_param)
{
    backend_model_t *model = NULL;
    error_t err;

    if (!fixture_dir_made && !mkdtemp(tmp_dir))
        abort();
    fixture_dir_made = true;
    if (backend_model_load(NULL, write_model_shaped(spec, file, 3, cols_param), NULL, &model,
                           &err) != STATUS_OK) {
        fprintf(stderr, "%s: %s\n", file, err.message);
        abort();
    }
    return model;
}

/* y = 2x + w on x [N,3] (dynamic_cols false) or y = 2x + 1 on x [N,M] (true). */
static inline backend_model_t *fixture_model(bool dynamic_cols)
{
    static const float two[1] = {2}, one[1] = {1};
    model_spec_t spec = {.opset = 13, .output = "y"};

    spec.nodes[spec.n_nodes++] = node("Mul", "mul", "x", "two", "x2");
    spec.nodes[spec.n_nodes++] = node("Add", "add", "x2", "w", "y");
    spec.inits[spec.n_inits++] = float_tensor("two", 1, two, false);
    if (dynamic_cols)
        spec.inits[spec.n_inits++] = float_tensor("w", 1, one, false);
    else
        spec.inits[spec.n_inits++] = float_tensor("w", 3, fixture_bias, true);
    return dynamic_cols ? fixture_load(&spec, "cols.onnx", "M")
                        : fixture_load(&spec, "fixed.onnx", NULL);
}

/* Removes the model folder and the builder's allocations. */
static inline void fixture_cleanup(void)
{
    char cmd[600];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    builder_free();
}

#endif
