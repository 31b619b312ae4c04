/*
 * The pieces under the TF Serving and MindSpore REST APIs: base64 against
 * RFC 4648's test vectors, TF Serving's status codes (its http_server.cc
 * table), the URL grammars, dense shapes of nested lists, and batch plans
 * cutting rows to max_batch_size and gathering them back.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "batch_plan.h"
#include "check.h"
#include "compat_route.h"
#include "json_tensor.h"
#include "status_map.h"

static bool decodes(const char *text, const char *want)
{
    unsigned char out[64];
    size_t len;

    return base64_decode(text, strlen(text), out, &len) && len == strlen(want) &&
           memcmp(out, want, len) == 0;
}

static bool refused(const char *text)
{
    unsigned char out[64];
    size_t len;
    return !base64_decode(text, strlen(text), out, &len);
}

static void test_base64(void)
{
    /* RFC 4648 section 10. */
    CHECK(decodes("", ""));
    CHECK(decodes("Zg==", "f"));
    CHECK(decodes("Zm8=", "fo"));
    CHECK(decodes("Zm9v", "foo"));
    CHECK(decodes("Zm9vYg==", "foob"));
    CHECK(decodes("Zm9vYmE=", "fooba"));
    CHECK(decodes("Zm9vYmFy", "foobar"));
    CHECK(decodes("Zm9vYg", "foob")); /* padding left out */
    CHECK(refused("Zm9vY"));          /* one character over */
    CHECK(refused("Zm=v"));           /* padding in the middle */
    CHECK(refused("Zm9v\n"));
    CHECK(refused("Zh==")); /* bits set past the last byte */
    CHECK(refused("Zm9v-_=="));
}

static void test_tfserving_status(void)
{
    /* TF Serving's ToHTTPStatusCode of the gRPC code inferd gives each status. */
    CHECK(api_tfserving_http_status(STATUS_OK) == 200);
    CHECK(api_tfserving_http_status(STATUS_INVALID_ARGUMENT) == 400);
    CHECK(api_tfserving_http_status(STATUS_LIMIT_EXCEEDED) == 400);
    CHECK(api_tfserving_http_status(STATUS_NOT_FOUND) == 404);
    CHECK(api_tfserving_http_status(STATUS_PERMISSION_DENIED) == 403);
    CHECK(api_tfserving_http_status(STATUS_QUEUE_FULL) == 429);
    CHECK(api_tfserving_http_status(STATUS_DEADLINE_EXCEEDED) == 504);
    CHECK(api_tfserving_http_status(STATUS_UNSUPPORTED) == 501);
    CHECK(api_tfserving_http_status(STATUS_UNAVAILABLE) == 503);
    CHECK(api_tfserving_http_status(STATUS_INTERNAL) == 500);
    CHECK(api_tfserving_http_status(STATUS_OUT_OF_MEMORY) == 500);
}

