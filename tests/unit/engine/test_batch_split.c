/*
 * Batch splitting: on two threads, a batch the plan computes row by row runs
 * as two sub-batches, and the joined outputs are exactly those of one
 * unsplit run; a batch whose activations outgrow the cache (made small
 * here through INFERD_CACHE_BYTES) runs as more sub-batches, on one thread
 * too, taken in turn; a batch that mixes rows (Softmax over the batch
 * here) or meets a constant with a row per sample is never split, and
 * stays right.
 */
#include <math.h>
#include <stdlib.h>

#include "cpu_cache.h"

#include "check.h"
#include "engine.h"
#include "model_builder.h"

#define BATCH 8

/*
 * The cache the test pretends to have, and a wide model's rows and
 * columns: its whole-batch arena (one [WIDE_ROWS, WIDE_COLS] float
 * tensor, 256 KiB) is four times the one-thread share (half the cache),
 * so one thread runs 4 sub-batches and two threads, each with half that
 * share, 8.
 */
#define FAKE_CACHE_BYTES "131072"
#define WIDE_ROWS        64
#define WIDE_COLS        1024

/* Runs the wide model on x with threads threads into y; returns its sub-batches. */
static int run_wide(engine_model_t *model, int threads, const float *x, float *y)
{
    engine_context_t *ctx = NULL;
    tensor_t in = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {WIDE_ROWS, WIDE_COLS}};
    const tensor_t *out;
    error_t err;
    int parts = -1;

    in.data = (void *)x;
    CHECK(engine_context_create(model, threads, &ctx, &err) == STATUS_OK);
    if (ctx && engine_context_run(ctx, &in, 1, &out, &err) == STATUS_OK) {
        CHECK(out[0].dims[0] == WIDE_ROWS && out[0].dims[1] == WIDE_COLS);
        memcpy(y, out[0].data, (size_t)WIDE_ROWS * WIDE_COLS * sizeof *y);
        parts = engine_context_split_parts(ctx);
    }
    engine_context_free(ctx);
    return parts;
}

/* y = relu(x * 2 + w) on [WIDE_ROWS, WIDE_COLS], split by the cache's size. */
static void test_cache_sized(void)
{
    static float w[WIDE_COLS], x[WIDE_ROWS * WIDE_COLS], y[WIDE_ROWS * WIDE_COLS];
    const float two[1] = {2};
    model_spec_t spec = {.opset = 13, .output = "y"};
    engine_model_t *model = NULL;
    error_t err;

    for (int i = 0; i < WIDE_COLS; i++)
        w[i] = (float)(i % 5) - 2.0f;
    for (int i = 0; i < WIDE_ROWS * WIDE_COLS; i++)
        x[i] = (float)(i % 13) * 0.25f - 1.5f;
    spec.nodes[spec.n_nodes++] = node("Mul", "mul", "x", "two", "x2");
    spec.nodes[spec.n_nodes++] = node("Add", "add", "x2", "w", "s");
    spec.nodes[spec.n_nodes++] = node("Relu", "relu", "s", NULL, "y");
    spec.inits[spec.n_inits++] = float_tensor("two", 1, two, false);
    spec.inits[spec.n_inits++] = float_tensor("w", WIDE_COLS, w, true);
    CHECK(engine_model_load(write_model_shaped(&spec, "wide.onnx", WIDE_COLS, NULL), &model,
                            &err) == STATUS_OK);
    if (!model)
        return;
    for (int threads = 1; threads <= 2; threads++) {
        memset(y, 0, sizeof y);
        CHECK(run_wide(model, threads, x, y) == 4 * threads);
        for (int i = 0; i < WIDE_ROWS * WIDE_COLS; i++) {
            float want = x[i] * 2 + w[i % WIDE_COLS];
            CHECK(y[i] == (want > 0 ? want : 0));
        }
    }
    engine_model_free(model);
}

/* Runs model on x [rows, 3] with threads threads; copies the output to y. */
static int run(engine_model_t *model, int threads, const float *x, int64_t rows, float *y)
{
    engine_context_t *ctx = NULL;
    tensor_t in = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {rows, 3}, .data = (void *)x};
    const tensor_t *out;
    error_t err;
    int parts = -1;

    CHECK(engine_context_create(model, threads, &ctx, &err) == STATUS_OK);
    if (ctx && engine_context_run(ctx, &in, 1, &out, &err) == STATUS_OK) {
        CHECK(out[0].rank == 2 && out[0].dims[0] == rows && out[0].dims[1] == 3);
        memcpy(y, out[0].data, (size_t)rows * 3 * sizeof *y);
        parts = engine_context_split_parts(ctx);
    }
    engine_context_free(ctx);
    return parts;
}

