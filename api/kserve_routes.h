/*
 * kserve_routes.h - every REST route and every gRPC method the server
 * answers, each in one table row with its restricted-API category (one
 * category each, see restricted_api.h). The front ends route through these
 * tables, so a route cannot exist without a category; the unit tests check
 * that no row lacks one and that every RPC of the .proto services is here.
 */
#ifndef INFERD_KSERVE_ROUTES_H
#define INFERD_KSERVE_ROUTES_H

#include <stdbool.h>

#include "restricted_api.h"

/* Longest URL path routed; longer ones are no route (404). Model names are far shorter. */
#define KSERVE_ROUTE_PATH_MAX 1024
/* Path segments a URL may have; KServe paths have at most seven. */
#define KSERVE_ROUTE_MAX_SEGMENTS 8

typedef enum kserve_route_id {
    KSERVE_ROUTE_SERVER_METADATA = 0,
    KSERVE_ROUTE_SERVER_LIVE,
    KSERVE_ROUTE_SERVER_READY,
    KSERVE_ROUTE_ALL_STATS,
    KSERVE_ROUTE_MODEL_METADATA,
    KSERVE_ROUTE_MODEL_READY,
    KSERVE_ROUTE_MODEL_CONFIG,
    KSERVE_ROUTE_MODEL_STATS,
    KSERVE_ROUTE_MODEL_INFER,
    KSERVE_ROUTE_REPOSITORY_INDEX,
    KSERVE_ROUTE_REPOSITORY_LOAD,
    KSERVE_ROUTE_REPOSITORY_UNLOAD,
    KSERVE_ROUTE_SHM_STATUS,        /* every system shared memory region */
    KSERVE_ROUTE_SHM_REGION_STATUS, /* one region */
    KSERVE_ROUTE_SHM_REGISTER,      /* one region */
    KSERVE_ROUTE_SHM_UNREGISTER,    /* every region */
    KSERVE_ROUTE_SHM_REGION_UNREGISTER,
    KSERVE_ROUTE_CUDA_SHM_STATUS, /* CUDA shared memory: all answered unsupported */
    KSERVE_ROUTE_CUDA_SHM_REGION_STATUS,
    KSERVE_ROUTE_CUDA_SHM_REGISTER,
    KSERVE_ROUTE_CUDA_SHM_UNREGISTER,
    KSERVE_ROUTE_CUDA_SHM_REGION_UNREGISTER,
    KSERVE_ROUTE_COUNT, /* also: no route has this path */
} kserve_route_id_t;

/*
 * A route: its method and its path pattern, segments separated by '/'.
 * "{model}" and "{region}" take one segment; "{version}" takes
 * "versions/<v>" or nothing (the server picks the version).
 */
typedef struct kserve_route {
    const char *method;
    const char *pattern;
    restricted_api_category_t category;
} kserve_route_t;

extern const kserve_route_t kserve_routes[KSERVE_ROUTE_COUNT];

/* A path matched to a route. model and version point into buf. */
typedef struct kserve_route_match {
    kserve_route_id_t route; /* KSERVE_ROUTE_COUNT: none */
    bool method_ok;          /* the request's method is the route's */
    const char *model;       /* the {model} segment, or NULL */
    const char *version;     /* the <v> of versions/<v> (unchecked text), or NULL */
    const char *region;      /* the {region} segment (a shared memory region), or NULL */
    char buf[KSERVE_ROUTE_PATH_MAX];
} kserve_route_match_t;

/*
 * Finds the route of path (the URL without its query; empty segments are
 * skipped) and whether method suits it. m is the caller's; nothing is
 * allocated.
 */
void kserve_route_find(const char *path, const char *method, kserve_route_match_t *m);

/*
 * The gRPC methods: inference.GRPCInferenceService's, grpc.health.v1.Health/Check,
 * and TF Serving's tensorflow.serving.PredictionService Predict and
 * GetModelMetadata and ModelService GetModelStatus (all on one port: gRPC
 * routes by service name).
 */
typedef enum kserve_grpc_method_id {
    KSERVE_GRPC_SERVER_LIVE = 0,
    KSERVE_GRPC_SERVER_READY,
    KSERVE_GRPC_MODEL_READY,
    KSERVE_GRPC_SERVER_METADATA,
    KSERVE_GRPC_MODEL_METADATA,
    KSERVE_GRPC_MODEL_INFER,
    KSERVE_GRPC_MODEL_STREAM_INFER,
    KSERVE_GRPC_MODEL_CONFIG,
    KSERVE_GRPC_MODEL_STATISTICS,
    KSERVE_GRPC_REPOSITORY_INDEX,
    KSERVE_GRPC_REPOSITORY_LOAD,
    KSERVE_GRPC_REPOSITORY_UNLOAD,
    KSERVE_GRPC_SHM_STATUS,
    KSERVE_GRPC_SHM_REGISTER,
    KSERVE_GRPC_SHM_UNREGISTER,
    KSERVE_GRPC_CUDA_SHM_STATUS,
    KSERVE_GRPC_CUDA_SHM_REGISTER,
    KSERVE_GRPC_CUDA_SHM_UNREGISTER,
    KSERVE_GRPC_HEALTH_CHECK,
    KSERVE_GRPC_TFS_PREDICT,
    KSERVE_GRPC_TFS_MODEL_METADATA,
    KSERVE_GRPC_TFS_MODEL_STATUS,
    KSERVE_GRPC_METHOD_COUNT,
} kserve_grpc_method_id_t;

typedef struct kserve_grpc_method {
    const char *path; /* "/package.Service/Method" */
    bool streaming;   /* both sides stream (ModelStreamInfer) */
    restricted_api_category_t category;
} kserve_grpc_method_t;

extern const kserve_grpc_method_t kserve_grpc_methods[KSERVE_GRPC_METHOD_COUNT];

#endif
