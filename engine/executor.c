/*
 * executor.c - per-worker execution contexts: bind a plan's values to the
 * arena, the inputs and the constants, then run its steps in order.
 *
 * A batch its plan computes row by row (plan_t.batch) may run as
 * sub-batches instead (plan_t.sub_batches), each on a part context of one
 * thread: one per thread at least, so the threads never wait for each
 * other inside the model, which a layer-by-layer split across threads
 * must do at every step; and more, taken in turn by each thread, where
 * the whole batch's activations would spill the cache. Each sub-batch's
 * outputs are copied into the context's own as it completes.
 */
#include <assert.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "segment.h"

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
    /* Sub-batches: one single-thread part context per thread. */
    engine_context_t **parts;
    tensor_t *part_inputs; /* [threads][n_inputs] row views of the inputs */
    status_t *part_status; /* per part: its last run's status and error */
    error_t *part_errors;
    void **joined;        /* per output: the sub-batches' rows copied together */
    size_t *joined_bytes; /* capacity of each joined buffer */
    int split_parts;      /* sub-batches of the last run, 1 when not split */
    /* Segments (segment.h): per depth, its plan, arena and dynamic buffers. */
    exec_segment_t **segments;
    int n_segments;
    tensor_t *key;       /* scratch: a continuation's key (per cross value) */
    void **bodies;       /* per node: its subgraphs' contexts (subgraph.c) */
    int64_t deadline_us; /* engine_context_set_deadline; 0: none */
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
    ctx->split_parts = 1;
    ctx->parts = calloc((size_t)ctx->threads, sizeof *ctx->parts);
    ctx->part_inputs =
        calloc((size_t)ctx->threads * ((size_t)g->n_inputs + 1), sizeof *ctx->part_inputs);
    ctx->part_status = calloc((size_t)ctx->threads, sizeof *ctx->part_status);
    ctx->part_errors = calloc((size_t)ctx->threads, sizeof *ctx->part_errors);
    ctx->joined = calloc((size_t)g->n_outputs + 1, sizeof *ctx->joined);
    ctx->joined_bytes = calloc((size_t)g->n_outputs + 1, sizeof *ctx->joined_bytes);
    ctx->key = calloc((size_t)g->n_values + 1, sizeof *ctx->key);
    ctx->bodies = calloc((size_t)g->n_nodes + 1, sizeof *ctx->bodies);
    if (!ctx->key || !ctx->bodies || !ctx->values || !ctx->outputs || !ctx->call_inputs ||
        !ctx->call_outputs || !ctx->parts || !ctx->part_inputs || !ctx->part_status ||
        !ctx->part_errors || !ctx->joined || !ctx->joined_bytes) {
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
    subgraph_contexts_free(ctx);
    for (int d = 0; ctx->segments && d < ctx->n_segments; d++) {
        exec_segment_t *seg = ctx->segments[d];
        if (!seg)
            continue;
        plan_release(seg->plan);
        free(seg->arena);
        for (size_t b = 0; b < sizeof seg->buffers / sizeof seg->buffers[0]; b++)
            free(seg->buffers[b].data);
        free(seg);
    }
    free(ctx->segments);
    free(ctx->key);
    free(ctx->bodies);
    plan_release(ctx->plan);
    for (int i = 0; ctx->parts && i < ctx->threads; i++)
        engine_context_free(ctx->parts[i]);
    for (int k = 0; ctx->joined && k < ctx->model->graph->n_outputs; k++)
        free(ctx->joined[k]);
    free(ctx->parts);
    free(ctx->part_inputs);
    free(ctx->part_status);
    free(ctx->part_errors);
    free(ctx->joined);
    free(ctx->joined_bytes);
    free(ctx->arena);
    free(ctx->values);
    free(ctx->outputs);
    free(ctx->call_inputs);
    free(ctx->call_outputs);
    free(ctx);
}

size_t engine_context_arena_bytes(const engine_context_t *ctx)
{
    size_t bytes = ctx->arena_bytes;

    for (int d = 1; d < ctx->n_segments; d++)
        if (ctx->segments[d])
            bytes += ctx->segments[d]->arena_bytes;
    for (int i = 0; ctx->parts && i < ctx->threads; i++)
        if (ctx->parts[i])
            bytes += ctx->parts[i]->arena_bytes;
    return bytes;
}

