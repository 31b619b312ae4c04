/*
 * grpc_handlers.c - the unary RPCs that answer at once: health, metadata,
 * configuration, statistics, the repository extension, and the standard
 * grpc.health.v1.Health/Check. Each unpacks its request into the call's
 * arena, builds the response there, and replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"
#include "server_info.h"
#include "health.pb-c.h"

/* Model versions listed in metadata. */
#define GRPC_MAX_VERSIONS 64
/* Models listed by the statistics and index RPCs. */
#define GRPC_MAX_MODELS 1024

/* The service names Health/Check answers for: the server as a whole, and each service. */
static const char *const health_services[] = {"", "inference.GRPCInferenceService",
                                              "tensorflow.serving.PredictionService",
                                              "tensorflow.serving.ModelService", NULL};

void grpc_handle_server_live(grpc_unary_t *u)
{
    Inference__ServerLiveResponse r = INFERENCE__SERVER_LIVE_RESPONSE__INIT;

    if (!grpc_unary_message(u, &inference__server_live_request__descriptor, &u->arena))
        return;
    r.live = 1;
    grpc_unary_reply(u, &r.base);
}

void grpc_handle_server_ready(grpc_unary_t *u)
{
    Inference__ServerReadyResponse r = INFERENCE__SERVER_READY_RESPONSE__INIT;

    if (!grpc_unary_message(u, &inference__server_ready_request__descriptor, &u->arena))
        return;
    r.ready = atomic_load(&u->fe->state->ready);
    grpc_unary_reply(u, &r.base);
}

/* The named version (or the server's pick), with a reference; answers the error itself. */
static served_model_t *acquire(grpc_unary_t *u, const char *name, const char *version,
                               int64_t *parsed)
{
    served_model_t *m = NULL;
    error_t err = {0};

    if (grpc_parse_version(version, parsed, &err) ||
        repository_acquire(u->fe->repo, name, *parsed, &m, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        return NULL;
    }
    return m;
}

void grpc_handle_model_ready(grpc_unary_t *u)
{
    Inference__ModelReadyRequest *q = (Inference__ModelReadyRequest *)grpc_unary_message(
        u, &inference__model_ready_request__descriptor, &u->arena);
    Inference__ModelReadyResponse r = INFERENCE__MODEL_READY_RESPONSE__INIT;
    served_model_t *m = NULL;
    error_t err = {0};
    int64_t version;
    status_t st;

    if (!q)
        return;
    st = grpc_parse_version(q->version, &version, &err);
    if (!st)
        st = repository_acquire(u->fe->repo, q->name, version, &m, &err);
    /*
     * Not ready is an answer, not an error, whatever the reason: unknown
     * model or version, never loaded, loading, failed or unloaded. Triton
     * answers so, and its client's is_model_ready relies on it.
     */
    if (st && st != STATUS_UNAVAILABLE && st != STATUS_NOT_FOUND) {
        grpc_unary_fail(u, st, err.message);
        return;
    }
    r.ready = m != NULL;
    repository_release(u->fe->repo, m);
    grpc_unary_reply(u, &r.base);
}

void grpc_handle_server_metadata(grpc_unary_t *u)
{
    Inference__ServerMetadataResponse *r;

    if (!grpc_unary_message(u, &inference__server_metadata_request__descriptor, &u->arena))
        return;
    r = kserve_grpc_server_metadata(SERVER_INFO_NAME, SERVER_INFO_VERSION, server_info_extensions,
                                    &u->arena);
    if (!r) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        return;
    }
    grpc_unary_reply(u, &r->base);
}

void grpc_handle_model_metadata(grpc_unary_t *u)
{
    Inference__ModelMetadataRequest *q = (Inference__ModelMetadataRequest *)grpc_unary_message(
        u, &inference__model_metadata_request__descriptor, &u->arena);
    Inference__ModelMetadataResponse *r;
    int64_t versions[GRPC_MAX_VERSIONS], version;
    served_model_t *m;
    int n = 1;

    if (!q || !(m = acquire(u, q->name, q->version, &version)))
        return;
    versions[0] = m->version;
    if (version < 0)
        n = repository_versions(u->fe->repo, q->name, versions, GRPC_MAX_VERSIONS);
    r = kserve_grpc_model_metadata(&m->config, versions, n, &u->arena);
    repository_release(u->fe->repo, m);
    if (!r) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        return;
    }
    grpc_unary_reply(u, &r->base);
}

