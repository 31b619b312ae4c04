/*
 * http_routes.c - the KServe v2 endpoints: health, metadata, infer,
 * config, statistics and the repository extension, one handler per route
 * of api/kserve_routes.c's table (the shared memory ones in http_shm.c).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http_encoding.h"
#include "http_internal.h"
#include "http_request.h"
#include "log.h"
#include "server_info.h"
#include "status_map.h"

/* Model versions listed in metadata. */
#define ROUTE_MAX_VERSIONS 64
/* Models listed by the statistics and index endpoints. */
#define ROUTE_MAX_MODELS 1024

/* The model a route names, if any: /v2/models/<name>[/versions/<v>]/... */
typedef struct model_path {
    const char *name;
    int64_t version; /* -1: not given */
} model_path_t;

typedef enum MHD_Result (*route_fn)(http_call_t *call, const model_path_t *p);

static bool parse_version(const char *text, int64_t *out)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || v < 0)
        return false;
    *out = v;
    return true;
}

static enum MHD_Result method_not_allowed(http_call_t *call, const char *method, const char *url)
{
    char message[256];
    snprintf(message, sizeof message, "%s is not allowed on %s", method, url);
    return http_respond_json(call, MHD_HTTP_METHOD_NOT_ALLOWED, kserve_error_json(message));
}

static enum MHD_Result respond_status_error(http_call_t *call, const error_t *err)
{
    return http_respond_error(call, err->code, err->message);
}

/* Serialises and frees value; NULL when out of memory. */
static char *json_text(json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    return text;
}

static enum MHD_Result route_server_metadata(http_call_t *call, const model_path_t *p)
{
    return http_respond_json(
        call, MHD_HTTP_OK,
        kserve_server_metadata_json(SERVER_INFO_NAME, SERVER_INFO_VERSION, server_info_extensions));
}

static enum MHD_Result health(http_call_t *call, bool ready_probe)
{
    bool ok = !ready_probe || atomic_load(&call->server->state->ready);
    char *json = json_text(json_pack("{s:b}", ready_probe ? "ready" : "live", ok));

    return http_respond_json(call, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, json);
}

/*
 * 200 {"name", "version", "ready": true} for a ready version. Otherwise
 * {"error", "name", "ready": false} with the table's status for why: 503
 * for a model the repository holds that is not ready (never loaded,
 * loading, failed, unloaded), 404 for an unknown model or version. Triton
 * answers every not-ready case 400 and its client reads any status but 200
 * as false; inferd keeps the meaning in the status, as /v2/health/ready
 * does, and gRPC ModelReady answers OK with ready false for all of them.
 */
static enum MHD_Result model_ready(http_call_t *call, const model_path_t *p)
{
    served_model_t *m = NULL;
    error_t err = {0};
    char *json;
    status_t st = repository_acquire(call->server->repo, p->name, p->version, &m, &err);

    if (st == STATUS_NOT_FOUND || st == STATUS_UNAVAILABLE)
        return http_respond_status(call, st,
                                   kserve_model_ready_json(p->name, NULL, false, err.message));
    if (st)
        return respond_status_error(call, &err);
    json = kserve_model_ready_json(m->name, m->version_text, true, NULL);
    repository_release(call->server->repo, m);
    return http_respond_json(call, MHD_HTTP_OK, json);
}

static enum MHD_Result model_metadata(http_call_t *call, const model_path_t *p)
{
    served_model_t *m = NULL;
    error_t err = {0};
    int64_t versions[ROUTE_MAX_VERSIONS];
    int n;
    char *json;

    if (repository_acquire(call->server->repo, p->name, p->version, &m, &err))
        return respond_status_error(call, &err);
    if (p->version >= 0) {
        versions[0] = m->version;
        n = 1;
    } else {
        n = repository_versions(call->server->repo, p->name, versions, ROUTE_MAX_VERSIONS);
    }
    json = kserve_model_metadata_json(&m->config, versions, n);
    repository_release(call->server->repo, m);
    return http_respond_json(call, MHD_HTTP_OK, json);
}

static enum MHD_Result model_config(http_call_t *call, const model_path_t *p)
{
    served_model_t *m = NULL;
    error_t err = {0};
    char *json;

    if (repository_acquire(call->server->repo, p->name, p->version, &m, &err))
        return respond_status_error(call, &err);
    json = model_config_to_json(&m->config);
    repository_release(call->server->repo, m);
    return http_respond_json(call, MHD_HTTP_OK, json);
}