static engine_model_t *load(const model_spec_t *spec, const char *file)
{
    engine_model_t *model = NULL;
    error_t err;

    CHECK(engine_model_load(write_model(spec, file), &model, &err) == STATUS_OK);
    return model;
}

int main(void)
{
    const float two[1] = {2}, bias[3] = {1, -100, 3};
    static float per_row[BATCH * 3];
    float x[BATCH * 3], y1[BATCH * 3], y2[BATCH * 3];
    model_spec_t rows = {.opset = 13, .output = "y"}, mixed = {.opset = 13, .output = "y"};
    model_spec_t table = {.opset = 13, .output = "y"};
    engine_model_t *model;
    char cmd[600];

    /* Before anything reads the cache size, which is read once. */
    setenv(CPU_CACHE_ENV, FAKE_CACHE_BYTES, 1);
    if (!mkdtemp(tmp_dir))
        return 1;
    test_cache_sized();
    for (int i = 0; i < BATCH * 3; i++) {
        x[i] = (float)(i % 7) - 2.5f;
        per_row[i] = (float)i;
    }

    /* y = relu(x * 2 + w): every step keeps rows apart. */
    rows.nodes[rows.n_nodes++] = node("Mul", "mul", "x", "two", "x2");
    rows.nodes[rows.n_nodes++] = node("Add", "add", "x2", "w", "s");
    rows.nodes[rows.n_nodes++] = node("Relu", "relu", "s", NULL, "y");
    rows.inits[rows.n_inits++] = float_tensor("two", 1, two, false);
    rows.inits[rows.n_inits++] = float_tensor("w", 3, bias, true);
    model = load(&rows, "rows.onnx");
    if (model) {
        CHECK(run(model, 2, x, BATCH, y2) == 2);
        CHECK(run(model, 1, x, BATCH, y1) == 1);
        CHECK(memcmp(y1, y2, sizeof y1) == 0);
        for (int i = 0; i < BATCH * 3; i++) {
            float want = x[i] * 2 + bias[i % 3];
            CHECK(y2[i] == (want > 0 ? want : 0));
        }
        /* One row: nothing to split. */
        CHECK(run(model, 2, x, 1, y2) == 1);
    }
    engine_model_free(model);

    /* Softmax over axis 0 mixes the rows. */
    mixed.nodes[mixed.n_nodes++] = node("Relu", "relu", "x", NULL, "r");
    mixed.nodes[mixed.n_nodes++] = node("Softmax", "softmax", "r", NULL, "y");
    mixed.nodes[1]->n_attribute = 1;
    mixed.nodes[1]->attribute = mk(sizeof *mixed.nodes[1]->attribute);
    mixed.nodes[1]->attribute[0] = mk(sizeof **mixed.nodes[1]->attribute);
    onnx__attribute_proto__init(mixed.nodes[1]->attribute[0]);
    mixed.nodes[1]->attribute[0]->name = "axis";
    mixed.nodes[1]->attribute[0]->has_type = 1;
    mixed.nodes[1]->attribute[0]->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    mixed.nodes[1]->attribute[0]->has_i = 1;
    mixed.nodes[1]->attribute[0]->i = 0;
    model = load(&mixed, "mixed.onnx");
    if (model) {
        CHECK(run(model, 2, x, BATCH, y2) == 1);
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            for (int r = 0; r < BATCH; r++)
                sum += y2[r * 3 + c];
            CHECK(fabs(sum - 1.0) < 1e-5);
        }
    }
    engine_model_free(model);

    /* A constant with a row per sample does not broadcast over the batch. */
    table.nodes[table.n_nodes++] = node("Add", "add", "x", "t", "y");
    table.inits[table.n_inits++] = float_tensor("t", BATCH * 3, per_row, true);
    table.inits[0]->n_dims = 2;
    table.inits[0]->dims = mk(2 * sizeof *table.inits[0]->dims);
    table.inits[0]->dims[0] = BATCH;
    table.inits[0]->dims[1] = 3;
    model = load(&table, "table.onnx");
    if (model) {
        CHECK(run(model, 2, x, BATCH, y2) == 1);
        for (int i = 0; i < BATCH * 3; i++)
            CHECK(y2[i] == x[i] + per_row[i]);
    }
    engine_model_free(model);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    builder_free();
    CHECK_DONE();
}
