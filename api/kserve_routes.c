/*
 * kserve_routes.c - the route and method tables, and matching a URL path
 * to a route. The categories follow Triton's: readiness and liveness are
 * health, model readiness included; statistics of one model or all are
 * statistics; index, load and unload are model-repository; system and
 * CUDA shared memory are shared-memory.
 */
#include "kserve_routes.h"

#include <stdio.h>
#include <string.h>

/* In table order, which is match order: /v2/models/stats before /v2/models/{model}. */
const kserve_route_t kserve_routes[KSERVE_ROUTE_COUNT] = {
    [KSERVE_ROUTE_SERVER_METADATA] = {"GET", "/v2", RESTRICTED_API_METADATA},
    [KSERVE_ROUTE_SERVER_LIVE] = {"GET", "/v2/health/live", RESTRICTED_API_HEALTH},
    [KSERVE_ROUTE_SERVER_READY] = {"GET", "/v2/health/ready", RESTRICTED_API_HEALTH},
    [KSERVE_ROUTE_ALL_STATS] = {"GET", "/v2/models/stats", RESTRICTED_API_STATISTICS},
    [KSERVE_ROUTE_MODEL_METADATA] = {"GET", "/v2/models/{model}/{version}",
                                     RESTRICTED_API_METADATA},
    [KSERVE_ROUTE_MODEL_READY] = {"GET", "/v2/models/{model}/{version}/ready",
                                  RESTRICTED_API_HEALTH},
    [KSERVE_ROUTE_MODEL_CONFIG] = {"GET", "/v2/models/{model}/{version}/config",
                                   RESTRICTED_API_MODEL_CONFIG},
    [KSERVE_ROUTE_MODEL_STATS] = {"GET", "/v2/models/{model}/{version}/stats",
                                  RESTRICTED_API_STATISTICS},
    [KSERVE_ROUTE_MODEL_INFER] = {"POST", "/v2/models/{model}/{version}/infer",
                                  RESTRICTED_API_INFERENCE},
    [KSERVE_ROUTE_REPOSITORY_INDEX] = {"POST", "/v2/repository/index",
                                       RESTRICTED_API_MODEL_REPOSITORY},
    [KSERVE_ROUTE_REPOSITORY_LOAD] = {"POST", "/v2/repository/models/{model}/load",
                                      RESTRICTED_API_MODEL_REPOSITORY},
    [KSERVE_ROUTE_REPOSITORY_UNLOAD] = {"POST", "/v2/repository/models/{model}/unload",
                                        RESTRICTED_API_MODEL_REPOSITORY},
    [KSERVE_ROUTE_SHM_STATUS] = {"GET", "/v2/systemsharedmemory/status",
                                 RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_SHM_REGION_STATUS] = {"GET", "/v2/systemsharedmemory/region/{region}/status",
                                        RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_SHM_REGISTER] = {"POST", "/v2/systemsharedmemory/region/{region}/register",
                                   RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_SHM_UNREGISTER] = {"POST", "/v2/systemsharedmemory/unregister",
                                     RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_SHM_REGION_UNREGISTER] = {"POST",
                                            "/v2/systemsharedmemory/region/{region}/unregister",
                                            RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_CUDA_SHM_STATUS] = {"GET", "/v2/cudasharedmemory/status",
                                      RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_CUDA_SHM_REGION_STATUS] = {"GET", "/v2/cudasharedmemory/region/{region}/status",
                                             RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_CUDA_SHM_REGISTER] = {"POST", "/v2/cudasharedmemory/region/{region}/register",
                                        RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_CUDA_SHM_UNREGISTER] = {"POST", "/v2/cudasharedmemory/unregister",
                                          RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_ROUTE_CUDA_SHM_REGION_UNREGISTER] = {"POST",
                                                 "/v2/cudasharedmemory/region/{region}/unregister",
                                                 RESTRICTED_API_SHARED_MEMORY},
};

#define GRPC_SERVICE           "/inference.GRPCInferenceService/"
#define TFS_PREDICTION_SERVICE "/tensorflow.serving.PredictionService/"