/* Statistics of every ready version, or only those of name (and version). */
static enum MHD_Result model_stats(http_call_t *call, const char *name, int64_t version)
{
    served_model_t **models = calloc(ROUTE_MAX_MODELS, sizeof *models);
    kserve_model_stats_t *stats = calloc(ROUTE_MAX_MODELS, sizeof *stats);
    int n = 0, kept = 0;
    char *json = NULL;
    enum MHD_Result rc;

    if (models && stats)
        n = repository_snapshot(call->server->repo, models, ROUTE_MAX_MODELS);
    for (int i = 0; i < n; i++) {
        served_model_t *m = models[i];
        if ((name && strcmp(m->name, name) != 0) || (version >= 0 && m->version != version))
            continue;
        stats[kept].name = m->name;
        stats[kept].version = m->version_text;
        batcher_stats(m->batcher, &stats[kept].stats);
        stats[kept].last_inference_ms = atomic_load(&m->last_inference_ms);
        stats[kept].max_batch_size = m->config.max_batch_size;
        kept++;
    }
    if (name && kept == 0 && models && stats) {
        char message[MODEL_NAME_MAX + 64];
        snprintf(message, sizeof message, "unknown model '%s' or version", name);
        rc = http_respond_error(call, STATUS_NOT_FOUND, message);
    } else {
        json = kserve_model_stats_json(stats, kept);
        rc = http_respond_json(call, MHD_HTTP_OK, json);
    }
    for (int i = 0; i < n; i++)
        repository_release(call->server->repo, models[i]);
    free(models);
    free(stats);
    return rc;
}

/* The batcher's completion, on a worker thread: wakes the connection up if it already sleeps. */
static void infer_done(request_t *req)
{
    http_call_t *call = req->user;
    if (atomic_exchange(&call->phase, HTTP_INFER_COMPLETED) == HTTP_INFER_SUSPENDED)
        MHD_resume_connection(call->conn);
}

static enum MHD_Result infer(http_call_t *call, const model_path_t *p)
{
    http_server_t *server = call->server;
    const char *header =
        MHD_lookup_connection_value(call->conn, MHD_HEADER_KIND, "Inference-Header-Content-Length");
    size_t header_len = call->size;
    request_t *req;
    error_t err = {0};
    status_t st;
    int expected;

    if (header && !http_header_length(header, call->size, &header_len))
        return http_respond_error(call, STATUS_INVALID_ARGUMENT,
                                  "Inference-Header-Content-Length must be a number no larger "
                                  "than the body");
    st = repository_acquire(server->repo, p->name, p->version, &call->model, &err);
    if (st)
        return respond_status_error(call, &err);
    req = request_create();
    if (!req)
        return http_respond_error(call, STATUS_OUT_OF_MEMORY, "out of memory");
    st = kserve_parse_infer_request(call->body ? call->body : "", call->size, header_len,
                                    &call->model->config, server->cfg->max_tensor_elements, req,
                                    &call->prefs, &err);
    if (!st)
        st = shm_request_prepare(server->state->shm, &call->model->config, &call->prefs,
                                 server->cfg->max_body_bytes, req, &call->shm, &err);
    if (st) {
        request_free(req);
        atomic_fetch_add(&call->model->rejected, 1);
        return respond_status_error(call, &err);
    }
    call->prefs.labels = call->model->labels;
    req->done = infer_done;
    req->user = call;
    st = batcher_submit(call->model->batcher, req, &err);
    if (st) {
        /* Refused (a full queue, a draining model): answered now, without a trip through MHD. */
        request_free(req);
        return respond_status_error(call, &err);
    }
    call->req = req;
    MHD_suspend_connection(call->conn);
    expected = HTTP_INFER_QUEUED;
    if (!atomic_compare_exchange_strong(&call->phase, &expected, HTTP_INFER_SUSPENDED))
        MHD_resume_connection(call->conn); /* it completed before the suspend */
    return MHD_YES;
}

enum MHD_Result http_finish_infer(http_call_t *call)
{
    request_t *req = call->req;
    char *body = NULL;
    size_t size = 0, header_len = 0;
    struct MHD_Response *resp;
    enum MHD_Result rc;
    error_t err = {0};
    http_coding_t coding;

