/*
 * kserve_grpc_info.c - the gRPC responses that describe the server and its
 * models: server and model metadata, model configuration (Triton's
 * ModelConfig), statistics and the repository index.
 */
#include "kserve_grpc.h"

#include <inttypes.h>
#include <stdio.h>

/* Room for a version number as text. */
#define VERSION_TEXT_MAX 24

static char *version_text(arena_t *arena, int64_t version)
{
    char text[VERSION_TEXT_MAX];
    snprintf(text, sizeof text, "%" PRId64, version);
    return arena_strdup(arena, text);
}

Inference__ServerMetadataResponse *kserve_grpc_server_metadata(const char *name,
                                                               const char *version,
                                                               const char *const extensions[],
                                                               arena_t *arena)
{
    Inference__ServerMetadataResponse *r;
    size_t n = 0;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ServerMetadataResponse,
                            inference__server_metadata_response__init, r);
    while (extensions && extensions[n])
        n++;
    r->name = kserve_grpc_text(arena, name);
    r->version = kserve_grpc_text(arena, version);
    r->extensions = KSERVE_GRPC_ARRAY(arena, n + 1, char *);
    if (!r->name || !r->version || !r->extensions)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(r->extensions[i] = kserve_grpc_text(arena, extensions[i])))
            return NULL;
    r->n_extensions = n;
    return r;
}

static Inference__ModelMetadataResponse__TensorMetadata *
tensor_metadata(const model_tensor_config_t *tc, bool batched, arena_t *arena)
{
    Inference__ModelMetadataResponse__TensorMetadata *m;
    const char *dt = dtype_kserve_name(tc->dtype);
    int batch = batched ? 1 : 0;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelMetadataResponse__TensorMetadata,
                            inference__model_metadata_response__tensor_metadata__init, m);
    m->name = kserve_grpc_text(arena, tc->name);
    m->datatype = arena_strdup(arena, dt ? dt : dtype_name(tc->dtype));
    m->shape = KSERVE_GRPC_ARRAY(arena, tc->rank + batch + 1, int64_t);
    if (!m->name || !m->datatype || !m->shape)
        return NULL;
    if (batched)
        m->shape[0] = -1;
    for (int d = 0; d < tc->rank; d++)
        m->shape[d + batch] = tc->dims[d];
    m->n_shape = (size_t)(tc->rank + batch);
    return m;
}

static Inference__ModelMetadataResponse__TensorMetadata **
tensors_metadata(const model_tensor_config_t *tensors, int n, bool batched, arena_t *arena)
{
    Inference__ModelMetadataResponse__TensorMetadata **list =
        KSERVE_GRPC_ARRAY(arena, n + 1, void *);

    for (int i = 0; list && i < n; i++)
        if (!(list[i] = tensor_metadata(&tensors[i], batched, arena)))
            return NULL;
    return list;
}

Inference__ModelMetadataResponse *kserve_grpc_model_metadata(const model_config_t *cfg,
                                                             const int64_t *versions,
                                                             int n_versions, arena_t *arena)
{
    Inference__ModelMetadataResponse *r;
    bool batched = cfg->max_batch_size > 0;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelMetadataResponse,
                            inference__model_metadata_response__init, r);
    r->name = kserve_grpc_text(arena, cfg->name);
    r->platform = kserve_grpc_text(arena, model_config_triton_platform(cfg->platform));
    r->versions = KSERVE_GRPC_ARRAY(arena, n_versions + 1, char *);
    r->inputs = tensors_metadata(cfg->inputs, cfg->n_inputs, batched, arena);
    r->outputs = tensors_metadata(cfg->outputs, cfg->n_outputs, batched, arena);
    if (!r->name || !r->platform || !r->versions || !r->inputs || !r->outputs)
        return NULL;
    for (int i = 0; i < n_versions; i++)
        if (!(r->versions[i] = version_text(arena, versions[i])))
            return NULL;
    r->n_versions = (size_t)n_versions;
    r->n_inputs = (size_t)cfg->n_inputs;
    r->n_outputs = (size_t)cfg->n_outputs;
    return r;
}