void grpc_handle_model_config(grpc_unary_t *u)
{
    Inference__ModelConfigRequest *q = (Inference__ModelConfigRequest *)grpc_unary_message(
        u, &inference__model_config_request__descriptor, &u->arena);
    Inference__ModelConfigResponse *r;
    served_model_t *m;
    int64_t version;

    if (!q || !(m = acquire(u, q->name, q->version, &version)))
        return;
    r = kserve_grpc_model_config(&m->config, &u->arena);
    repository_release(u->fe->repo, m);
    if (!r) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        return;
    }
    grpc_unary_reply(u, &r->base);
}

/* Statistics of every ready version, or only those of name (and version). */
void grpc_handle_model_statistics(grpc_unary_t *u)
{
    Inference__ModelStatisticsRequest *q = (Inference__ModelStatisticsRequest *)grpc_unary_message(
        u, &inference__model_statistics_request__descriptor, &u->arena);
    served_model_t **models = calloc(GRPC_MAX_MODELS, sizeof *models);
    kserve_model_stats_t *stats = calloc(GRPC_MAX_MODELS, sizeof *stats);
    /* u may be gone once the answer is on its way; the references go back after it. */
    repository_t *repo = u->fe->repo;
    Inference__ModelStatisticsResponse *r = NULL;
    int64_t version = -1;
    error_t err = {0};
    char message[MODEL_NAME_MAX + 64];
    int n = 0, kept = 0;

    if (!q)
        goto cleanup;
    if (!models || !stats) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    if (grpc_parse_version(q->version, &version, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        goto cleanup;
    }
    n = repository_snapshot(repo, models, GRPC_MAX_MODELS);
    for (int i = 0; i < n; i++) {
        served_model_t *m = models[i];

        if ((q->name[0] && strcmp(m->name, q->name) != 0) ||
            (version >= 0 && m->version != version))
            continue;
        stats[kept].name = m->name;
        stats[kept].version = arena_strdup(&u->arena, m->version_text);
        batcher_stats(m->batcher, &stats[kept].stats);
        stats[kept].last_inference_ms = atomic_load(&m->last_inference_ms);
        stats[kept].max_batch_size = m->config.max_batch_size;
        kept++;
    }
    if (q->name[0] && kept == 0) {
        snprintf(message, sizeof message, "unknown model '%s' or version", q->name);
        grpc_unary_fail(u, STATUS_NOT_FOUND, message);
        goto cleanup;
    }
    r = kserve_grpc_model_stats(stats, kept, &u->arena);
    if (r)
        grpc_unary_reply(u, &r->base);
    else
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");

cleanup:
    for (int i = 0; i < n; i++)
        repository_release(repo, models[i]);
    free(models);
    free(stats);
}

/*
 * Triton's repository_name picks one of several repositories; inferd
 * serves one, which has no name. A name that is not empty fails the call
 * (INVALID_ARGUMENT, naming it) and gives true: u is then not the
 * caller's to touch.
 */
static bool repository_named(grpc_unary_t *u, const char *name)
{
    char message[MODEL_NAME_MAX + 128];

    if (!name[0])
        return false;
    snprintf(message, sizeof message,
             "repository_name '%.*s': inferd serves one model repository, which has no name; "
             "leave repository_name empty",
             MODEL_NAME_MAX, name);
    grpc_unary_fail(u, STATUS_INVALID_ARGUMENT, message);
    return true;
}

void grpc_handle_repository_index(grpc_unary_t *u)
{
    Inference__RepositoryIndexRequest *q = (Inference__RepositoryIndexRequest *)grpc_unary_message(
        u, &inference__repository_index_request__descriptor, &u->arena);
    Inference__RepositoryIndexResponse *r;
    server_info_snapshot_t snap;
    error_t err = {0};

    if (!q || repository_named(u, q->repository_name))
        return;
    if (server_info_snapshot(u->fe->repo, q->ready, &snap, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        goto cleanup;
    }
    r = kserve_grpc_repository_index(snap.index, snap.n, &u->arena);
    if (r)
        grpc_unary_reply(u, &r->base);
    else
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");

cleanup:
    server_info_snapshot_free(&snap);
}

/*
 * The parameters of a load or unload request: each one
 * kserve_repository_parameter serves, a load's config as string_param
 * (*config then points into the message), unload_dependents as bool_param.
 */
typedef struct repository_param {
    const char *key;
    const Inference__ModelRepositoryParameter *value;
} repository_param_t;

static status_t repository_parameters(const repository_param_t *p, size_t n, bool load,
                                      const char **config, size_t *config_len, error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        const Inference__ModelRepositoryParameter *v = p[i].value;
        status_t st = kserve_repository_parameter(load, p[i].key, err);

        if (st)
            return st;
        if (load &&
            (!v || v->parameter_choice_case !=
                       INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_STRING_PARAM))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "load parameter config must be a string_param holding the "
                             "configuration's JSON");
        if (!load && (!v || v->parameter_choice_case !=
                                INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unload parameter unload_dependents must be a bool_param");
        if (load) {
            *config = v->string_param;
            *config_len = strlen(v->string_param);
        }
    }
    return STATUS_OK;
}

/* Load or unload every version of the named model (explicit model control). */
static void repository_control(grpc_unary_t *u, const char *name, const repository_param_t *params,
                               size_t n_params, bool load)
{
    error_t err = {0};
    const char *config = NULL;
    size_t config_len = 0;
    status_t st = repository_parameters(params, n_params, load, &config, &config_len, &err);

    if (!st)
        st = load ? repository_load(u->fe->repo, name, config, config_len, &err)
                  : repository_unload(u->fe->repo, name, &err);
    if (st) {
        grpc_unary_fail(u, st, err.message);
        return;
    }
    if (load) {
        Inference__RepositoryModelLoadResponse r = INFERENCE__REPOSITORY_MODEL_LOAD_RESPONSE__INIT;
        grpc_unary_reply(u, &r.base);
    } else {
        Inference__RepositoryModelUnloadResponse r =
            INFERENCE__REPOSITORY_MODEL_UNLOAD_RESPONSE__INIT;
        grpc_unary_reply(u, &r.base);
    }
}

void grpc_handle_repository_load(grpc_unary_t *u)
{
    Inference__RepositoryModelLoadRequest *q =
        (Inference__RepositoryModelLoadRequest *)grpc_unary_message(
            u, &inference__repository_model_load_request__descriptor, &u->arena);

    repository_param_t *params;

    if (!q || repository_named(u, q->repository_name))
        return;
    params = arena_alloc(&u->arena, (q->n_parameters + 1) * sizeof *params);
    if (!params) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        return;
    }
    for (size_t i = 0; i < q->n_parameters; i++)
        params[i] = (repository_param_t){q->parameters[i]->key, q->parameters[i]->value};
    repository_control(u, q->model_name, params, q->n_parameters, true);
}

void grpc_handle_repository_unload(grpc_unary_t *u)
{
    Inference__RepositoryModelUnloadRequest *q =
        (Inference__RepositoryModelUnloadRequest *)grpc_unary_message(
            u, &inference__repository_model_unload_request__descriptor, &u->arena);

    repository_param_t *params;

    if (!q || repository_named(u, q->repository_name))
        return;
    params = arena_alloc(&u->arena, (q->n_parameters + 1) * sizeof *params);
    if (!params) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        return;
    }
    for (size_t i = 0; i < q->n_parameters; i++)
        params[i] = (repository_param_t){q->parameters[i]->key, q->parameters[i]->value};
    repository_control(u, q->model_name, params, q->n_parameters, false);
}

void grpc_handle_health_check(grpc_unary_t *u)
{
    Grpc__Health__V1__HealthCheckRequest *q =
        (Grpc__Health__V1__HealthCheckRequest *)grpc_unary_message(
            u, &grpc__health__v1__health_check_request__descriptor, &u->arena);
    Grpc__Health__V1__HealthCheckResponse r = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    char message[256];
    bool known = false;

    if (!q)
        return;
    for (int i = 0; health_services[i]; i++)
        known |= strcmp(q->service, health_services[i]) == 0;
    if (!known) {
        /* The health protocol answers NOT_FOUND for a service the server does not have. */
        snprintf(message, sizeof message, "unknown service '%s'", q->service);
        grpc_unary_fail(u, STATUS_NOT_FOUND, message);
        return;
    }
    r.status = atomic_load(&u->fe->state->ready)
                   ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                   : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    grpc_unary_reply(u, &r.base);
}
