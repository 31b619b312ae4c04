/*
 * plan.c - shape inference for given input shapes, plan-time folding of
 * shape computations, and the arena layout.
 */
#include "plan.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_cache.h"
#include "memory_plan.h"

/*
 * Share of the last-level cache one sub-batch's activations may fill, the
 * rest left to the weights streaming through and the other threads'
 * sub-batches. Measured at 1 thread on this 32 MiB L3 (ms per image,
 * batch 1 / 2 / 4 / 8, arena 6 / 12 / 24 / 48 MB): MobileNetV2 8.2 / 7.9
 * / 8.9 / 9.3, best at the 12 MB batch; ResNet-50 93 / 81 / 79 / 85.
 */
#define PLAN_CACHE_SHARE_DIVISOR 2

static size_t max_bytes = SIZE_MAX;
static pthread_once_t max_bytes_once = PTHREAD_ONCE_INIT;

static void read_max_bytes(void)
{
    const char *forced = getenv(PLAN_MAX_BYTES_ENV);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

    if (pages > 0 && page > 0 && (uint64_t)pages < SIZE_MAX / (uint64_t)page)
        max_bytes = (size_t)pages * (size_t)page / 2;
    if (forced)
        cpu_cache_parse_bytes(forced, &max_bytes);
}

size_t plan_max_bytes(void)
{
    pthread_once(&max_bytes_once, read_max_bytes);
    return max_bytes;
}

static status_t copy_key(plan_t *p, const graph_t *g, const tensor_t *inputs, error_t *err)
{
    p->n_inputs = g->n_inputs;
    p->key = arena_alloc(&p->arena, ((size_t)g->n_inputs + 1) * sizeof *p->key);
    if (!p->key)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < g->n_inputs; i++) {
        p->key[i] = inputs[i];
        p->key[i].data = NULL;
        size_t bytes = tensor_bytes(&inputs[i]);
        /* A large one stays run-time data: planning waits for what is computed from it. */
        if (!g->values[g->inputs[i]].value_keyed || bytes > PLAN_KEY_VALUE_MAX_BYTES)
            continue;
        /* One spare byte so an empty tensor still gets a non-NULL pointer. */
        p->key[i].data = arena_alloc(&p->arena, bytes + 1);
        if (!p->key[i].data)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        if (bytes)
            memcpy(p->key[i].data, inputs[i].data, bytes);
    }
    return STATUS_OK;
}

/* Homes of constants and inputs, before any node is visited. */
static void place_sources(plan_t *p, const graph_t *g)
{
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].constant) {
            p->values[v].desc = *g->values[v].constant;
            p->values[v].home = VALUE_CONSTANT;
        }
    for (int i = 0; i < g->n_inputs; i++) {
        plan_value_t *pv = &p->values[g->inputs[i]];
        pv->desc = p->key[i];
        /* A value-keyed input is a constant of this plan: its values are in the key. */
        pv->home = p->key[i].data ? VALUE_CONSTANT : VALUE_INPUT;
        pv->input = i;
    }
}

static bool foldable(const plan_t *p, const graph_node_t *node)
{
    bool shape_only = node->schema->kernel->shape_only;

    /* Random ops draw anew on every run; control flow runs subgraphs, which only a context can. */
    if (node->schema->kernel->random || node->n_bodies > 0)
        return false;
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        if (v >= 0 && p->values[v].home != VALUE_CONSTANT && !shape_only)
            return false;
    }
    return true;
}