/* Triton's DataType enum value of a dtype; TYPE_INVALID for one it has none for. */
static Inference__DataType data_type(dtype_t t)
{
    switch (t) {
    case DTYPE_BOOL:
        return INFERENCE__DATA_TYPE__TYPE_BOOL;
    case DTYPE_UINT8:
        return INFERENCE__DATA_TYPE__TYPE_UINT8;
    case DTYPE_UINT16:
        return INFERENCE__DATA_TYPE__TYPE_UINT16;
    case DTYPE_UINT32:
        return INFERENCE__DATA_TYPE__TYPE_UINT32;
    case DTYPE_UINT64:
        return INFERENCE__DATA_TYPE__TYPE_UINT64;
    case DTYPE_INT8:
        return INFERENCE__DATA_TYPE__TYPE_INT8;
    case DTYPE_INT16:
        return INFERENCE__DATA_TYPE__TYPE_INT16;
    case DTYPE_INT32:
        return INFERENCE__DATA_TYPE__TYPE_INT32;
    case DTYPE_INT64:
        return INFERENCE__DATA_TYPE__TYPE_INT64;
    case DTYPE_FLOAT16:
        return INFERENCE__DATA_TYPE__TYPE_FP16;
    case DTYPE_FLOAT:
        return INFERENCE__DATA_TYPE__TYPE_FP32;
    case DTYPE_DOUBLE:
        return INFERENCE__DATA_TYPE__TYPE_FP64;
    case DTYPE_STRING:
        return INFERENCE__DATA_TYPE__TYPE_STRING;
    case DTYPE_BFLOAT16:
        return INFERENCE__DATA_TYPE__TYPE_BF16;
    default:
        return INFERENCE__DATA_TYPE__TYPE_INVALID;
    }
}

/*
 * The fields ModelInput and ModelOutput share, from tc, copied into the
 * arena; false when it is out of memory.
 */
static bool tensor_fields(const model_tensor_config_t *tc, arena_t *arena, char **name,
                          Inference__DataType *type, int64_t **dims, size_t *n_dims)
{
    *name = kserve_grpc_text(arena, tc->name);
    *type = data_type(tc->dtype);
    *dims = arena_memdup(arena, tc->dims, sizeof tc->dims);
    *n_dims = tc->rank > 0 ? (size_t)tc->rank : 0;
    return *name && *dims;
}

static Inference__ModelInput **config_inputs(const model_config_t *cfg, arena_t *arena)
{
    Inference__ModelInput **list = KSERVE_GRPC_ARRAY(arena, cfg->n_inputs + 1, void *);

    for (int i = 0; list && i < cfg->n_inputs; i++) {
        Inference__ModelInput *m;

        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelInput, inference__model_input__init, m);
        if (!tensor_fields(&cfg->inputs[i], arena, &m->name, &m->data_type, &m->dims, &m->n_dims))
            return NULL;
        list[i] = m;
    }
    return list;
}

static Inference__ModelOutput **config_outputs(const model_config_t *cfg, arena_t *arena)
{
    Inference__ModelOutput **list = KSERVE_GRPC_ARRAY(arena, cfg->n_outputs + 1, void *);

    for (int i = 0; list && i < cfg->n_outputs; i++) {
        Inference__ModelOutput *m;

        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelOutput, inference__model_output__init, m);
        if (!tensor_fields(&cfg->outputs[i], arena, &m->name, &m->data_type, &m->dims, &m->n_dims))
            return NULL;
        m->label_filename = kserve_grpc_text(arena, cfg->outputs[i].label_filename);
        if (!m->label_filename)
            return NULL;
        list[i] = m;
    }
    return list;
}

