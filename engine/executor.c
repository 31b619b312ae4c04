/*
 * executor.c - per-worker execution contexts: bind a plan's values to the
 * arena, the inputs and the constants, then run its steps in order.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

struct engine_context {
    engine_model_t *model;
    int threads;
    void *arena;
    size_t arena_bytes;
    tensor_t *values;             /* per graph value, bound for the current plan */
    tensor_t *outputs;            /* what the last run returned */
    const tensor_t **call_inputs; /* scratch: one node's input pointers */
    tensor_t *call_outputs;       /* scratch: one node's outputs */
    plan_t *plan;                 /* last plan run; outputs may point into its constants */
    bool profiling;
    engine_op_time_t op_times[ENGINE_PROFILE_MAX_OPS];
    int n_op_times;
};

status_t engine_context_create(engine_model_t *model, int threads, engine_context_t **out,
                               error_t *err)
{
    const graph_t *g = model->graph;
    engine_context_t *ctx = calloc(1, sizeof *ctx);

    *out = NULL;
    if (!ctx)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    ctx->model = model;
    ctx->threads = threads > 0 ? threads : 1;
    ctx->values = calloc((size_t)g->n_values + 1, sizeof *ctx->values);
    ctx->outputs = calloc((size_t)g->n_outputs + 1, sizeof *ctx->outputs);
    ctx->call_inputs = calloc(NODE_MAX_INPUTS, sizeof *ctx->call_inputs);
    ctx->call_outputs = calloc(NODE_MAX_OUTPUTS, sizeof *ctx->call_outputs);
    if (!ctx->values || !ctx->outputs || !ctx->call_inputs || !ctx->call_outputs) {
        engine_context_free(ctx);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    *out = ctx;
    return STATUS_OK;
}

void engine_context_free(engine_context_t *ctx)
{
    if (!ctx)
        return;
    plan_release(ctx->plan);
    free(ctx->arena);
    free(ctx->values);
    free(ctx->outputs);
    free(ctx->call_inputs);
    free(ctx->call_outputs);
    free(ctx);
}

size_t engine_context_arena_bytes(const engine_context_t *ctx)
{
    return ctx->arena_bytes;
}

static status_t reserve_arena(engine_context_t *ctx, size_t bytes, error_t *err)
{
    void *grown;

    if (bytes <= ctx->arena_bytes)
        return STATUS_OK;
    grown = aligned_alloc(ARENA_ALIGN, (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
    if (!grown)
        return error_set(err, STATUS_OUT_OF_MEMORY, "cannot allocate a %zu-byte arena", bytes);
    free(ctx->arena);
    ctx->arena = grown;
    ctx->arena_bytes = bytes;
    return STATUS_OK;
}

static void bind_values(engine_context_t *ctx, const plan_t *plan, const tensor_t *inputs)
{
    const graph_t *g = ctx->model->graph;

    for (int v = 0; v < g->n_values; v++) {
        const plan_value_t *pv = &plan->values[v];
        ctx->values[v] = pv->desc;
        if (pv->home == VALUE_INPUT)
            ctx->values[v].data = inputs[pv->input].data;
        else if (pv->home == VALUE_ARENA)
            ctx->values[v].data = (char *)ctx->arena + pv->offset;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void engine_context_profile(engine_context_t *ctx, bool on)
{
    ctx->profiling = on;
    ctx->n_op_times = 0;
}

int engine_context_op_times(const engine_context_t *ctx, const engine_op_time_t **times)
{
    *times = ctx->op_times;
    return ctx->n_op_times;
}

/* Adds one step's time to its op type's total; types past the table's end are not counted. */
static void count_op_time(engine_context_t *ctx, const char *op_type, double ms)
{
    int k = 0;

    while (k < ctx->n_op_times && strcmp(ctx->op_times[k].op_type, op_type) != 0)
        k++;
    if (k == ENGINE_PROFILE_MAX_OPS)
        return;
    if (k == ctx->n_op_times) {
        ctx->op_times[k] = (engine_op_time_t){.op_type = op_type};
        ctx->n_op_times++;
    }
    ctx->op_times[k].ms += ms;
    ctx->op_times[k].calls++;
}

static status_t run_step(engine_context_t *ctx, const plan_step_t *step, error_t *err)
{
    const graph_node_t *node = step->node;
    op_call_t call = {
        .op_type = node->op_type,
        .node = node->name,
        .params = node->params,
        .state = node->state,
        .prepared = step->prepared,
        .n_inputs = node->n_inputs,
        .inputs = ctx->call_inputs,
        .n_outputs = node->n_outputs,
        .outputs = ctx->call_outputs,
        .workspace_size = step->workspace_size,
        .workspace = (char *)ctx->arena + step->workspace_offset,
        .threads = ctx->threads,
    };

    for (int k = 0; k < node->n_inputs; k++)
        ctx->call_inputs[k] = node->inputs[k] >= 0 ? &ctx->values[node->inputs[k]] : NULL;
    for (int k = 0; k < node->n_outputs; k++)
        ctx->call_outputs[k] = ctx->values[node->outputs[k]];
    return node->schema->kernel->run(&call, err);
}

status_t engine_context_run(engine_context_t *ctx, const tensor_t *inputs, int n_inputs,
                            const tensor_t **outputs, error_t *err)
{
    engine_model_t *m = ctx->model;
    const graph_t *g = m->graph;
    plan_t *plan = NULL;
    status_t st = model_check_inputs(m, inputs, n_inputs, err);

    *outputs = NULL;
    if (!st)
        st = model_get_plan(m, inputs, ctx->threads, &plan, err);
    if (!st)
        st = reserve_arena(ctx, plan->arena_bytes, err);
    if (st) {
        plan_release(plan);
        return st;
    }
    plan_release(ctx->plan);
    ctx->plan = plan;
    bind_values(ctx, plan, inputs);
    for (int s = 0; s < plan->n_steps; s++) {
        double t0 = ctx->profiling ? now_ms() : 0;
        st = run_step(ctx, &plan->steps[s], err);
        if (st)
            return st;
        if (ctx->profiling)
            count_op_time(ctx, plan->steps[s].node->op_type, now_ms() - t0);
    }
    for (int k = 0; k < g->n_outputs; k++)
        ctx->outputs[k] = ctx->values[g->outputs[k]];
    *outputs = ctx->outputs;
    return STATUS_OK;
}