/* A step's call while planning: shapes and constants only. */
static op_call_t plan_call(const plan_t *p, const plan_step_t *step, const tensor_t **inputs,
                           tensor_t *outputs)
{
    const graph_node_t *node = step->node;

    for (int k = 0; k < node->n_inputs; k++)
        inputs[k] = node->inputs[k] >= 0 ? &p->values[node->inputs[k]].desc : NULL;
    for (int k = 0; k < node->n_outputs; k++)
        outputs[k] = p->values[node->outputs[k]].desc;
    return (op_call_t){
        .op_type = node->op_type,
        .node = node->name,
        .params = node->params,
        .state = node->state,
        .prepared = step->prepared,
        .n_inputs = node->n_inputs,
        .inputs = inputs,
        .n_outputs = node->n_outputs,
        .outputs = outputs,
        .workspace_size = step->workspace_size,
        .threads = p->threads,
    };
}

/*
 * The first input of node whose values its prototype needs but this plan
 * does not know (computed while running), or -1.
 */
static int unknown_value_input(const plan_t *p, const graph_node_t *node)
{
    uint32_t wanted = node->schema->kernel->value_inputs;

    for (int k = 0; k < node->n_inputs && k < 32; k++)
        if ((wanted & (1u << k)) && node->inputs[k] >= 0 &&
            p->values[node->inputs[k]].home != VALUE_CONSTANT)
            return k;
    return -1;
}

/* Bits of node's present outputs whose shapes only its run knows. */
static uint32_t dynamic_bits(const graph_node_t *node)
{
    uint32_t bits = node->schema->kernel->dynamic_outputs, present = 0;

    for (int k = 0; k < node->n_outputs && k < 32; k++)
        present |= 1u << k;
    return bits & present;
}

/*
 * Visits nodes in order from p->first_node: folds what is known, infers
 * shapes of the rest. Stops (setting p->end_node) after a step whose output
 * shapes depend on values, or before a node that needs values only the run
 * computes (segment.h); a static model goes through to the end.
 */
static status_t infer_steps(plan_t *p, const graph_t *g, error_t *err)
{
    const tensor_t *inputs[NODE_MAX_INPUTS];
    tensor_t outputs[NODE_MAX_OUTPUTS];

    p->steps =
        arena_alloc(&p->arena, ((size_t)(g->n_nodes - p->first_node) + 1) * sizeof *p->steps);
    if (!p->steps)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    p->end_node = g->n_nodes;
    for (int i = p->first_node; i < g->n_nodes; i++) {
        const graph_node_t *node = &g->nodes[i];
        size_t workspace = 0;
        status_t st;
        bool fold = foldable(p, node), dynamic;
        int unknown = unknown_value_input(p, node);

        if (unknown >= 0 && i == p->first_node) {
            const plan_value_t *pv = &p->values[node->inputs[unknown]];
            return op_fail(err, STATUS_LIMIT_EXCEEDED, node->op_type, node->name,
                           "needs the values of input %d ('%s', %zu bytes) to plan, but they "
                           "are computed while running and over the %d bytes a plan may be "
                           "keyed by",
                           unknown, g->values[node->inputs[unknown]].name, tensor_bytes(&pv->desc),
                           PLAN_KEY_VALUE_MAX_BYTES);
        }
        if (unknown >= 0) {
            p->end_node = i;
            break;
        }
        for (int k = 0; k < node->n_inputs; k++)
            inputs[k] = node->inputs[k] >= 0 ? &p->values[node->inputs[k]].desc : NULL;
        st = graph_node_infer(g, node, inputs, outputs, &workspace, err);
        /* A fold that would make far more than it reads runs as a step, in the arena. */
        if (!st && fold && !node->schema->kernel->shape_only &&
            graph_node_fold_grows(node, inputs, outputs, workspace))
            fold = false;
        if (!st && fold) {
            for (int k = 0; k < node->n_outputs; k++)
                p->folded_bytes += tensor_bytes(&outputs[k]);
            if (p->folded_bytes > plan_max_bytes())
                return error_set(err, STATUS_LIMIT_EXCEEDED,
                                 "%s node '%s': the plan for these input shapes folds over %zu "
                                 "bytes of constants (%s)",
                                 node->op_type, node->name, plan_max_bytes(), PLAN_MAX_BYTES_ENV);
            st = graph_node_fold(g, node, inputs, outputs, &p->arena, err);
        }
        if (st)
            return st;
        dynamic = !fold && dynamic_bits(node);
        for (int k = 0; k < node->n_outputs; k++) {
            plan_value_t *pv = &p->values[node->outputs[k]];
            pv->desc = outputs[k];
            pv->home = fold ? VALUE_CONSTANT : VALUE_ARENA;
            if (dynamic && (dynamic_bits(node) & (1u << k)))
                pv->home = VALUE_DYNAMIC;
        }
        if (!fold) {
            p->steps[p->n_steps].node = node;
            p->steps[p->n_steps].workspace_size = workspace;
            p->steps[p->n_steps].dynamic = dynamic || node->n_bodies > 0;
            p->n_steps++;
        }
        /* What reads a dynamic output is planned once its shape is known. */
        if (dynamic) {
            p->end_node = i + 1;
            break;
        }
    }
    return STATUS_OK;
}