static Inference__ModelDynamicBatching *dynamic_batching(const batcher_config_t *b, arena_t *arena)
{
    Inference__ModelDynamicBatching *m;
    Inference__ModelQueuePolicy *q;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelDynamicBatching,
                            inference__model_dynamic_batching__init, m);
    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelQueuePolicy, inference__model_queue_policy__init,
                            q);
    m->preferred_batch_size = KSERVE_GRPC_ARRAY(arena, b->n_preferred + 1, int32_t);
    if (!m->preferred_batch_size)
        return NULL;
    for (int i = 0; i < b->n_preferred; i++)
        m->preferred_batch_size[i] = b->preferred_batch_sizes[i];
    m->n_preferred_batch_size = (size_t)b->n_preferred;
    m->max_queue_delay_microseconds = (uint64_t)b->max_queue_delay_us;
    m->priority_levels = (uint64_t)b->priority_levels;
    m->default_priority_level = (uint64_t)b->default_priority;
    /* A request may lower the default timeout, never raise it: Triton's override flag. */
    q->timeout_action = INFERENCE__MODEL_QUEUE_POLICY__TIMEOUT_ACTION__REJECT;
    q->default_timeout_microseconds = (uint64_t)b->default_timeout_us;
    q->allow_timeout_override = 1;
    q->max_queue_size = (uint32_t)b->max_queue_size;
    m->default_queue_policy = q;
    return m;
}

/*
 * The instance groups the REST config shows (model_config_instance_groups),
 * in Triton's kinds: KIND_CPU for CPU instances; KIND_MODEL, the backend
 * placing them, for a device backend's groups (Triton has no NPU kind).
 */
static Inference__ModelInstanceGroup **instance_groups(const model_config_t *cfg, size_t *n,
                                                       arena_t *arena)
{
    model_instance_group_t groups[BATCHER_MAX_INSTANCES];
    int count = model_config_instance_groups(cfg, groups);
    Inference__ModelInstanceGroup **list = KSERVE_GRPC_ARRAY(arena, count, void *);

    if (!list)
        return NULL;
    for (int i = 0; i < count; i++) {
        Inference__ModelInstanceGroup *g;
        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelInstanceGroup,
                                inference__model_instance_group__init, g);
        g->name = kserve_grpc_text(arena, cfg->name);
        g->count = groups[i].count;
        g->kind = groups[i].device >= 0 ? INFERENCE__MODEL_INSTANCE_GROUP__KIND__KIND_MODEL
                                        : INFERENCE__MODEL_INSTANCE_GROUP__KIND__KIND_CPU;
        if (!g->name)
            return NULL;
        list[i] = g;
    }
    *n = (size_t)count;
    return list;
}

static Inference__ModelVersionPolicy *version_policy(const version_policy_t *vp, arena_t *arena)
{
    Inference__ModelVersionPolicy *m;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelVersionPolicy,
                            inference__model_version_policy__init, m);
    if (vp->kind == VERSION_POLICY_ALL) {
        m->policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_ALL;
        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelVersionPolicy__All,
                                inference__model_version_policy__all__init, m->all);
    } else if (vp->kind == VERSION_POLICY_SPECIFIC) {
        m->policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_SPECIFIC;
        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelVersionPolicy__Specific,
                                inference__model_version_policy__specific__init, m->specific);
        m->specific->versions = arena_memdup(arena, vp->versions, sizeof vp->versions);
        m->specific->n_versions = (size_t)vp->n_versions;
        if (!m->specific->versions)
            return NULL;
    } else {
        m->policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_LATEST;
        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelVersionPolicy__Latest,
                                inference__model_version_policy__latest__init, m->latest);
        m->latest->num_versions = (uint32_t)vp->latest_n;
    }
    return m;
}

