/*
 * http_compat.c - the TF Serving and MindSpore Serving REST endpoints on
 * the HTTP port (api/compat_route.h has the paths): model status and
 * metadata, and the calls that run a model. A call is parsed into a batch
 * plan (api/batch_plan.h) whose parts go through the model's batcher like
 * KServe requests; the connection sleeps until the last part completes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "mindspore.h"
#include "server_info.h"
#include "tfserving.h"

struct http_plan {
    batch_plan_t plan;
    compat_api_t api;
    tfserving_format_t format; /* TF Serving: the form of the answer */
};

void http_compat_free(http_plan_t *hp)
{
    if (!hp)
        return;
    batch_plan_free(&hp->plan);
    free(hp);
}

/* Inferd has no version labels: naming one finds nothing (TF Serving's 404). */
static enum MHD_Result refuse_label(http_call_t *call)
{
    error_t err = {0};

    tfserving_refuse_label(call->compat.model, call->compat.label, &err);
    return http_respond_error(call, err.code, err.message);
}

/* GET /v1/models/{m}[/versions/{v}]: the status of its versions. */
static enum MHD_Result tfs_status(http_call_t *call)
{
    server_info_snapshot_t snap = {0};
    tfserving_version_status_t *statuses = NULL;
    error_t err = {0};
    char *json;
    int n;
    enum MHD_Result rc;