/*
 * Kernel state of every step that has some, now that every shape is known,
 * and the implementation each step runs on.
 */
static status_t prepare_steps(plan_t *p, error_t *err)
{
    const tensor_t *inputs[NODE_MAX_INPUTS];
    tensor_t outputs[NODE_MAX_OUTPUTS];

    for (int s = 0; s < p->n_steps; s++) {
        plan_step_t *step = &p->steps[s];
        const op_kernel_t *kernel = step->node->schema->kernel;
        op_call_t call = plan_call(p, step, inputs, outputs);
        if (kernel->prepare) {
            status_t st = kernel->prepare(&call, &step->prepared, err);
            step->workspace_size = call.workspace_size;
            if (st)
                return st;
            call.prepared = step->prepared;
        }
        if (kernel->describe)
            step->reference = kernel->describe(&call, step->impl, sizeof step->impl);
        else
            snprintf(step->impl, sizeof step->impl, "inferd");
        p->reference_steps += step->reference;
        step->fallback = kernel->fallback && kernel->fallback(&call);
        p->fallback_steps += step->fallback;
    }
    return STATUS_OK;
}

/* Step index of each value's last reader; n_steps for graph outputs, -1 if none. */
static void find_last_reads(const plan_t *p, const graph_t *g, int *last_read)
{
    for (int v = 0; v < g->n_values; v++)
        last_read[v] = -1;
    for (int s = 0; s < p->n_steps; s++) {
        const graph_node_t *node = p->steps[s].node;
        for (int k = 0; k < node->n_inputs; k++)
            if (node->inputs[k] >= 0)
                last_read[node->inputs[k]] = s;
    }
    for (int v = 0; v < g->n_values; v++)
        if (p->live_after[v])
            last_read[v] = p->n_steps;
}

/*
 * The input whose arena block step s may write its output 0 over, or -1:
 * the kernel allows it for that input, the input dies at this step, and
 * dtype and byte size match (so the output fits exactly and the kernel sees
 * identical pointers, never a partial overlap).
 */
static int inplace_input(const plan_t *p, int s, const int *block_of, const int *last_read)
{
    const graph_node_t *node = p->steps[s].node;
    const tensor_t *out = &p->values[node->outputs[0]].desc;

    if (p->values[node->outputs[0]].home != VALUE_ARENA)
        return -1;
    for (int k = 0; k < node->n_inputs; k++) {
        int v = node->inputs[k];
        if (!(node->schema->kernel->inplace_inputs & (1u << k)) || v < 0 || block_of[v] < 0 ||
            last_read[v] != s)
            continue;
        const tensor_t *in = &p->values[v].desc;
        if (in->dtype == out->dtype && tensor_bytes(in) == tensor_bytes(out))
            return v;
    }
    return -1;
}

/*
 * Lifetimes of arena values and workspaces, then their offsets. A value an
 * in-place step overwrites hands its block on to that step's output.
 */