    if (atomic_load(&call->phase) != HTTP_INFER_COMPLETED)
        return MHD_YES;
    if (req->status)
        return http_respond_error(call, req->status, req->error.message);
    if (shm_request_write(&call->shm, &call->model->config, &call->prefs, req, &err))
        return respond_status_error(call, &err);
    if (kserve_write_infer_response(req, &call->model->config, call->model->name,
                                    call->model->version_text, &call->prefs, &body, &size,
                                    &header_len, &err))
        return respond_status_error(call, &err);
    atomic_store(&call->model->last_inference_ms, http_wall_ms());
    coding = http_accept_coding(
        MHD_lookup_connection_value(call->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    if (coding != HTTP_CODING_IDENTITY && size >= HTTP_COMPRESS_MIN_BYTES) {
        char *packed = NULL;
        size_t packed_size = 0;
        if (http_encode_body(coding, body, size, &packed, &packed_size, &err) == STATUS_OK) {
            free(body);
            body = packed;
            size = packed_size;
        } else {
            /* Only memory can fail here: the answer still goes out, uncompressed. */
            log_warn("infer response of model %s not compressed: %s", call->model->name,
                     err.message);
            coding = HTTP_CODING_IDENTITY;
        }
    } else {
        coding = HTTP_CODING_IDENTITY;
    }
    resp = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    /* The body depends on Accept-Encoding; the binary header length stays the decoded one. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (coding != HTTP_CODING_IDENTITY)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, http_coding_name(coding));
    if (header_len) {
        char value[32];
        snprintf(value, sizeof value, "%zu", header_len);
        MHD_add_response_header(resp, "Inference-Header-Content-Length", value);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    } else {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    }
    http_infer_answered(call, STATUS_OK);
    rc = http_queue_response(call, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result route_server_live(http_call_t *call, const model_path_t *p)
{
    return health(call, false);
}

static enum MHD_Result route_server_ready(http_call_t *call, const model_path_t *p)
{
    return health(call, true);
}

static enum MHD_Result route_all_stats(http_call_t *call, const model_path_t *p)
{
    return model_stats(call, NULL, -1);
}

static enum MHD_Result route_model_stats(http_call_t *call, const model_path_t *p)
{
    return model_stats(call, p->name, p->version);
}

/*
 * The optional index body, {"ready": bool} (only ready models when true);
 * any other key is refused.
 */
static status_t index_body(const http_call_t *call, bool *only_ready, error_t *err)
{
    json_error_t jerr;
    json_t *body = NULL, *ready, *value;
    const char *key;
    status_t st = STATUS_OK;

    *only_ready = false;
    if (!call->size)
        return STATUS_OK;
    body = json_loadb(call->body, call->size, JSON_REJECT_DUPLICATES, &jerr);
    ready = body ? json_object_get(body, "ready") : NULL;
    if (!body || !json_is_object(body) || (ready && !json_is_boolean(ready))) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "index body must be a JSON object like {\"ready\": true}");
        goto cleanup;
    }
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "ready") != 0) {
            st = error_set(err, STATUS_INVALID_ARGUMENT,
                           "unknown key '%s' in the index body (allowed: ready)", key);
            goto cleanup;
        }
    }
    *only_ready = ready && json_is_true(ready);

cleanup:
    json_decref(body);
    return st;
}

/* POST /v2/repository/index, optional body {"ready": true} lists only ready models. */
static enum MHD_Result route_repository_index(http_call_t *call, const model_path_t *p)
{
    server_info_snapshot_t snap;
    bool only_ready = false;
    error_t err = {0};
    enum MHD_Result rc;

    if (index_body(call, &only_ready, &err))
        return respond_status_error(call, &err);
    if (server_info_snapshot(call->server->repo, only_ready, &snap, &err))
        rc = http_respond_error(call, err.code, err.message);
    else
        rc = http_respond_json(call, MHD_HTTP_OK, kserve_repository_index_json(snap.index, snap.n));
    server_info_snapshot_free(&snap);
    return rc;
}

/*
 * Reads a load or unload body, {"parameters": {...}} or nothing: each
 * parameter must be one kserve_repository_parameter serves, and a load's
 * "config" a string, which *config then points to (inside *root, which the
 * caller releases).
 */
static status_t repository_body(const http_call_t *call, bool load, json_t **root,
                                const char **config, size_t *config_len, error_t *err)
{
    json_error_t jerr;
    const json_t *params;
    const char *key;
    json_t *value;

    *root = NULL;
    *config = NULL;
    *config_len = 0;
    if (!call->size)
        return STATUS_OK;
    *root = json_loadb(call->body, call->size, JSON_REJECT_DUPLICATES, &jerr);
    if (!*root || !json_is_object(*root))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "load/unload body must be a JSON object like {\"parameters\": {...}}");
    json_object_foreach(*root, key, value)
    {
        if (strcmp(key, "parameters") != 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unknown key '%s' in the load/unload body (allowed: parameters)", key);
    }
    params = json_object_get(*root, "parameters");
    if (params && !json_is_object(params))
        return error_set(err, STATUS_INVALID_ARGUMENT, "parameters must be an object");
    json_object_foreach((json_t *)params, key, value)
    {
        status_t st = kserve_repository_parameter(load, key, err);
        if (st)
            return st;
        if (load && !json_is_string(value))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "load parameter config must be a string holding the configuration's "
                             "JSON");
        if (!load && !json_is_boolean(value))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "unload parameter unload_dependents must be a boolean");
        if (load) {
            *config = json_string_value(value);
            *config_len = json_string_length(value);
        }
    }
    return STATUS_OK;
}

