/*
 * One compiled model shared by several worker threads, each with its own
 * context, running different batch sizes at once: every result must be
 * right, and plans are built per shape and shared through the model's cache.
 */
#include <pthread.h>

#include "check.h"
#include "engine.h"
#include "model_builder.h"

#define WORKERS         4
#define RUNS_PER_WORKER 300
#define MAX_BATCH       8

typedef struct worker {
    engine_model_t *model;
    int seed;
    int wrong;
} worker_t;

/* y = relu(x * 2 + w) with w = [1, -100, 3]; checks every element. */
static void *work(void *arg)
{
    worker_t *w = arg;
    engine_context_t *ctx = NULL;
    float x[MAX_BATCH * 3];
    const float bias[3] = {1, -100, 3};
    error_t err;

    if (engine_context_create(w->model, 1, &ctx, &err) != STATUS_OK) {
        w->wrong++;
        return NULL;
    }
    for (int run = 0; run < RUNS_PER_WORKER; run++) {
        int64_t batch = 1 + (run * 7 + w->seed) % MAX_BATCH;
        tensor_t in = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {batch, 3}, .data = x};
        const tensor_t *out;
        for (int i = 0; i < batch * 3; i++)
            x[i] = (float)(i + run + w->seed);
        if (engine_context_run(ctx, &in, 1, &out, &err) != STATUS_OK || out[0].dims[0] != batch) {
            w->wrong++;
            continue;
        }
        for (int i = 0; i < batch * 3; i++) {
            float want = x[i] * 2 + bias[i % 3];
            if (((const float *)out[0].data)[i] != (want > 0 ? want : 0))
                w->wrong++;
        }
    }
    engine_context_free(ctx);
    return NULL;
}

int main(void)
{
    const float two[1] = {2}, bias[3] = {1, -100, 3};
    model_spec_t spec = {.opset = 13, .output = "y"};
    engine_model_t *model = NULL;
    pthread_t threads[WORKERS];
    worker_t workers[WORKERS];
    error_t err;
    char cmd[600];

    if (!mkdtemp(tmp_dir))
        return 1;
    spec.nodes[spec.n_nodes++] = node("Mul", "mul", "x", "two", "x2");
    spec.nodes[spec.n_nodes++] = node("Add", "add", "x2", "w", "s");
    spec.nodes[spec.n_nodes++] = node("Relu", "relu", "s", NULL, "y");
    spec.inits[spec.n_inits++] = float_tensor("two", 1, two, false);
    spec.inits[spec.n_inits++] = float_tensor("w", 3, bias, true);
    CHECK(engine_model_load(write_model(&spec, "shared.onnx"), &model, &err) == STATUS_OK);
    for (int i = 0; model && i < WORKERS; i++) {
        workers[i] = (worker_t){.model = model, .seed = i * 3};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; model && i < WORKERS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(workers[i].wrong == 0);
    }
    engine_model_free(model);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    builder_free();
    CHECK_DONE();
}