const kserve_grpc_method_t kserve_grpc_methods[KSERVE_GRPC_METHOD_COUNT] = {
    [KSERVE_GRPC_SERVER_LIVE] = {GRPC_SERVICE "ServerLive", false, RESTRICTED_API_HEALTH},
    [KSERVE_GRPC_SERVER_READY] = {GRPC_SERVICE "ServerReady", false, RESTRICTED_API_HEALTH},
    [KSERVE_GRPC_MODEL_READY] = {GRPC_SERVICE "ModelReady", false, RESTRICTED_API_HEALTH},
    [KSERVE_GRPC_SERVER_METADATA] = {GRPC_SERVICE "ServerMetadata", false, RESTRICTED_API_METADATA},
    [KSERVE_GRPC_MODEL_METADATA] = {GRPC_SERVICE "ModelMetadata", false, RESTRICTED_API_METADATA},
    [KSERVE_GRPC_MODEL_INFER] = {GRPC_SERVICE "ModelInfer", false, RESTRICTED_API_INFERENCE},
    [KSERVE_GRPC_MODEL_STREAM_INFER] = {GRPC_SERVICE "ModelStreamInfer", true,
                                        RESTRICTED_API_INFERENCE},
    [KSERVE_GRPC_MODEL_CONFIG] = {GRPC_SERVICE "ModelConfig", false, RESTRICTED_API_MODEL_CONFIG},
    [KSERVE_GRPC_MODEL_STATISTICS] = {GRPC_SERVICE "ModelStatistics", false,
                                      RESTRICTED_API_STATISTICS},
    [KSERVE_GRPC_REPOSITORY_INDEX] = {GRPC_SERVICE "RepositoryIndex", false,
                                      RESTRICTED_API_MODEL_REPOSITORY},
    [KSERVE_GRPC_REPOSITORY_LOAD] = {GRPC_SERVICE "RepositoryModelLoad", false,
                                     RESTRICTED_API_MODEL_REPOSITORY},
    [KSERVE_GRPC_REPOSITORY_UNLOAD] = {GRPC_SERVICE "RepositoryModelUnload", false,
                                       RESTRICTED_API_MODEL_REPOSITORY},
    [KSERVE_GRPC_SHM_STATUS] = {GRPC_SERVICE "SystemSharedMemoryStatus", false,
                                RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_GRPC_SHM_REGISTER] = {GRPC_SERVICE "SystemSharedMemoryRegister", false,
                                  RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_GRPC_SHM_UNREGISTER] = {GRPC_SERVICE "SystemSharedMemoryUnregister", false,
                                    RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_GRPC_CUDA_SHM_STATUS] = {GRPC_SERVICE "CudaSharedMemoryStatus", false,
                                     RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_GRPC_CUDA_SHM_REGISTER] = {GRPC_SERVICE "CudaSharedMemoryRegister", false,
                                       RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_GRPC_CUDA_SHM_UNREGISTER] = {GRPC_SERVICE "CudaSharedMemoryUnregister", false,
                                         RESTRICTED_API_SHARED_MEMORY},
    [KSERVE_GRPC_HEALTH_CHECK] = {"/grpc.health.v1.Health/Check", false, RESTRICTED_API_HEALTH},
    /* TF Serving's, in the categories of its REST forms (compat_route.c). */
    [KSERVE_GRPC_TFS_PREDICT] = {TFS_PREDICTION_SERVICE "Predict", false, RESTRICTED_API_INFERENCE},
    [KSERVE_GRPC_TFS_MODEL_METADATA] = {TFS_PREDICTION_SERVICE "GetModelMetadata", false,
                                        RESTRICTED_API_METADATA},
    [KSERVE_GRPC_TFS_MODEL_STATUS] = {"/tensorflow.serving.ModelService/GetModelStatus", false,
                                      RESTRICTED_API_HEALTH},
};

/* Splits path at '/' into segs (pointing into buf), skipping empty ones; the count or -1. */
static int split_path(const char *path, char *buf, size_t size, char **segs)
{
    int n = 0;
    char *save = NULL;

    if (snprintf(buf, size, "%s", path) >= (int)size)
        return -1;
    for (char *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == KSERVE_ROUTE_MAX_SEGMENTS)
            return -1;
        segs[n++] = s;
    }
    return n;
}

static bool segment_is(const char *begin, size_t len, const char *literal)
{
    return strlen(literal) == len && memcmp(begin, literal, len) == 0;
}

/* Matches the n segments against pattern, capturing {model}, {version} and {region}. */
static bool match_pattern(const char *pattern, char *const *segs, int n, kserve_route_match_t *m)
{
    const char *p = pattern;
    int i = 0;

    m->model = NULL;
    m->version = NULL;
    m->region = NULL;
    while (*p) {
        const char *begin, *end;
        size_t len;

        if (*p == '/') {
            p++;
            continue;
        }
        begin = p;
        end = strchr(p, '/');
        if (!end)
            end = p + strlen(p);
        len = (size_t)(end - begin);
        p = end;
        if (segment_is(begin, len, "{version}")) {
            if (i + 1 < n && strcmp(segs[i], "versions") == 0) {
                m->version = segs[i + 1];
                i += 2;
            }
            continue;
        }
        if (i >= n)
            return false;
        if (segment_is(begin, len, "{model}"))
            m->model = segs[i];
        else if (segment_is(begin, len, "{region}"))
            m->region = segs[i];
        else if (!segment_is(begin, len, segs[i]))
            return false;
        i++;
    }
    return i == n;
}

void kserve_route_find(const char *path, const char *method, kserve_route_match_t *m)
{
    char *segs[KSERVE_ROUTE_MAX_SEGMENTS];
    int n = split_path(path, m->buf, sizeof m->buf, segs);

    m->route = KSERVE_ROUTE_COUNT;
    m->method_ok = false;
    m->model = NULL;
    m->version = NULL;
    m->region = NULL;
    if (n < 0)
        return;
    for (int r = 0; r < KSERVE_ROUTE_COUNT; r++) {
        if (!match_pattern(kserve_routes[r].pattern, segs, n, m))
            continue;
        m->route = (kserve_route_id_t)r;
        m->method_ok = strcmp(method, kserve_routes[r].method) == 0;
        return;
    }
    m->model = NULL;
    m->version = NULL;
    m->region = NULL;
}