static Inference__ModelWarmup *warmup(const warmup_config_t *w, int index, arena_t *arena)
{
    Inference__ModelWarmup *m;
    char name[32];

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelWarmup, inference__model_warmup__init, m);
    snprintf(name, sizeof name, "warmup_%d", index);
    m->name = arena_strdup(arena, name);
    m->batch_size = (uint32_t)w->batch_size;
    m->count = (uint32_t)w->iterations;
    m->inputs = KSERVE_GRPC_ARRAY(arena, w->n_inputs + 1, void *);
    if (!m->name || !m->inputs)
        return NULL;
    for (int i = 0; i < w->n_inputs; i++) {
        const model_tensor_config_t *tc = &w->inputs[i];
        Inference__ModelWarmup__InputsEntry *e;
        Inference__ModelWarmup__Input *in;

        if (tc->rank < 0)
            continue;
        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelWarmup__InputsEntry,
                                inference__model_warmup__inputs_entry__init, e);
        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelWarmup__Input,
                                inference__model_warmup__input__init, in);
        if (!tensor_fields(tc, arena, &e->key, &in->data_type, &in->dims, &in->n_dims))
            return NULL;
        in->input_data_type_case = INFERENCE__MODEL_WARMUP__INPUT__INPUT_DATA_TYPE_ZERO_DATA;
        in->zero_data = 1;
        e->value = in;
        m->inputs[m->n_inputs++] = e;
    }
    return m;
}

/* inferd settings Triton has no field for, under parameters. */
static Inference__ModelConfig__ParametersEntry **config_parameters(const model_config_t *cfg,
                                                                   size_t *n, arena_t *arena)
{
    Inference__ModelConfig__ParametersEntry **list = KSERVE_GRPC_ARRAY(arena, 1, void *);
    Inference__ModelConfig__ParametersEntry *e;
    Inference__ModelParameter *p;
    char value[16];

    if (!list)
        return NULL;
    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelConfig__ParametersEntry,
                            inference__model_config__parameters_entry__init, e);
    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelParameter, inference__model_parameter__init, p);
    snprintf(value, sizeof value, "%d", cfg->batching.threads_per_instance);
    e->key = arena_strdup(arena, "threads_per_instance");
    p->string_value = arena_strdup(arena, value);
    if (!e->key || !p->string_value)
        return NULL;
    e->value = p;
    list[0] = e;
    *n = 1;
    return list;
}

Inference__ModelConfigResponse *kserve_grpc_model_config(const model_config_t *cfg, arena_t *arena)
{
    Inference__ModelConfigResponse *r;
    Inference__ModelConfig *c;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelConfigResponse,
                            inference__model_config_response__init, r);
    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelConfig, inference__model_config__init, c);
    c->name = kserve_grpc_text(arena, cfg->name);
    c->platform = kserve_grpc_text(arena, model_config_triton_platform(cfg->platform));
    c->backend = kserve_grpc_text(arena, model_config_triton_backend(cfg->backend));
    c->max_batch_size = cfg->max_batch_size;
    c->input = config_inputs(cfg, arena);
    c->output = config_outputs(cfg, arena);
    c->instance_group = instance_groups(cfg, &c->n_instance_group, arena);
    c->version_policy = version_policy(&cfg->version_policy, arena);
    c->parameters = config_parameters(cfg, &c->n_parameters, arena);
    c->model_warmup = KSERVE_GRPC_ARRAY(arena, cfg->n_warmup + 1, void *);
    if (!c->name || !c->platform || !c->backend || !c->input || !c->output || !c->instance_group ||
        !c->version_policy || !c->parameters || !c->model_warmup)
        return NULL;
    c->n_input = (size_t)cfg->n_inputs;
    c->n_output = (size_t)cfg->n_outputs;
    if (cfg->dynamic_batching) {
        c->scheduling_choice_case = INFERENCE__MODEL_CONFIG__SCHEDULING_CHOICE_DYNAMIC_BATCHING;
        if (!(c->dynamic_batching = dynamic_batching(&cfg->batching, arena)))
            return NULL;
    }
    for (int i = 0; i < cfg->n_warmup; i++)
        if (!(c->model_warmup[i] = warmup(&cfg->warmup[i], i, arena)))
            return NULL;
    c->n_model_warmup = (size_t)cfg->n_warmup;
    r->config = c;
    return r;
}

static Inference__StatisticDuration *duration(uint64_t count, uint64_t ns, arena_t *arena)
{
    Inference__StatisticDuration *d;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__StatisticDuration,
                            inference__statistic_duration__init, d);
    d->count = count;
    d->ns = ns;
    return d;
}