static status_t assign_memory(plan_t *p, const graph_t *g, error_t *err)
{
    int *block_of = malloc(((size_t)g->n_values + 1) * sizeof *block_of);
    int *last_read = malloc(((size_t)g->n_values + 1) * sizeof *last_read);
    int *workspace_block = malloc(((size_t)p->n_steps + 1) * sizeof *workspace_block);
    memory_block_t *blocks = calloc((size_t)g->n_values + (size_t)p->n_steps + 1, sizeof *blocks);
    int n_blocks = 0;
    status_t st = STATUS_OK;

    if (!block_of || !last_read || !workspace_block || !blocks) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    find_last_reads(p, g, last_read);
    for (int v = 0; v < g->n_values; v++)
        block_of[v] = -1;
    for (int s = 0; s < p->n_steps; s++) {
        const graph_node_t *node = p->steps[s].node;
        int reused = inplace_input(p, s, block_of, last_read);
        for (int k = 0; k < node->n_inputs; k++) {
            int v = node->inputs[k];
            if (v >= 0 && block_of[v] >= 0)
                blocks[block_of[v]].last = s;
        }
        for (int k = 0; k < node->n_outputs; k++) {
            int v = node->outputs[k];
            if (p->values[v].home != VALUE_ARENA)
                continue;
            if (k == 0 && reused >= 0) {
                block_of[v] = block_of[reused];
                continue;
            }
            blocks[n_blocks].size = tensor_bytes(&p->values[v].desc);
            blocks[n_blocks].first = blocks[n_blocks].last = s;
            block_of[v] = n_blocks++;
        }
        workspace_block[s] = -1;
        if (p->steps[s].workspace_size) {
            blocks[n_blocks].size = p->steps[s].workspace_size;
            blocks[n_blocks].first = blocks[n_blocks].last = s;
            workspace_block[s] = n_blocks++;
        }
    }
    /* Outputs, and what later segments read, are read after the last step. */
    for (int v = 0; v < g->n_values; v++)
        if (p->live_after[v] && block_of[v] >= 0)
            blocks[block_of[v]].last = p->n_steps;
    st = memory_plan_assign(blocks, n_blocks, &p->arena_bytes, err);
    if (st)
        goto cleanup;
    for (int v = 0; v < g->n_values; v++)
        if (block_of[v] >= 0)
            p->values[v].offset = blocks[block_of[v]].offset;
    for (int s = 0; s < p->n_steps; s++)
        if (workspace_block[s] >= 0)
            p->steps[s].workspace_offset = blocks[workspace_block[s]].offset;
cleanup:
    free(block_of);
    free(last_read);
    free(workspace_block);
    free(blocks);
    return st;
}

/* True if step node keeps the rows of a batch of b apart, by its kernel's word and the shapes. */
static bool step_keeps_rows(const plan_t *p, const graph_node_t *node, int64_t b)
{
    const op_kernel_t *kernel = node->schema->kernel;
    const tensor_t *inputs[NODE_MAX_INPUTS];
    tensor_t outputs[NODE_MAX_OUTPUTS];
    int n_outputs = node->n_outputs;
    op_call_t call = {.op_type = node->op_type, .node = node->name, .params = node->params};

    if (!kernel->batch_inputs)
        return false;
    while (n_outputs > 0 && node->outputs[n_outputs - 1] < 0)
        n_outputs--;
    for (int k = 0; k < n_outputs; k++) {
        if (node->outputs[k] < 0)
            return false;
        outputs[k] = p->values[node->outputs[k]].desc;
        if (outputs[k].rank < 1 || outputs[k].dims[0] != b)
            return false;
    }
    for (int k = 0; k < node->n_inputs; k++) {
        const plan_value_t *pv = node->inputs[k] >= 0 ? &p->values[node->inputs[k]] : NULL;
        bool batch_input = k < 32 && (kernel->batch_inputs & (1u << k));
        inputs[k] = pv ? &pv->desc : NULL;
        if (!pv)
            continue;
        if (pv->home != VALUE_CONSTANT) {
            /* Data of the batch: split with it, so dim 0 must be the batch. */
            if (!batch_input || pv->desc.rank < 1 || pv->desc.dims[0] != b)
                return false;
        } else if (batch_input && pv->desc.rank >= outputs[0].rank && pv->desc.dims[0] != 1) {
            /* A constant in a batch position must broadcast over the rows. */
            return false;
        }
    }
    call.n_inputs = node->n_inputs;
    call.inputs = inputs;
    call.n_outputs = n_outputs;
    call.outputs = outputs;
    return !kernel->batch_rows || kernel->batch_rows(&call);
}