static void test_routes(void)
{
    compat_route_t r;

    compat_route_find("/v2/models/m", "GET", &r);
    CHECK(r.api == COMPAT_API_NONE);
    compat_route_find("/v1/models/m", "GET", &r);
    CHECK(r.op == COMPAT_OP_TFS_STATUS && strcmp(r.model, "m") == 0 && r.version == -1);
    CHECK(r.category == RESTRICTED_API_HEALTH);
    compat_route_find("/V1/MODELS/m/Versions/12/METADATA", "GET", &r);
    CHECK(r.op == COMPAT_OP_TFS_METADATA && r.version == 12 &&
          r.category == RESTRICTED_API_METADATA);
    compat_route_find("/v1/models/m/labels/canary:predict", "POST", &r);
    CHECK(r.op == COMPAT_OP_TFS_PREDICT && strcmp(r.label, "canary") == 0);
    CHECK(r.category == RESTRICTED_API_INFERENCE);
    compat_route_find("/v1/models/m:regress", "POST", &r);
    CHECK(r.op == COMPAT_OP_TFS_REGRESS);
    /* TF Serving's own malformed cases (http_rest_api_handler_test.cc). */
    compat_route_find("/v1/models/m/metadata", "POST", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED && strstr(r.message, "Malformed request"));
    compat_route_find("/v1/models/m/label/x:predict", "POST", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED);
    compat_route_find("/v1/models/m/versions/50/labels/x:predict", "POST", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED);
    compat_route_find("/v1/models", "GET", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED && strstr(r.message, "Missing model name"));
    compat_route_find("/v1/models/m/versions/1234567890123456789", "GET", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED);
    compat_route_find("/v1/models//m", "GET", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED);
    compat_route_find("/model/lenet/version/1:predict", "POST", &r);
    CHECK(r.api == COMPAT_API_MINDSPORE && r.op == COMPAT_OP_MINDSPORE_CALL && r.version == 1);
    CHECK(strcmp(r.model, "lenet") == 0 && strcmp(r.method, "predict") == 0);
    compat_route_find("/model/lenet/version/0:add", "POST", &r);
    CHECK(r.version == -1 && strcmp(r.method, "add") == 0);
    compat_route_find("/model/lenet/version/4294967296:predict", "POST", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED);
    compat_route_find("/model/lenet:predict", "GET", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED && strstr(r.message, "only support POST"));
    compat_route_find("/model/lenet", "POST", &r);
    CHECK(r.op == COMPAT_OP_MALFORMED);
}

static bool shape_is(const char *text, int rank, const int64_t *want)
{
    json_t *v = json_loads(text, 0, NULL);
    int64_t dims[TENSOR_MAX_RANK];
    int got;
    bool ok = json_tensor_shape(v, TENSOR_MAX_RANK, "t", &got, dims, NULL) == STATUS_OK &&
              got == rank && (rank == 0 || memcmp(dims, want, (size_t)rank * sizeof *dims) == 0);
    json_decref(v);
    return ok;
}

static void test_shapes(void)
{
    CHECK(shape_is("3", 0, NULL));
    CHECK(shape_is("[]", 1, (int64_t[]){0}));
    CHECK(shape_is("[[1, 2, 3], [4, 5, 6]]", 2, (int64_t[]){2, 3}));
    CHECK(shape_is("[[[1]], [[2]]]", 3, (int64_t[]){2, 1, 1}));
    CHECK(!shape_is("[[1, 2], [3]]", 2, (int64_t[]){2, 2}));
    CHECK(!shape_is("[[1, 2], 3]", 2, (int64_t[]){2, 2}));
    CHECK(!shape_is("[1, [2]]", 1, (int64_t[]){2}));
    CHECK(!shape_is("[[[[[[[[[1]]]]]]]]]", 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}));
}

/* A model of max_batch_size 4: x FP32 [-1] -> y FP32 [-1]. */
static void batch_config(model_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->name, "m");
    cfg->max_batch_size = 4;
    strcpy(cfg->inputs[0].name, "x");
    cfg->inputs[0].dtype = DTYPE_FLOAT;
    cfg->inputs[0].rank = 1;
    cfg->inputs[0].dims[0] = -1;
    cfg->n_inputs = 1;
    cfg->outputs[0] = cfg->inputs[0];
    strcpy(cfg->outputs[0].name, "y");
    cfg->n_outputs = 1;
}

/* A unit of `rows` rows of width 2 whose values are base, base + 1, ... */
static void fill_unit(batch_plan_t *plan, int u, int64_t rows, int width, float base)
{
    tensor_t *t = arena_alloc(&plan->arena, sizeof *t);
    float *data = arena_alloc(&plan->arena, (size_t)(rows * width) * sizeof *data);

    for (int64_t i = 0; i < rows * width; i++)
        data[i] = base + (float)i;
    t->dtype = DTYPE_FLOAT;
    t->rank = 2;
    t->dims[0] = rows;
    t->dims[1] = width;
    t->data = data;
    plan->units[u].inputs = t;
    plan->units[u].rows = rows;
}