static enum MHD_Result repository_control(http_call_t *call, const char *name, bool load)
{
    error_t err = {0};
    json_t *root = NULL;
    const char *config = NULL;
    size_t config_len = 0;
    status_t st = repository_body(call, load, &root, &config, &config_len, &err);

    if (!st)
        st = load ? repository_load(call->server->repo, name, config, config_len, &err)
                  : repository_unload(call->server->repo, name, &err);
    json_decref(root);
    if (st)
        return respond_status_error(call, &err);
    return http_respond_json(call, MHD_HTTP_OK, json_text(json_object()));
}

static enum MHD_Result route_repository_load(http_call_t *call, const model_path_t *p)
{
    return repository_control(call, p->name, true);
}

static enum MHD_Result route_repository_unload(http_call_t *call, const model_path_t *p)
{
    return repository_control(call, p->name, false);
}

static enum MHD_Result route_shm_status(http_call_t *call, const model_path_t *p)
{
    return http_shm_status(call, call->route.region);
}

static enum MHD_Result route_shm_register(http_call_t *call, const model_path_t *p)
{
    return http_shm_register(call, call->route.region);
}

static enum MHD_Result route_shm_unregister(http_call_t *call, const model_path_t *p)
{
    return http_shm_unregister(call, call->route.region);
}

static enum MHD_Result route_cuda_shm(http_call_t *call, const model_path_t *p)
{
    return http_shm_cuda(call);
}

static const route_fn handlers[KSERVE_ROUTE_COUNT] = {
    [KSERVE_ROUTE_SERVER_METADATA] = route_server_metadata,
    [KSERVE_ROUTE_SERVER_LIVE] = route_server_live,
    [KSERVE_ROUTE_SERVER_READY] = route_server_ready,
    [KSERVE_ROUTE_ALL_STATS] = route_all_stats,
    [KSERVE_ROUTE_MODEL_METADATA] = model_metadata,
    [KSERVE_ROUTE_MODEL_READY] = model_ready,
    [KSERVE_ROUTE_MODEL_CONFIG] = model_config,
    [KSERVE_ROUTE_MODEL_STATS] = route_model_stats,
    [KSERVE_ROUTE_MODEL_INFER] = infer,
    [KSERVE_ROUTE_REPOSITORY_INDEX] = route_repository_index,
    [KSERVE_ROUTE_REPOSITORY_LOAD] = route_repository_load,
    [KSERVE_ROUTE_REPOSITORY_UNLOAD] = route_repository_unload,
    [KSERVE_ROUTE_SHM_STATUS] = route_shm_status,
    [KSERVE_ROUTE_SHM_REGION_STATUS] = route_shm_status,
    [KSERVE_ROUTE_SHM_REGISTER] = route_shm_register,
    [KSERVE_ROUTE_SHM_UNREGISTER] = route_shm_unregister,
    [KSERVE_ROUTE_SHM_REGION_UNREGISTER] = route_shm_unregister,
    [KSERVE_ROUTE_CUDA_SHM_STATUS] = route_cuda_shm,
    [KSERVE_ROUTE_CUDA_SHM_REGION_STATUS] = route_cuda_shm,
    [KSERVE_ROUTE_CUDA_SHM_REGISTER] = route_cuda_shm,
    [KSERVE_ROUTE_CUDA_SHM_UNREGISTER] = route_cuda_shm,
    [KSERVE_ROUTE_CUDA_SHM_REGION_UNREGISTER] = route_cuda_shm,
};

enum MHD_Result http_route(http_call_t *call, const char *url, const char *method)
{
    const kserve_route_match_t *m = &call->route;
    model_path_t p = {.name = m->model, .version = -1};

    if (m->route == KSERVE_ROUTE_COUNT && call->compat.api != COMPAT_API_NONE)
        return http_compat_route(call, url);
    if (m->route == KSERVE_ROUTE_COUNT)
        return http_respond_error(call, STATUS_NOT_FOUND, "no such endpoint");
    if (!m->method_ok)
        return method_not_allowed(call, method, url);
    if (m->version && !parse_version(m->version, &p.version))
        return http_respond_error(call, STATUS_INVALID_ARGUMENT,
                                  "model version must be a non-negative integer");
    assert(handlers[m->route]);
    return handlers[m->route](call, &p);
}