int engine_context_split_parts(const engine_context_t *ctx)
{
    return ctx->split_parts;
}

void **engine_context_bodies(engine_context_t *ctx)
{
    return ctx->bodies;
}

int engine_context_threads(const engine_context_t *ctx)
{
    return ctx->threads;
}

void engine_context_set_deadline(engine_context_t *ctx, int64_t deadline_us)
{
    ctx->deadline_us = deadline_us;
}

int64_t engine_context_deadline(const engine_context_t *ctx)
{
    return ctx->deadline_us;
}

engine_model_t *engine_context_model(const engine_context_t *ctx)
{
    return ctx->model;
}

/* The segment record at depth, created on first use; NULL when out of memory. */
static exec_segment_t *segment_at(engine_context_t *ctx, int depth, error_t *err)
{
    if (depth >= ctx->n_segments) {
        int cap = ctx->n_segments ? ctx->n_segments * 2 : 4;
        exec_segment_t **grown;
        while (cap <= depth)
            cap *= 2;
        grown = realloc(ctx->segments, (size_t)cap * sizeof *grown);
        if (!grown) {
            error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            return NULL;
        }
        memset(grown + ctx->n_segments, 0, (size_t)(cap - ctx->n_segments) * sizeof *grown);
        ctx->segments = grown;
        ctx->n_segments = cap;
    }
    if (!ctx->segments[depth] && !(ctx->segments[depth] = calloc(1, sizeof **ctx->segments)))
        error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    return ctx->segments[depth];
}

void *exec_buffer(const op_call_t *call, int slot, size_t bytes, error_t *err)
{
    exec_call_t *ec = call->engine;
    exec_buffer_t *b;
    size_t want;
    void *grown;

    assert(slot >= 0 && slot < NODE_MAX_OUTPUTS + OP_MAX_SCRATCH);
    b = &ec->segment->buffers[slot];
    if (b->data && bytes <= b->bytes)
        return b->data;
    if (bytes > plan_max_bytes()) {
        op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                "output or scratch %d needs %zu bytes, over the %zu allowed (%s, or half the "
                "memory)",
                slot, bytes, plan_max_bytes(), PLAN_MAX_BYTES_ENV);
        return NULL;
    }
    /* Doubling keeps a buffer grown row by row (Loop's scan outputs) linear in time. */
    want = b->bytes * 2 > bytes && b->bytes * 2 <= plan_max_bytes() ? b->bytes * 2 : bytes;
    want = (want + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    grown = aligned_alloc(ARENA_ALIGN, want ? want : ARENA_ALIGN);
    if (!grown) {
        op_fail(err, STATUS_OUT_OF_MEMORY, call->op_type, call->node,
                "cannot allocate %zu bytes for output or scratch %d", want, slot);
        return NULL;
    }
    if (b->data && b->bytes)
        memcpy(grown, b->data, b->bytes);
    free(b->data);
    b->data = grown;
    b->bytes = want;
    return grown;
}