/* Each part's output is its input times 10, as a model would answer. */
static void run_parts(batch_plan_t *plan)
{
    for (int p = 0; p < plan->n_parts; p++) {
        request_t *req = plan->parts[p];
        tensor_t *out = &req->outputs[0];
        *out = req->inputs[0];
        out->data = arena_alloc(&req->arena, tensor_bytes(out) + 1);
        for (int64_t i = 0; i < tensor_numel(out); i++)
            ((float *)out->data)[i] = ((const float *)req->inputs[0].data)[i] * 10;
        req->n_outputs = 1;
    }
}

static void test_plan(void)
{
    model_config_t cfg;
    batch_plan_t plan;
    tensor_t out[1];
    error_t err = {0};

    batch_config(&cfg);
    /* One unit of 10 rows: parts of 4, 4 and 2, gathered back in order. */
    batch_plan_init(&plan, &cfg);
    CHECK(batch_plan_units(&plan, 1, &err) == STATUS_OK);
    fill_unit(&plan, 0, 10, 2, 0);
    CHECK(batch_plan_cut(&plan, &err) == STATUS_OK);
    CHECK(plan.n_parts == 3);
    CHECK(plan.parts[0]->inputs[0].dims[0] == 4 && plan.parts[2]->inputs[0].dims[0] == 2);
    run_parts(&plan);
    CHECK(batch_plan_outputs(&plan, 0, out, &err) == STATUS_OK);
    CHECK(out[0].rank == 2 && out[0].dims[0] == 10 && out[0].dims[1] == 2);
    for (int i = 0; i < 20; i++)
        CHECK(((float *)out[0].data)[i] == 10.0f * (float)i);
    batch_plan_free(&plan);

    /* Units of one row: width 2, 2, 3, a refused one, 2: widths split parts. */
    batch_plan_init(&plan, &cfg);
    CHECK(batch_plan_units(&plan, 5, &err) == STATUS_OK);
    fill_unit(&plan, 0, 1, 2, 0);
    fill_unit(&plan, 1, 1, 2, 100);
    fill_unit(&plan, 2, 1, 3, 200);
    batch_plan_refuse(&plan, 3, STATUS_INVALID_ARGUMENT, "bad instance %d", 3);
    fill_unit(&plan, 4, 1, 2, 300);
    CHECK(batch_plan_cut(&plan, &err) == STATUS_OK);
    CHECK(plan.n_parts == 3);
    CHECK(plan.parts[0]->inputs[0].dims[0] == 2);
    run_parts(&plan);
    CHECK(batch_plan_outputs(&plan, 1, out, &err) == STATUS_OK);
    CHECK(out[0].dims[0] == 1 && ((float *)out[0].data)[1] == 1010.0f);
    CHECK(batch_plan_outputs(&plan, 2, out, &err) == STATUS_OK);
    CHECK(out[0].dims[1] == 3 && ((float *)out[0].data)[2] == 2020.0f);
    CHECK(batch_plan_outputs(&plan, 3, out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "bad instance 3") == 0);
    /* A failed part fails its units only. */
    plan.parts[2]->status = STATUS_QUEUE_FULL;
    CHECK(batch_plan_outputs(&plan, 4, out, &err) == STATUS_QUEUE_FULL);
    CHECK(batch_plan_outputs(&plan, 0, out, &err) == STATUS_OK);
    batch_plan_free(&plan);

    /* More than BATCH_PLAN_MAX_PARTS batches are refused. */
    batch_plan_init(&plan, &cfg);
    CHECK(batch_plan_units(&plan, 1, &err) == STATUS_OK);
    fill_unit(&plan, 0, 4 * BATCH_PLAN_MAX_PARTS + 1, 1, 0);
    CHECK(batch_plan_cut(&plan, &err) == STATUS_LIMIT_EXCEEDED);
    batch_plan_free(&plan);
}

int main(void)
{
    test_base64();
    test_tfserving_status();
    test_routes();
    test_shapes();
    test_plan();
    CHECK_DONE();
}
