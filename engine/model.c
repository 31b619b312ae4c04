#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dnnl.h>

#include "cpu_isa.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void describe(const graph_t *g, int v, const char *name, engine_io_t *io)
{
    const graph_value_t *val = &g->values[v];

    io->name = name;
    io->dtype = val->constant ? val->constant->dtype : val->dtype;
    io->rank = val->constant ? val->constant->rank : val->rank;
    if (io->rank < 0)
        io->rank = 0;
    for (int d = 0; d < io->rank; d++)
        io->dims[d] = val->constant ? val->constant->dims[d] : val->dims[d];
}

/* Fills a model's input and output descriptions from its graph. */
static status_t describe_io(engine_model_t *m, error_t *err)
{
    graph_t *g = m->graph;

    m->inputs = arena_alloc(&g->arena, ((size_t)g->n_inputs + 1) * sizeof *m->inputs);
    m->outputs = arena_alloc(&g->arena, ((size_t)g->n_outputs + 1) * sizeof *m->outputs);
    if (!m->inputs || !m->outputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < g->n_inputs; i++)
        describe(g, g->inputs[i], g->values[g->inputs[i]].name, &m->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        describe(g, g->outputs[i], g->output_names[i], &m->outputs[i]);
    return STATUS_OK;
}

/*
 * Gives every subgraph of g's nodes (and theirs, at every depth) a model
 * of its own, with its own plan cache, owned by root.
 */
static status_t wrap_subgraphs(engine_model_t *root, graph_t *g, error_t *err)
{
    for (int i = 0; i < g->n_nodes; i++)
        for (int b = 0; b < g->nodes[i].n_bodies; b++) {
            graph_t *body = g->nodes[i].bodies[b];
            engine_model_t **grown, *sub;
            status_t st;
            if (body->model)
                continue;
            grown = realloc(root->submodels, ((size_t)root->n_submodels + 1) * sizeof *grown);
            if (!grown)
                return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            root->submodels = grown;
            sub = calloc(1, sizeof *sub);
            if (!sub)
                return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            pthread_mutex_init(&sub->plans_lock, NULL);
            root->submodels[root->n_submodels++] = sub;
            sub->subgraph = true;
            sub->graph = body;
            sub->path = strdup(root->path);
            if (!sub->path)
                return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            st = describe_io(sub, err);
            if (!st)
                st = wrap_subgraphs(root, body, err);
            if (st)
                return st;
            body->model = sub;
        }
    return STATUS_OK;
}

const char *engine_precision_name(engine_precision_t precision)
{
    return precision == ENGINE_PRECISION_BF16 ? "bf16" : "fp32";
}

bool engine_precision_parse(const char *text, engine_precision_t *out)
{
    if (strcmp(text, "fp32") == 0)
        *out = ENGINE_PRECISION_FP32;
    else if (strcmp(text, "bf16") == 0)
        *out = ENGINE_PRECISION_BF16;
    else
        return false;
    return true;
}

bool engine_bf16_supported(void)
{
    /* cpu_isa first: it hands INFERD_MAX_ISA's cap to oneDNN before oneDNN fixes its ISA. */
    if (cpu_isa() < CPU_ISA_AVX512 || !__builtin_cpu_supports("avx512bf16"))
        return false;
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_bf16) ==
           dnnl_cpu_isa_avx512_core_bf16;
}

status_t engine_model_load(const char *path, engine_model_t **out, error_t *err)
{
    return engine_model_load_with(path, NULL, out, err);
}