/* The batch p may run as sub-batches (see plan_t.batch), or 0. */
static int64_t separable_batch(const plan_t *p, const graph_t *g)
{
    int64_t b = p->n_inputs > 0 && p->key[0].rank > 0 ? p->key[0].dims[0] : 0;

    /* Segmented plans and dynamic steps are not split (their shapes vary per sub-batch). */
    if (b < 2 || p->end_node < g->n_nodes || p->first_node > 0)
        return 0;
    for (int s = 0; s < p->n_steps; s++)
        if (p->steps[s].dynamic)
            return 0;
    for (int i = 0; i < p->n_inputs; i++)
        if (p->key[i].data || p->key[i].rank < 1 || p->key[i].dims[0] != b)
            return 0;
    for (int k = 0; k < g->n_outputs; k++) {
        const plan_value_t *pv = &p->values[g->outputs[k]];
        if (pv->home == VALUE_CONSTANT || pv->desc.rank < 1 || pv->desc.dims[0] != b)
            return 0;
    }
    for (int s = 0; s < p->n_steps; s++)
        if (!step_keeps_rows(p, p->steps[s].node, b))
            return 0;
    return b;
}

/* Smallest n >= least that threads divides, that is at most b, preferring one that divides b. */
static int64_t even_parts(int64_t b, int64_t least, int threads)
{
    int64_t t = threads > 1 ? threads : 1, n;

    for (n = least; n <= b; n++)
        if (n % t == 0 && b % n == 0)
            return n;
    n = (least + t - 1) / t * t;
    return n < b ? n : b;
}

/*
 * Sub-batches for a separable batch of p->batch rows whose whole-batch
 * arena would take p->arena_bytes. With several threads, at least one per
 * thread (no thread then waits for another inside the model). More when
 * the activations outgrow the threads' share of the cache, where what that
 * saves outweighs what it costs. Each sub-batch reads all the weights:
 * free when they stay cached beside the sub-batches' activations, but
 * weights larger than that stream from memory once per sub-batch, so
 * splitting into n then pays only when the activations (streamed from
 * memory once the arena spills) exceed n - 1 times the weights.
 * MobileNetV2 at batch 8 splits (48 MB of activations, 14 MB of weights);
 * ResNet-18 (32 and 45 MB) and ResNet-50 (42 and 98 MB) do not.
 */
static int plan_sub_batches(const plan_t *p, const graph_t *g, int threads)
{
    int64_t b = p->batch, n = threads > 1 && b >= threads ? threads : 1;
    size_t cache = cpu_cache_last_level_bytes(), teams = (size_t)(threads > 1 ? threads : 1);
    size_t share = cache / PLAN_CACHE_SHARE_DIVISOR / teams;
    int64_t fit = (int64_t)((p->arena_bytes + share - 1) / share);
    bool weights_cached = g->weight_bytes + share * teams <= cache;

    if (b < 2)
        return 1;
    if (fit > n && (weights_cached || p->arena_bytes > (size_t)(fit - 1) * g->weight_bytes))
        n = even_parts(b, fit, n > 1 ? threads : 1);
    return (int)n;
}