static Inference__InferStatistics *infer_statistics(const kserve_stats_figures_t *f, arena_t *arena)
{
    Inference__InferStatistics *s;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__InferStatistics, inference__infer_statistics__init,
                            s);
    s->success = duration(f->success_count, f->success_ns, arena);
    s->fail = duration(f->fail_count, 0, arena);
    s->queue = duration(f->success_count, f->queue_ns, arena);
    s->compute_input = duration(f->success_count, 0, arena);
    s->compute_infer = duration(f->success_count, f->compute_infer_ns, arena);
    s->compute_output = duration(f->success_count, 0, arena);
    if (!s->success || !s->fail || !s->queue || !s->compute_input || !s->compute_infer ||
        !s->compute_output)
        return NULL;
    return s;
}

static Inference__ModelStatistics *model_statistics(const kserve_model_stats_t *m, arena_t *arena)
{
    Inference__ModelStatistics *s;
    kserve_stats_figures_t f;

    kserve_stats_figures(m, &f);
    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelStatistics, inference__model_statistics__init,
                            s);
    s->name = kserve_grpc_text(arena, m->name);
    s->version = kserve_grpc_text(arena, m->version ? m->version : "");
    s->last_inference = m->last_inference_ms > 0 ? (uint64_t)m->last_inference_ms : 0;
    s->inference_count = m->stats.inferences;
    s->execution_count = m->stats.executions;
    s->inference_stats = infer_statistics(&f, arena);
    s->batch_stats = KSERVE_GRPC_ARRAY(arena, f.n_batches + 1, void *);
    if (!s->name || !s->version || !s->inference_stats || !s->batch_stats)
        return NULL;
    for (int i = 0; i < f.n_batches; i++) {
        Inference__InferBatchStatistics *b;
        uint64_t count = f.batches[i].count;

        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__InferBatchStatistics,
                                inference__infer_batch_statistics__init, b);
        b->batch_size = f.batches[i].batch_size;
        b->compute_input = duration(count, 0, arena);
        b->compute_infer = duration(count, 0, arena);
        b->compute_output = duration(count, 0, arena);
        if (!b->compute_input || !b->compute_infer || !b->compute_output)
            return NULL;
        s->batch_stats[i] = b;
    }
    s->n_batch_stats = (size_t)f.n_batches;
    return s;
}

Inference__ModelStatisticsResponse *kserve_grpc_model_stats(const kserve_model_stats_t *models,
                                                            int n, arena_t *arena)
{
    Inference__ModelStatisticsResponse *r;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__ModelStatisticsResponse,
                            inference__model_statistics_response__init, r);
    r->model_stats = KSERVE_GRPC_ARRAY(arena, n + 1, void *);
    if (!r->model_stats)
        return NULL;
    for (int i = 0; i < n; i++)
        if (!(r->model_stats[i] = model_statistics(&models[i], arena)))
            return NULL;
    r->n_model_stats = (size_t)n;
    return r;
}

Inference__RepositoryIndexResponse *
kserve_grpc_repository_index(const kserve_index_entry_t *entries, int n, arena_t *arena)
{
    Inference__RepositoryIndexResponse *r;

    KSERVE_GRPC_NEW_MESSAGE(arena, Inference__RepositoryIndexResponse,
                            inference__repository_index_response__init, r);
    r->models = KSERVE_GRPC_ARRAY(arena, n + 1, void *);
    if (!r->models)
        return NULL;
    for (int i = 0; i < n; i++) {
        const kserve_index_entry_t *e = &entries[i];
        Inference__RepositoryIndexResponse__ModelIndex *m;

        KSERVE_GRPC_NEW_MESSAGE(arena, Inference__RepositoryIndexResponse__ModelIndex,
                                inference__repository_index_response__model_index__init, m);
        m->name = kserve_grpc_text(arena, e->name);
        m->version = kserve_grpc_text(arena, e->version ? e->version : "");
        m->state = arena_strdup(arena, kserve_model_state_name(e->state));
        m->reason = kserve_grpc_text(arena, e->reason ? e->reason : "");
        if (!m->name || !m->version || !m->state || !m->reason)
            return NULL;
        r->models[i] = m;
    }
    r->n_models = (size_t)n;
    return r;
}