static status_t reserve_arena(void **arena, size_t *arena_bytes, size_t bytes, error_t *err)
{
    void *grown;

    /*
     * Even a plan that needs no bytes (every value empty or constant) gets
     * an arena: values and workspaces point into it, and pointer
     * arithmetic on NULL is undefined.
     */
    if (bytes < ARENA_ALIGN)
        bytes = ARENA_ALIGN;
    if (bytes <= *arena_bytes)
        return STATUS_OK;
    grown = aligned_alloc(ARENA_ALIGN, (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
    if (!grown)
        return error_set(err, STATUS_OUT_OF_MEMORY, "cannot allocate a %zu-byte arena", bytes);
    free(*arena);
    *arena = grown;
    *arena_bytes = bytes;
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
    for (int i = 0; ctx->parts && i < ctx->threads; i++)
        if (ctx->parts[i])
            engine_context_profile(ctx->parts[i], on);
}

int engine_context_op_times(const engine_context_t *ctx, const engine_op_time_t **times)
{
    *times = ctx->op_times;
    return ctx->n_op_times;
}

/*
 * Adds ms over calls to the total of an op type on an implementation; pairs
 * past the table's end are not counted.
 */
static void add_op_time(engine_context_t *ctx, const engine_op_time_t *t)
{
    int k = 0;

    while (k < ctx->n_op_times && (strcmp(ctx->op_times[k].op_type, t->op_type) != 0 ||
                                   strcmp(ctx->op_times[k].impl, t->impl) != 0))
        k++;
    if (k == ENGINE_PROFILE_MAX_OPS)
        return;
    if (k == ctx->n_op_times) {
        ctx->op_times[k] = *t;
        ctx->op_times[k].ms = 0;
        ctx->op_times[k].calls = 0;
        ctx->n_op_times++;
    }
    ctx->op_times[k].ms += t->ms;
    ctx->op_times[k].calls += t->calls;
}

_Static_assert(ENGINE_IMPL_MAX == OP_IMPL_MAX, "a profile entry keeps a step's whole name");

/* Adds one run of a step to the profile. */
static void add_step_time(engine_context_t *ctx, const plan_step_t *step, double ms)
{
    engine_op_time_t t = {.op_type = step->node->op_type,
                          .reference = step->reference,
                          .fallback = step->fallback,
                          .ms = ms,
                          .calls = 1};

    snprintf(t.impl, sizeof t.impl, "%s", step->impl);
    add_op_time(ctx, &t);
}

/*
 * Runs one step with the arena at arena. A dynamic step's outputs get their
 * shapes and buffers as it runs (exec_buffer, in segment's buffers), which
 * the context's values then take.
 */
static status_t run_step(engine_context_t *ctx, const plan_step_t *step, void *arena,
                         exec_segment_t *segment, error_t *err)
{
    const graph_node_t *node = step->node;
    exec_call_t ec = {.ctx = ctx, .segment = segment, .node = node};
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
        .workspace = (char *)arena + step->workspace_offset,
        .threads = ctx->threads,
    };
    uint32_t dynamic = node->schema->kernel->dynamic_outputs;
    status_t st;

    for (int k = 0; k < node->n_inputs; k++)
        ctx->call_inputs[k] = node->inputs[k] >= 0 ? &ctx->values[node->inputs[k]] : NULL;
    for (int k = 0; k < node->n_outputs; k++)
        ctx->call_outputs[k] = ctx->values[node->outputs[k]];
    if (!step->dynamic)
        return node->schema->kernel->run(&call, err);
    call.buffer = exec_buffer;
    call.run_subgraph = subgraph_run;
    call.shape_subgraph = subgraph_shapes;
    call.engine = &ec;
    for (int k = 0; k < node->n_outputs; k++)
        if (k < 32 && (dynamic & (1u << k)))
            ctx->call_outputs[k].data = NULL;
    st = node->schema->kernel->run(&call, err);
    for (int k = 0; !st && k < node->n_outputs; k++) {
        if (k >= 32 || !(dynamic & (1u << k)))
            continue;
        if (!ctx->call_outputs[k].data)
            return op_fail(err, STATUS_INTERNAL, node->op_type, node->name,
                           "output %d was given no shape or buffer", k);
        ctx->values[node->outputs[k]] = ctx->call_outputs[k];
    }
    return st;
}

/* Runs plan's steps on arena, timing them when profiling. */
static status_t run_steps(engine_context_t *ctx, const plan_t *plan, void *arena,
                          exec_segment_t *segment, error_t *err)
{
    for (int s = 0; s < plan->n_steps; s++) {
        double t0 = ctx->profiling ? now_ms() : 0;
        status_t st = run_step(ctx, &plan->steps[s], arena, segment, err);
        if (st)
            return st;
        if (ctx->profiling)
            add_step_time(ctx, &plan->steps[s], now_ms() - t0);
    }
    return STATUS_OK;
}

/* Binds the values a continuation's nodes compute to its arena or constants. */
static void bind_segment(engine_context_t *ctx, const plan_t *plan, void *arena)
{
    const graph_t *g = ctx->model->graph;

    for (int i = plan->first_node; i < plan->end_node; i++) {
        const graph_node_t *node = &g->nodes[i];
        for (int k = 0; k < node->n_outputs; k++) {
            int v = node->outputs[k];
            const plan_value_t *pv = &plan->values[v];
            ctx->values[v] = pv->desc;
            if (pv->home == VALUE_ARENA)
                ctx->values[v].data = (char *)arena + pv->offset;
        }
    }
}

/*
 * Runs the segments after root, each planned for what the one before it
 * learnt (segment.h): the continuation for the cross values' shapes (and
 * small values) comes from its parent's cache or is planned now.
 */
static status_t run_continuations(engine_context_t *ctx, const plan_t *root, error_t *err)
{
    const graph_t *g = ctx->model->graph;
    const plan_t *parent = root;

    for (int depth = 1; parent->end_node < g->n_nodes; depth++) {
        exec_segment_t *seg = segment_at(ctx, depth, err);
        plan_t *next;
        status_t st;
        if (!seg)
            return STATUS_OUT_OF_MEMORY;
        for (int c = 0; c < parent->n_cross; c++)
            ctx->key[c] = ctx->values[parent->cross[c]];
        st = segment_next(ctx->model, (plan_t *)parent, ctx->key, &next, err);
        if (st)
            return st;
        plan_release(seg->plan);
        seg->plan = next;
        st = reserve_arena(&seg->arena, &seg->arena_bytes, next->arena_bytes, err);
        if (st)
            return st;
        bind_segment(ctx, next, seg->arena);
        st = run_steps(ctx, next, seg->arena, seg, err);
        if (st)
            return st;
        parent = next;
    }
    return STATUS_OK;
}

/* Rows [row0, row0 + rows) of t, a view into its data. */
static tensor_t row_view(const tensor_t *t, int64_t row0, int64_t rows)
{
    tensor_t v = *t;
    size_t row_bytes = tensor_bytes(t) / (size_t)t->dims[0];

    v.dims[0] = rows;
    v.data = (char *)t->data + (size_t)row0 * row_bytes;
    return v;
}

/* Adds a part's per-op times to the context's (time summed over the threads), then clears them. */
static void merge_op_times(engine_context_t *ctx, engine_context_t *part)
{
    for (int i = 0; i < part->n_op_times; i++)
        add_op_time(ctx, &part->op_times[i]);
    part->n_op_times = 0;
}

/* Sizes the joined buffer of each output for the whole batch, as plan lays it out. */
static status_t reserve_joined(engine_context_t *ctx, const plan_t *plan, error_t *err)
{
    const graph_t *g = ctx->model->graph;

    for (int k = 0; k < g->n_outputs; k++) {
        tensor_t joined = plan->values[g->outputs[k]].desc;
        size_t bytes = tensor_bytes(&joined);
        if (bytes > ctx->joined_bytes[k]) {
            void *grown = realloc(ctx->joined[k], bytes);
            if (!grown)
                return error_set(err, STATUS_OUT_OF_MEMORY, "cannot allocate a %zu-byte output",
                                 bytes);
            ctx->joined[k] = grown;
            ctx->joined_bytes[k] = bytes;
        }
        joined.data = ctx->joined[k];
        ctx->outputs[k] = joined;
    }
    return STATUS_OK;
}

/*
 * Runs sub-batches first, first + step, ... of plan's batch on part, each
 * copied into the joined outputs as it completes; stops at the first error.
 */
static status_t run_sub_batches(engine_context_t *ctx, const plan_t *plan, int part, int first,
                                int step, const tensor_t *inputs, int n_inputs, error_t *err)
{
    const graph_t *g = ctx->model->graph;
    tensor_t *views = &ctx->part_inputs[part * n_inputs];
    int n = plan->sub_batches;

    for (int i = first; i < n; i += step) {
        int64_t row0 = plan->batch * i / n, row1 = plan->batch * (i + 1) / n;
        const tensor_t *outputs;
        status_t st;
        for (int k = 0; k < n_inputs; k++)
            views[k] = row_view(&inputs[k], row0, row1 - row0);
        st = engine_context_run(ctx->parts[part], views, n_inputs, &outputs, err);
        if (st)
            return st;
        for (int k = 0; k < g->n_outputs; k++) {
            size_t row_bytes = tensor_bytes(&ctx->outputs[k]) / (size_t)plan->batch;
            assert(tensor_bytes(&outputs[k]) == (size_t)(row1 - row0) * row_bytes);
            memcpy((char *)ctx->outputs[k].data + (size_t)row0 * row_bytes, outputs[k].data,
                   tensor_bytes(&outputs[k]));
        }
    }
    return STATUS_OK;
}

/*
 * Runs a batch of plan->batch rows as plan->sub_batches sub-batches, taken
 * in turn by up to ctx->threads single-thread part contexts, and joins
 * their outputs.
 */
static status_t run_split(engine_context_t *ctx, const plan_t *plan, const tensor_t *inputs,
                          int n_inputs, error_t *err)
{
    int parts = plan->sub_batches < ctx->threads ? plan->sub_batches : ctx->threads;
    status_t st = reserve_joined(ctx, plan, err);

    for (int i = 0; i < parts && !st; i++)
        if (!ctx->parts[i]) {
            st = engine_context_create(ctx->model, 1, &ctx->parts[i], err);
            if (!st)
                engine_context_profile(ctx->parts[i], ctx->profiling);
        }
    if (st)
        return st;
    if (parts == 1) {
        st = run_sub_batches(ctx, plan, 0, 0, 1, inputs, n_inputs, err);
    } else {
#pragma omp parallel for num_threads(parts) schedule(static, 1)
        for (int i = 0; i < parts; i++)
            ctx->part_status[i] =
                run_sub_batches(ctx, plan, i, i, parts, inputs, n_inputs, &ctx->part_errors[i]);
        for (int i = 0; i < parts && !st; i++)
            if (ctx->part_status[i]) {
                if (err)
                    *err = ctx->part_errors[i];
                st = ctx->part_status[i];
            }
    }
    for (int i = 0; i < parts && !st && ctx->profiling; i++)
        merge_op_times(ctx, ctx->parts[i]);
    return st;
}

status_t engine_context_run(engine_context_t *ctx, const tensor_t *inputs, int n_inputs,
                            const tensor_t **outputs, error_t *err)
{
    engine_model_t *m = ctx->model;
    const graph_t *g = m->graph;
    plan_t *plan = NULL;
    exec_segment_t *root;
    status_t st = model_check_inputs(m, inputs, n_inputs, err);

    *outputs = NULL;
    /* The plan of the last run, when it fits, without the model's lock (a loop body's case). */
    if (!st && ctx->plan && plan_matches(ctx->plan, inputs, ctx->threads)) {
        plan = ctx->plan;
        plan_retain(plan);
    } else if (!st) {
        st = model_get_plan(m, inputs, ctx->threads, &plan, err);
    }
    if (!st && plan->sub_batches > 1) {
        st = run_split(ctx, plan, inputs, n_inputs, err);
        ctx->split_parts = st ? 1 : plan->sub_batches;
        plan_release(plan);
        if (!st)
            *outputs = ctx->outputs;
        return st;
    }
    ctx->split_parts = 1;
    if (!st)
        st = reserve_arena(&ctx->arena, &ctx->arena_bytes, plan->arena_bytes, err);
    if (st) {
        plan_release(plan);
        return st;
    }
    if (plan != ctx->plan) {
        plan_release(ctx->plan);
        ctx->plan = plan;
    } else {
        plan_release(plan);
    }
    bind_values(ctx, plan, inputs);
    root = segment_at(ctx, 0, err);
    if (!root)
        return STATUS_OUT_OF_MEMORY;
    st = run_steps(ctx, plan, ctx->arena, root, err);
    if (!st && plan->end_node < g->n_nodes)
        st = run_continuations(ctx, plan, err);
    if (st)
        return st;
    for (int k = 0; k < g->n_outputs; k++)
        ctx->outputs[k] = ctx->values[g->outputs[k]];
    *outputs = ctx->outputs;
    return STATUS_OK;
}
