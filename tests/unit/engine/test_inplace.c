/*
 * In-place steps: an elementwise op whose input dies there writes over the
 * input's buffer, and one whose input is read later does not.
 *
 *   r = Relu(x); s = Sigmoid(r); t = Add(s, r); y = Neg(t)
 *
 * s cannot take r's buffer (Add reads r later); t takes s's or r's and y
 * takes t's, so two buffers hold the four values.
 */
#include <math.h>

#include "check.h"
#include "engine.h"
#include "memory_plan.h"
#include "model_builder.h"

#define ROWS 1000

int main(void)
{
    static float x[ROWS * 3];
    model_spec_t spec = {.opset = 13, .output = "y"};
    engine_model_t *model = NULL;
    engine_context_t *ctx = NULL;
    tensor_t in = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {ROWS, 3}, .data = x};
    const tensor_t *out;
    const size_t value_bytes =
        (ROWS * 3 * sizeof(float) + MEMORY_PLAN_ALIGN - 1) & ~(size_t)(MEMORY_PLAN_ALIGN - 1);
    error_t err;
    char cmd[600];

    if (!mkdtemp(tmp_dir))
        return 1;
    spec.nodes[spec.n_nodes++] = node("Relu", "relu", "x", NULL, "r");
    spec.nodes[spec.n_nodes++] = node("Sigmoid", "sigmoid", "r", NULL, "s");
    spec.nodes[spec.n_nodes++] = node("Add", "add", "s", "r", "t");
    spec.nodes[spec.n_nodes++] = node("Neg", "neg", "t", NULL, "y");
    for (int i = 0; i < ROWS * 3; i++)
        x[i] = (float)(i % 11) - 5.0f;
    CHECK(engine_model_load(write_model(&spec, "inplace.onnx"), &model, &err) == STATUS_OK);
    CHECK(model && engine_context_create(model, 1, &ctx, &err) == STATUS_OK);
    CHECK(ctx && engine_context_run(ctx, &in, 1, &out, &err) == STATUS_OK);
    if (ctx) {
        int wrong = 0;
        for (int i = 0; i < ROWS * 3; i++) {
            float r = x[i] > 0 ? x[i] : 0;
            float want = -(1.0f / (1.0f + expf(-r)) + r);
            wrong += fabsf(((const float *)out[0].data)[i] - want) > 1e-6f;
        }
        CHECK(wrong == 0);
        CHECK(engine_context_arena_bytes(ctx) == 2 * value_bytes);
    }
    engine_context_free(ctx);
    engine_model_free(model);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    builder_free();
    CHECK_DONE();
}
