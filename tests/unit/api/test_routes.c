/*
 * kserve_routes: every REST route and gRPC method has exactly one
 * restricted-API category, every RPC of the .proto services is in the
 * method table (and nothing else is), and URL paths find their routes the
 * way the REST front end always routed them.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "health.pb-c.h"
#include "inference.pb-c.h"
#include "kserve_routes.h"
#include "tensorflow_serving.pb-c.h"

static bool valid_category(restricted_api_category_t c)
{
    return c > RESTRICTED_API_UNSET && c < RESTRICTED_API_CATEGORY_COUNT;
}

static void test_route_table(void)
{
    for (int r = 0; r < KSERVE_ROUTE_COUNT; r++) {
        const kserve_route_t *route = &kserve_routes[r];
        if (!route->pattern || !route->method || !valid_category(route->category)) {
            fprintf(stderr, "route %d has no pattern, method or category\n", r);
            CHECK(0);
            continue;
        }
        CHECK(strncmp(route->pattern, "/v2", 3) == 0);
        CHECK(strcmp(route->method, "GET") == 0 || strcmp(route->method, "POST") == 0);
        /* one row per pattern: a path has one route, so one category */
        for (int o = 0; o < r; o++)
            CHECK(strcmp(kserve_routes[o].pattern, route->pattern) != 0);
    }
}

/* The method table's row for path, or -1. */
static int grpc_row(const char *path)
{
    for (int m = 0; m < KSERVE_GRPC_METHOD_COUNT; m++)
        if (kserve_grpc_methods[m].path && strcmp(kserve_grpc_methods[m].path, path) == 0)
            return m;
    return -1;
}

static void test_grpc_table(void)
{
    const ProtobufCServiceDescriptor *services[] = {
        &inference__grpcinference_service__descriptor,
        &grpc__health__v1__health__descriptor,
        &tensorflow__serving__prediction_service__descriptor,
        &tensorflow__serving__model_service__descriptor,
    };
    int rpcs = 0;

    for (int m = 0; m < KSERVE_GRPC_METHOD_COUNT; m++) {
        const kserve_grpc_method_t *method = &kserve_grpc_methods[m];
        if (!method->path || !valid_category(method->category)) {
            fprintf(stderr, "gRPC method %d has no path or category\n", m);
            CHECK(0);
            continue;
        }
        CHECK(grpc_row(method->path) == m);
        CHECK(method->streaming == (m == KSERVE_GRPC_MODEL_STREAM_INFER));
    }
    /* every RPC the services declare is served, with a category */
    for (size_t s = 0; s < sizeof services / sizeof services[0]; s++)
        for (unsigned i = 0; i < services[s]->n_methods; i++) {
            char path[256];
            snprintf(path, sizeof path, "/%s/%s", services[s]->name, services[s]->methods[i].name);
            if (grpc_row(path) < 0) {
                fprintf(stderr, "RPC %s is not in kserve_grpc_methods\n", path);
                CHECK(0);
            }
            rpcs++;
        }
    CHECK(rpcs == KSERVE_GRPC_METHOD_COUNT);
}

typedef struct route_case {
    const char *method, *path;
    kserve_route_id_t route;
    bool method_ok;
    const char *model, *version, *region; /* expected captures, NULL for none */
} route_case_t;