    if (server_info_snapshot(call->server->repo, false, &snap, &err) ||
        !(statuses = calloc((size_t)snap.n + 1, sizeof *statuses))) {
        rc = http_respond_error(call, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    if (tfserving_version_statuses(snap.index, snap.n, call->compat.model, call->compat.version,
                                   statuses, &n, &err)) {
        rc = http_respond_error(call, err.code, err.message);
        goto cleanup;
    }
    json = tfserving_status_json(statuses, n);
    rc = json ? http_respond_json(call, MHD_HTTP_OK, json)
              : http_respond_error(call, STATUS_OUT_OF_MEMORY, "out of memory");

cleanup:
    free(statuses);
    server_info_snapshot_free(&snap);
    return rc;
}

/* GET /v1/models/{m}[/versions/{v}]/metadata. */
static enum MHD_Result tfs_metadata(http_call_t *call)
{
    served_model_t *m = NULL;
    error_t err = {0};
    char *json;

    if (repository_acquire(call->server->repo, call->compat.model, call->compat.version, &m, &err))
        return http_respond_error(call, err.code, err.message);
    json = tfserving_metadata_json(&m->config, m->version);
    repository_release(call->server->repo, m);
    if (!json)
        return http_respond_error(call, STATUS_OUT_OF_MEMORY, "out of memory");
    return http_respond_json(call, MHD_HTTP_OK, json);
}

/* A part's completion, on a worker thread: the last one wakes the connection if it sleeps. */
static void part_done(request_t *req)
{
    http_call_t *call = req->user;

    if (!batch_plan_part_done(&call->plan->plan))
        return;
    if (atomic_exchange(&call->phase, HTTP_INFER_COMPLETED) == HTTP_INFER_SUSPENDED)
        MHD_resume_connection(call->conn);
}

/* Parses and submits a call that runs call->model; answers at once when nothing was queued. */
static enum MHD_Result run_model(http_call_t *call)
{
    http_server_t *server = call->server;
    http_plan_t *hp;
    error_t err = {0};
    status_t st;
    int expected;

    st = repository_acquire(server->repo, call->compat.model, call->compat.version, &call->model,
                            &err);
    if (st)
        return http_respond_error(call, err.code, err.message);
    hp = calloc(1, sizeof *hp);
    if (!hp)
        return http_respond_error(call, STATUS_OUT_OF_MEMORY, "out of memory");
    batch_plan_init(&hp->plan, &call->model->config);
    hp->api = call->compat.api;
    call->plan = hp;
    if (hp->api == COMPAT_API_TFSERVING)
        st =
            tfserving_parse_predict(call->body, call->size, &call->model->config,
                                    server->cfg->max_tensor_elements, &hp->plan, &hp->format, &err);
    else
        st = mindspore_parse_call(call->body, call->size, &call->model->config,
                                  server->cfg->max_tensor_elements, &hp->plan, &err);
    if (st == STATUS_OK)
        st = batch_plan_cut(&hp->plan, &err);
    if (st) {
        atomic_fetch_add(&call->model->rejected, 1);
        return http_respond_error(call, st, err.message);
    }
    if (batch_plan_submit(&hp->plan, call->model->batcher, part_done, call)) {
        /* Every part was refused, or there were none (every instance was wrong). */
        atomic_store(&call->phase, HTTP_INFER_COMPLETED);
        return http_compat_finish(call);
    }
    MHD_suspend_connection(call->conn);
    expected = HTTP_INFER_QUEUED;
    if (!atomic_compare_exchange_strong(&call->phase, &expected, HTTP_INFER_SUSPENDED))
        MHD_resume_connection(call->conn); /* it completed before the suspend */
    return MHD_YES;
}

enum MHD_Result http_compat_finish(http_call_t *call)
{
    http_plan_t *hp = call->plan;
    tensor_t outputs[MODEL_CONFIG_MAX_IO];
    char *body = NULL;
    size_t size;
    error_t err = {0};
    status_t st;

    if (atomic_load(&call->phase) != HTTP_INFER_COMPLETED)
        return MHD_YES;
    /* Work that succeeded is worth a last-inference time. */
    if (batch_plan_any_success(&hp->plan))
        atomic_store(&call->model->last_inference_ms, http_wall_ms());
    if (hp->api == COMPAT_API_TFSERVING) {
        st = batch_plan_outputs(&hp->plan, 0, outputs, &err);
        if (st == STATUS_OK)
            st = tfserving_write_predict(hp->format, &call->model->config, outputs, &body, &size,
                                         &err);
    } else {
        st = mindspore_write_reply(&hp->plan, &body, &size, &err);
    }
    if (st)
        return http_respond_error(call, st, err.message);
    http_infer_answered(call, STATUS_OK);
    return http_respond_json(call, MHD_HTTP_OK, body);
}

enum MHD_Result http_compat_route(http_call_t *call, const char *url)
{
    const compat_route_t *r = &call->compat;
    char message[COMPAT_ROUTE_PATH_MAX + 160];

    if (r->op == COMPAT_OP_MALFORMED)
        return http_respond_error(call, STATUS_INVALID_ARGUMENT, r->message);
    if (r->label)
        return refuse_label(call);
    switch (r->op) {
    case COMPAT_OP_TFS_STATUS:
        return tfs_status(call);
    case COMPAT_OP_TFS_METADATA:
        return tfs_metadata(call);
    case COMPAT_OP_TFS_PREDICT:
        return run_model(call);
    case COMPAT_OP_TFS_CLASSIFY:
    case COMPAT_OP_TFS_REGRESS:
        snprintf(message, sizeof message,
                 "%s is not supported: it takes tf.Example features, which inferd's ONNX models "
                 "do not read; send the tensors to %.*s:predict",
                 r->op == COMPAT_OP_TFS_CLASSIFY ? ":classify" : ":regress",
                 (int)(strrchr(url, ':') - url), url);
        return http_respond_error(call, STATUS_UNSUPPORTED, message);
    case COMPAT_OP_MINDSPORE_CALL:
        if (strcmp(r->method, MINDSPORE_METHOD) != 0) {
            snprintf(
                message, sizeof message,
                "method '%s' is not available: every model has the one method '" MINDSPORE_METHOD
                "', its inference",
                r->method);
            return http_respond_error(call, STATUS_INVALID_ARGUMENT, message);
        }
        return run_model(call);
    default:
        return http_respond_error(call, STATUS_INTERNAL, "no handler for this path");
    }
}