status_t engine_model_load_with(const char *path, const engine_model_options_t *options,
                                engine_model_t **out, error_t *err)
{
    const engine_model_options_t defaults = {0};
    engine_model_t *m = calloc(1, sizeof *m);
    double t0 = now_ms(), t1;
    status_t st;

    *out = NULL;
    if (!m)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    pthread_mutex_init(&m->plans_lock, NULL);
    m->path = strdup(path);
    if (!m->path) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    if (!options)
        options = &defaults;
    m->stats.precision_requested = options->precision;
    m->stats.precision = options->precision;
    /* bf16 without the instructions would only be slower: run fp32, and say so once. */
    if (options->precision == ENGINE_PRECISION_BF16 && !engine_bf16_supported()) {
        m->stats.precision = ENGINE_PRECISION_FP32;
        engine_warn("%s: precision bf16 requested but this CPU lacks AVX512_BF16 (or %s caps it): "
                    "the model runs in fp32",
                    path, CPU_ISA_ENV);
    }
    st = onnx_import(path, &m->graph, err);
    t1 = now_ms();
    if (!st) {
        m->graph->bf16 = m->stats.precision == ENGINE_PRECISION_BF16;
        st = graph_compile(m->graph, err);
    }
    if (st)
        goto cleanup;
    st = describe_io(m, err);
    if (!st)
        st = wrap_subgraphs(m, m->graph, err);
    if (st)
        goto cleanup;
    m->stats.load_ms = t1 - t0;
    m->stats.compile_ms = now_ms() - t1;
    m->stats.weight_bytes = m->graph->weight_bytes;
    m->stats.node_count = m->graph->n_nodes;
    m->stats.opset = m->graph->opset;
    m->stats.bf16_layers = m->graph->bf16_layers;
    if (m->graph->qdq_float_layers)
        engine_warn(
            "%s: %d quantized Conv/MatMul/Gemm layer(s) run in float on dequantized tensors: "
            "no int8 kernel takes them (engine/fuse_qdq.c's conditions)",
            path, m->graph->qdq_float_layers);
    *out = m;
    m = NULL;
cleanup:
    if (st)
        error_prefix(err, "%s", path);
    engine_model_free(m);
    return st;
}

void engine_model_free(engine_model_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < MODEL_PLAN_CACHE_SIZE; i++)
        plan_release(m->plans[i]);
    pthread_mutex_destroy(&m->plans_lock);
    for (int i = 0; i < m->n_submodels; i++)
        engine_model_free(m->submodels[i]);
    free(m->submodels);
    if (!m->subgraph)
        graph_free(m->graph);
    free(m->path);
    free(m);
}

int engine_model_input_count(const engine_model_t *m)
{
    return m->graph->n_inputs;
}

int engine_model_output_count(const engine_model_t *m)
{
    return m->graph->n_outputs;
}

const engine_io_t *engine_model_input(const engine_model_t *m, int index)
{
    return index >= 0 && index < m->graph->n_inputs ? &m->inputs[index] : NULL;
}

const engine_io_t *engine_model_output(const engine_model_t *m, int index)
{
    return index >= 0 && index < m->graph->n_outputs ? &m->outputs[index] : NULL;
}

const engine_model_stats_t *engine_model_stats(const engine_model_t *m)
{
    return &m->stats;
}

int engine_model_reference_layers(const engine_model_t *m)
{
    return atomic_load(&((engine_model_t *)m)->reference_layers);
}

int engine_model_fallback_layers(const engine_model_t *m)
{
    return m->graph->qdq_float_layers + atomic_load(&((engine_model_t *)m)->fallback_layers);
}

static void warn_stderr(const char *message)
{
    fprintf(stderr, "inferd: warning: %s\n", message);
}

static _Atomic(engine_warn_fn) warn_handler = warn_stderr;