static const route_case_t route_cases[] = {
    {"GET", "/v2", KSERVE_ROUTE_SERVER_METADATA, true, NULL, NULL, NULL},
    {"GET", "/v2/", KSERVE_ROUTE_SERVER_METADATA, true, NULL, NULL, NULL},
    {"POST", "/v2", KSERVE_ROUTE_SERVER_METADATA, false, NULL, NULL, NULL},
    {"GET", "/v2/health/live", KSERVE_ROUTE_SERVER_LIVE, true, NULL, NULL, NULL},
    {"GET", "//v2//health/ready", KSERVE_ROUTE_SERVER_READY, true, NULL, NULL, NULL},
    {"POST", "/v2/health/live", KSERVE_ROUTE_SERVER_LIVE, false, NULL, NULL, NULL},
    {"GET", "/v2/models/stats", KSERVE_ROUTE_ALL_STATS, true, NULL, NULL, NULL},
    {"GET", "/v2/models/mlp", KSERVE_ROUTE_MODEL_METADATA, true, "mlp", NULL, NULL},
    {"DELETE", "/v2/models/mlp", KSERVE_ROUTE_MODEL_METADATA, false, "mlp", NULL, NULL},
    {"GET", "/v2/models/mlp/versions/1", KSERVE_ROUTE_MODEL_METADATA, true, "mlp", "1", NULL},
    /* the version is text here; the front end checks it (400) */
    {"GET", "/v2/models/mlp/versions/abc", KSERVE_ROUTE_MODEL_METADATA, true, "mlp", "abc", NULL},
    {"GET", "/v2/models/mlp/versions/ready", KSERVE_ROUTE_MODEL_METADATA, true, "mlp", "ready",
     NULL},
    {"GET", "/v2/models/mlp/ready", KSERVE_ROUTE_MODEL_READY, true, "mlp", NULL, NULL},
    {"GET", "/v2/models/mlp/versions/2/ready", KSERVE_ROUTE_MODEL_READY, true, "mlp", "2", NULL},
    {"GET", "/v2/models/versions/ready", KSERVE_ROUTE_MODEL_READY, true, "versions", NULL, NULL},
    {"GET", "/v2/models/mlp/config", KSERVE_ROUTE_MODEL_CONFIG, true, "mlp", NULL, NULL},
    {"GET", "/v2/models/mlp/versions/3/stats", KSERVE_ROUTE_MODEL_STATS, true, "mlp", "3", NULL},
    {"POST", "/v2/models/mlp/infer", KSERVE_ROUTE_MODEL_INFER, true, "mlp", NULL, NULL},
    {"GET", "/v2/models/mlp/infer", KSERVE_ROUTE_MODEL_INFER, false, "mlp", NULL, NULL},
    {"POST", "/v2/models/mlp/versions/1/infer", KSERVE_ROUTE_MODEL_INFER, true, "mlp", "1", NULL},
    {"POST", "/v2/repository/index", KSERVE_ROUTE_REPOSITORY_INDEX, true, NULL, NULL, NULL},
    {"GET", "/v2/repository/index", KSERVE_ROUTE_REPOSITORY_INDEX, false, NULL, NULL, NULL},
    {"POST", "/v2/repository/models/mlp/load", KSERVE_ROUTE_REPOSITORY_LOAD, true, "mlp", NULL,
     NULL},
    {"POST", "/v2/repository/models/mlp/unload", KSERVE_ROUTE_REPOSITORY_UNLOAD, true, "mlp", NULL,
     NULL},
    {"GET", "/v2/systemsharedmemory/status", KSERVE_ROUTE_SHM_STATUS, true, NULL, NULL, NULL},
    {"GET", "/v2/systemsharedmemory/region/in0/status", KSERVE_ROUTE_SHM_REGION_STATUS, true, NULL,
     NULL, "in0"},
    {"POST", "/v2/systemsharedmemory/region/in0/register", KSERVE_ROUTE_SHM_REGISTER, true, NULL,
     NULL, "in0"},
    {"GET", "/v2/systemsharedmemory/region/in0/register", KSERVE_ROUTE_SHM_REGISTER, false, NULL,
     NULL, "in0"},
    {"POST", "/v2/systemsharedmemory/unregister", KSERVE_ROUTE_SHM_UNREGISTER, true, NULL, NULL,
     NULL},
    {"POST", "/v2/systemsharedmemory/region/status/unregister", KSERVE_ROUTE_SHM_REGION_UNREGISTER,
     true, NULL, NULL, "status"},
    {"POST", "/v2/cudasharedmemory/region/c/register", KSERVE_ROUTE_CUDA_SHM_REGISTER, true, NULL,
     NULL, "c"},
    {"GET", "/v2/cudasharedmemory/status", KSERVE_ROUTE_CUDA_SHM_STATUS, true, NULL, NULL, NULL},
    /* no route */
    {"GET", "/v2/systemsharedmemory/region/status", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"POST", "/v2/systemsharedmemory/register", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/systemsharedmemory/region/a/b/status", KSERVE_ROUTE_COUNT, false, NULL, NULL,
     NULL},
    {"GET", "/", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v3", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/nothing", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/models", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/models/mlp/nothing", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/models/mlp/versions", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/models/mlp/versions/1/versions/2", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"GET", "/v2/models/mlp/ready/extra", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"POST", "/v2/repository/models/mlp", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
    {"POST", "/v2/repository/models/mlp/versions/1/load", KSERVE_ROUTE_COUNT, false, NULL, NULL,
     NULL},
    {"GET", "/v2/a/b/c/d/e/f/g/h/i", KSERVE_ROUTE_COUNT, false, NULL, NULL, NULL},
};

static bool same_capture(const char *got, const char *want)
{
    return want ? got && strcmp(got, want) == 0 : got == NULL;
}

static void test_find(void)
{
    static kserve_route_match_t m;
    char long_path[KSERVE_ROUTE_PATH_MAX + 16];

    for (size_t i = 0; i < sizeof route_cases / sizeof route_cases[0]; i++) {
        const route_case_t *c = &route_cases[i];
        kserve_route_find(c->path, c->method, &m);
        if (m.route != c->route || m.method_ok != c->method_ok ||
            !same_capture(m.model, c->model) || !same_capture(m.version, c->version) ||
            !same_capture(m.region, c->region)) {
            fprintf(stderr,
                    "%s %s: route %d (want %d), method_ok %d, model %s, version %s, region %s\n",
                    c->method, c->path, (int)m.route, (int)c->route, m.method_ok,
                    m.model ? m.model : "-", m.version ? m.version : "-",
                    m.region ? m.region : "-");
            CHECK(0);
        }
    }
    /* a path longer than the limit is no route, not a truncated one */
    memset(long_path, 'a', sizeof long_path);
    memcpy(long_path, "/v2/models/", 11);
    long_path[sizeof long_path - 1] = '\0';
    kserve_route_find(long_path, "GET", &m);
    CHECK(m.route == KSERVE_ROUTE_COUNT && !m.model);
}

int main(void)
{
    test_route_table();
    test_grpc_table();
    test_find();
    CHECK_DONE();
}