/* A new plan holding one reference, with its values array; NULL when out of memory. */
static plan_t *plan_new(const graph_t *g, int threads)
{
    plan_t *p = calloc(1, sizeof *p);

    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->next_lock, NULL);
    p->threads = threads;
    p->sub_batches = 1;
    p->values = arena_alloc(&p->arena, ((size_t)g->n_values + 1) * sizeof *p->values);
    p->live_after = arena_alloc(&p->arena, (size_t)g->n_values + 1);
    if (!p->values || !p->live_after) {
        plan_release(p);
        return NULL;
    }
    return p;
}

/*
 * Marks what outlives the segment (graph outputs, values nodes past
 * end_node read) and, when the segment is not the last, lists the cross
 * values that key its continuation: those the run computes (not constants
 * or graph inputs, which the plan's own key fixes) that later nodes read.
 * A cross value's data keys the continuation too when a later prototype
 * needs it, directly or through what it computes (as mark_liveness in
 * compile.c finds for graph inputs).
 */
static status_t find_cross_values(plan_t *p, const graph_t *g, error_t *err)
{
    bool *needed, *read;

    for (int k = 0; k < g->n_outputs; k++)
        p->live_after[g->outputs[k]] = true;
    if (p->end_node >= g->n_nodes)
        return STATUS_OK;
    needed = calloc((size_t)g->n_values + 1, sizeof *needed);
    read = calloc((size_t)g->n_values + 1, sizeof *read);
    p->cross = arena_alloc(&p->arena, ((size_t)g->n_values + 1) * sizeof *p->cross);
    p->cross_data = arena_alloc(&p->arena, (size_t)g->n_values + 1);
    if (!needed || !read || !p->cross || !p->cross_data) {
        free(needed);
        free(read);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    for (int i = g->n_nodes - 1; i >= p->end_node; i--) {
        const graph_node_t *node = &g->nodes[i];
        const op_kernel_t *kernel = node->schema->kernel;
        bool feeds_shape = false;
        for (int k = 0; k < node->n_outputs; k++)
            feeds_shape |= needed[node->outputs[k]];
        for (int k = 0; k < node->n_inputs; k++) {
            int v = node->inputs[k];
            if (v < 0)
                continue;
            p->live_after[v] = read[v] = true;
            if ((k < 32 && (kernel->value_inputs & (1u << k))) ||
                (feeds_shape && !kernel->shape_only))
                needed[v] = true;
        }
    }
    for (int v = 0; v < g->n_values; v++) {
        value_home_t home = p->values[v].home;
        bool computed = home == VALUE_ARENA || home == VALUE_DYNAMIC || home == VALUE_BOUND;
        if (!computed || !read[v])
            continue;
        p->cross_data[p->n_cross] = needed[v];
        p->cross[p->n_cross++] = v;
    }
    free(needed);
    free(read);
    return STATUS_OK;
}

/*
 * Plans the segment from p->first_node, values placed: steps, kernel state,
 * arena layout, and the limit check. Consumes p on failure.
 */
static status_t plan_segment(plan_t *p, const graph_t *g, plan_t **out, error_t *err)
{
    bool split_only = false;
    status_t st = infer_steps(p, g, err);

    if (!st)
        st = find_cross_values(p, g, err);
    if (!st) {
        p->batch = separable_batch(p, g);
        /*
         * A batch run as sub-batches runs on their own plans (executor.c)
         * and never on this one, which then needs no kernel state; its
         * arena, laid out with the workspaces shape inference asked for,
         * only sizes the choice.
         */
        if (p->batch > 0 && !(st = assign_memory(p, g, err)))
            p->sub_batches = plan_sub_batches(p, g, p->threads);
        split_only = p->sub_batches > 1;
        if (!st && !split_only)
            st = prepare_steps(p, err);
    }
    if (!st && !split_only)
        st = assign_memory(p, g, err);
    /* A split plan's arena is only an estimate: its sub-batch plans are checked themselves. */
    if (!st && !split_only && p->arena_bytes > plan_max_bytes() - p->folded_bytes)
        st = error_set(err, STATUS_LIMIT_EXCEEDED,
                       "the plan for these input shapes needs %zu bytes of activations and "
                       "workspaces and %zu of folded constants, over the %zu allowed (%s, or half "
                       "the memory)",
                       p->arena_bytes, p->folded_bytes, plan_max_bytes(), PLAN_MAX_BYTES_ENV);
    if (st) {
        plan_release(p);
        return st;
    }
    *out = p;
    return STATUS_OK;
}

status_t plan_build(const graph_t *g, const tensor_t *inputs, int threads, plan_t **out,
                    error_t *err)
{
    plan_t *p = plan_new(g, threads);
    status_t st;

    *out = NULL;
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    st = copy_key(p, g, inputs, err);
    if (st) {
        plan_release(p);
        return st;
    }
    place_sources(p, g);
    return plan_segment(p, g, out, err);
}

status_t plan_continue(const graph_t *g, const plan_t *parent, const tensor_t *key, plan_t **out,
                       error_t *err)
{
    plan_t *p = plan_new(g, parent->threads);

    *out = NULL;
    assert(parent->end_node < g->n_nodes && parent->n_cross >= 0);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    p->first_node = parent->end_node;
    p->n_inputs = parent->n_cross;
    p->key = arena_alloc(&p->arena, ((size_t)parent->n_cross + 1) * sizeof *p->key);
    if (!p->key) {
        plan_release(p);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    /* What the earlier segments computed is bound by them: this plan only reads it. */
    memcpy(p->values, parent->values, (size_t)g->n_values * sizeof *p->values);
    for (int v = 0; v < g->n_values; v++)
        if (p->values[v].home == VALUE_ARENA || p->values[v].home == VALUE_DYNAMIC) {
            p->values[v].home = VALUE_BOUND;
            p->values[v].desc.data = NULL;
        }
    for (int c = 0; c < parent->n_cross; c++) {
        plan_value_t *pv = &p->values[parent->cross[c]];
        size_t bytes = tensor_bytes(&key[c]);
        p->key[c] = key[c];
        p->key[c].data = NULL;
        pv->desc = p->key[c];
        if (!parent->cross_data[c] || bytes > PLAN_KEY_VALUE_MAX_BYTES)
            continue;
        /* Small values later prototypes need: constants of this plan, like value-keyed inputs. */
        p->key[c].data = arena_alloc(&p->arena, bytes + 1);
        if (!p->key[c].data) {
            plan_release(p);
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        }
        if (bytes)
            memcpy(p->key[c].data, key[c].data, bytes);
        pv->desc.data = p->key[c].data;
        pv->home = VALUE_CONSTANT;
    }
    return plan_segment(p, g, out, err);
}

bool plan_matches(const plan_t *p, const tensor_t *inputs, int threads)
{
    if (p->threads != threads)
        return false;
    for (int i = 0; i < p->n_inputs; i++) {
        const tensor_t *k = &p->key[i];
        if (k->dtype != inputs[i].dtype ||
            !shape_equal(k->rank, k->dims, inputs[i].rank, inputs[i].dims))
            return false;
        if (k->data && memcmp(k->data, inputs[i].data, tensor_bytes(k)) != 0)
            return false;
    }
    return true;
}

void plan_retain(plan_t *p)
{
    atomic_fetch_add(&p->refs, 1);
}

void plan_release(plan_t *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    for (int s = 0; s < p->n_steps; s++)
        if (p->steps[s].prepared)
            p->steps[s].node->schema->kernel->unprepare(p->steps[s].prepared);
    for (int i = 0; i < PLAN_MAX_CONTINUATIONS; i++)
        plan_release(p->next[i]);
    pthread_mutex_destroy(&p->next_lock);
    arena_release(&p->arena);
    free(p);
}