void engine_warn(const char *fmt, ...)
{
    char message[ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    atomic_load (&warn_handler)(message);
}

void engine_set_warning_handler(engine_warn_fn fn)
{
    atomic_store(&warn_handler, fn ? fn : warn_stderr);
}

/*
 * Counts a new plan's steps on reference code and on fallback routes and
 * names each in a warning: a reference layer can run hundreds of times
 * slower than it should, a fallback several times, and neither may go
 * unseen.
 */
void model_report_plan(engine_model_t *m, const plan_t *p)
{
    char message[ERROR_MESSAGE_MAX], shape[160];

    if (p->reference_steps == 0 && p->fallback_steps == 0)
        return;
    atomic_fetch_add(&m->reference_layers, p->reference_steps);
    atomic_fetch_add(&m->fallback_layers, p->fallback_steps);
    for (int s = 0; s < p->n_steps; s++) {
        const plan_step_t *step = &p->steps[s];
        const graph_node_t *node = step->node;
        const tensor_t *out;
        if (!step->reference && !step->fallback)
            continue;
        out = &p->values[node->outputs[0]].desc;
        if (step->reference)
            snprintf(message, sizeof message,
                     "%s: node '%s' (%s) runs on reference code (%s) for output shape %s, %d "
                     "threads: no faster implementation takes it",
                     m->path, node->name, node->op_type, step->impl,
                     shape_format(out->rank, out->dims, shape, sizeof shape), p->threads);
        else
            snprintf(message, sizeof message,
                     "%s: node '%s' (%s) runs on a fallback route (%s) for output shape %s, %d "
                     "threads: slower than its own",
                     m->path, node->name, node->op_type, step->impl,
                     shape_format(out->rank, out->dims, shape, sizeof shape), p->threads);
        atomic_load (&warn_handler)(message);
    }
}

/* Remembers the value each symbolic dim takes, to check it is the same everywhere. */
typedef struct dim_binding {
    const char *param;
    int64_t value;
} dim_binding_t;

status_t model_check_inputs(const engine_model_t *m, const tensor_t *inputs, int n_inputs,
                            error_t *err)
{
    const graph_t *g = m->graph;
    dim_binding_t bindings[64];
    int n_bindings = 0;
    char got[160], want[160];

    if (n_inputs != g->n_inputs)
        return error_set(err, STATUS_INVALID_ARGUMENT, "model expects %d inputs, got %d",
                         g->n_inputs, n_inputs);
    /* A subgraph's inputs are an op's values, shaped as the op's semantics allow. */
    if (m->subgraph)
        return STATUS_OK;
    for (int i = 0; i < n_inputs; i++) {
        const tensor_t *t = &inputs[i];
        const graph_value_t *decl = &g->values[g->inputs[i]];
        int64_t numel;
        if (t->dtype != decl->dtype)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s' has dtype %s, the model expects %s", decl->name,
                             dtype_name(t->dtype), dtype_name(decl->dtype));
        if (!shape_valid(t->rank, t->dims, &numel))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s' has an invalid shape %s (limit %lld elements)", decl->name,
                             shape_format(t->rank, t->dims, got, sizeof got),
                             (long long)TENSOR_MAX_ELEMENTS);
        if (decl->rank >= 0 && t->rank != decl->rank)
            goto shape_mismatch;
        for (int d = 0; decl->rank >= 0 && d < t->rank; d++) {
            if (decl->dims[d] != DIM_DYNAMIC && decl->dims[d] != t->dims[d])
                goto shape_mismatch;
            if (!decl->dim_params[d])
                continue;
            int b = 0;
            while (b < n_bindings && strcmp(bindings[b].param, decl->dim_params[d]) != 0)
                b++;
            if (b == n_bindings && n_bindings < (int)(sizeof bindings / sizeof bindings[0])) {
                bindings[n_bindings].param = decl->dim_params[d];
                bindings[n_bindings++].value = t->dims[d];
            } else if (b < n_bindings && bindings[b].value != t->dims[d]) {
                return error_set(err, STATUS_INVALID_ARGUMENT,
                                 "input '%s': dimension '%s' is %lld here but %lld in another "
                                 "input",
                                 decl->name, decl->dim_params[d], (long long)t->dims[d],
                                 (long long)bindings[b].value);
            }
        }
        if (numel > 0 && !t->data)
            return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s' has no data", decl->name);
        continue;
    shape_mismatch:
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s' has shape %s, the model expects %s", decl->name,
                         shape_format(t->rank, t->dims, got, sizeof got),
                         shape_format(decl->rank, decl->dims, want, sizeof want));
    }
    return STATUS_OK;
}

status_t model_get_plan(engine_model_t *m, const tensor_t *inputs, int threads, plan_t **out,
                        error_t *err)
{
    plan_t *plan = NULL;
    int victim = 0;
    status_t st;

    pthread_mutex_lock(&m->plans_lock);
    for (int i = 0; i < MODEL_PLAN_CACHE_SIZE; i++)
        if (m->plans[i] && plan_matches(m->plans[i], inputs, threads)) {
            plan = m->plans[i];
            plan_retain(plan);
            m->plan_used[i] = ++m->plan_clock;
            break;
        }
    pthread_mutex_unlock(&m->plans_lock);
    if (plan) {
        *out = plan;
        return STATUS_OK;
    }
    /* Planning reads only the immutable graph, so it runs outside the lock. */
    st = plan_build(m->graph, inputs, threads, &plan, err);
    if (st)
        return st;
    model_report_plan(m, plan);
    pthread_mutex_lock(&m->plans_lock);
    for (int i = 0; i < MODEL_PLAN_CACHE_SIZE; i++)
        if (!m->plans[i] || m->plan_used[i] < m->plan_used[victim]) {
            victim = i;
            if (!m->plans[i])
                break;
        }
    plan_release(m->plans[victim]);
    m->plans[victim] = plan;
    m->plan_used[victim] = ++m->plan_clock;
    plan_retain(plan);
    pthread_mutex_unlock(&m->plans_lock);
    *out = plan;
    return STATUS_OK;
}
