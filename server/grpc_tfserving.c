/*
 * grpc_tfserving.c - TF Serving's gRPC API on the gRPC port
 * (api/tfserving_grpc.h has the codec): PredictionService.Predict and
 * GetModelMetadata, ModelService.GetModelStatus. Predict goes the way of
 * the REST :predict (server/http_compat.c): its tensors become a batch
 * plan whose parts are queued in the model's batcher like any request,
 * and the last part's completion answers, on its worker thread.
 */
#include <stdlib.h>

#include "grpc_internal.h"
#include "server_info.h"
#include "tfserving_grpc.h"

/* Predict's answer, once every part of its plan completed. */
static void predict_finish(grpc_unary_t *u)
{
    served_model_t *m = u->model;
    tensor_t outputs[MODEL_CONFIG_MAX_IO];
    Tensorflow__Serving__PredictResponse *resp = NULL;
    error_t err = {0};
    status_t st;

    if (batch_plan_any_success(u->plan))
        atomic_store(&m->last_inference_ms, grpc_wall_ms());
    st = batch_plan_outputs(u->plan, 0, outputs, &err);
    if (st == STATUS_OK)
        st = tfserving_grpc_predict_response(&m->config, m->version, outputs, u->plan_outputs,
                                             &u->arena, &resp, &err);
    if (st != STATUS_OK)
        grpc_unary_fail(u, st, err.message);
    else
        grpc_unary_reply(u, &resp->base);
}

/* A part's completion, on a worker thread: the last one answers. */
static void predict_part_done(request_t *req)
{
    grpc_unary_t *u = req->user;

    if (batch_plan_part_done(u->plan))
        predict_finish(u);
}

/* Parses q for u->model into u->plan and cuts it; the deadline applies to every part. */
static status_t plan_predict(grpc_unary_t *u, const Tensorflow__Serving__PredictRequest *q,
                             error_t *err)
{
    const model_config_t *cfg = &u->model->config;
    status_t st;

    u->plan = malloc(sizeof *u->plan);
    if (!u->plan)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    batch_plan_init(u->plan, cfg);
    st = tfserving_grpc_parse_predict(q, cfg, u->fe->cfg->max_tensor_elements,
                                      u->fe->cfg->max_body_bytes, u->plan, &u->plan_outputs, err);
    if (st == STATUS_OK)
        st = batch_plan_cut(u->plan, err);
    if (st != STATUS_OK) {
        atomic_fetch_add(&u->model->rejected, 1);
        return st;
    }
    for (int p = 0; p < u->plan->n_parts && st == STATUS_OK; p++)
        st = grpc_unary_deadline(u, u->plan->parts[p], err);
    return st;
}

void grpc_handle_tfs_predict(grpc_unary_t *u)
{
    Tensorflow__Serving__PredictRequest *q =
        (Tensorflow__Serving__PredictRequest *)grpc_unary_message(
            u, &tensorflow__serving__predict_request__descriptor, &u->arena);
    error_t err = {0};
    const char *name;
    int64_t version;
    status_t st;

    if (!q)
        return;
    /* Unpacking copied every byte: the wire buffer can go before the request waits. */
    grpc_byte_buffer_destroy(u->payload);
    u->payload = NULL;
    st = tfserving_grpc_model_spec(q->model_spec, &name, &version, &err);
    if (st == STATUS_OK)
        st = repository_acquire(u->fe->repo, name, version, &u->model, &err);
    if (st == STATUS_OK)
        st = plan_predict(u, q, &err);
    if (st != STATUS_OK) {
        grpc_unary_fail(u, st, err.message);
        return;
    }
    atomic_store(&u->queued_plan, u->plan);
    grpc_unary_cancel_if_gone(u);
    /* Past this point u belongs to the last part's completion unless every part is done. */
    if (batch_plan_submit(u->plan, u->model->batcher, predict_part_done, u))
        predict_finish(u);
}

void grpc_handle_tfs_model_metadata(grpc_unary_t *u)
{
    Tensorflow__Serving__GetModelMetadataRequest *q =
        (Tensorflow__Serving__GetModelMetadataRequest *)grpc_unary_message(
            u, &tensorflow__serving__get_model_metadata_request__descriptor, &u->arena);
    Tensorflow__Serving__GetModelMetadataResponse *r;
    served_model_t *m = NULL;
    error_t err = {0};
    const char *name;
    int64_t version;
    status_t st;

    if (!q)
        return;
    st = tfserving_grpc_metadata_request(q, &name, &version, &err);
    if (st == STATUS_OK)
        st = repository_acquire(u->fe->repo, name, version, &m, &err);
    if (st != STATUS_OK) {
        grpc_unary_fail(u, st, err.message);
        return;
    }
    r = tfserving_grpc_metadata_response(&m->config, m->version, &u->arena);
    repository_release(u->fe->repo, m);
    if (r)
        grpc_unary_reply(u, &r->base);
    else
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
}

void grpc_handle_tfs_model_status(grpc_unary_t *u)
{
    Tensorflow__Serving__GetModelStatusRequest *q =
        (Tensorflow__Serving__GetModelStatusRequest *)grpc_unary_message(
            u, &tensorflow__serving__get_model_status_request__descriptor, &u->arena);
    Tensorflow__Serving__GetModelStatusResponse *r = NULL;
    tfserving_version_status_t *statuses = NULL;
    server_info_snapshot_t snap = {0};
    error_t err = {0};
    const char *name;
    int64_t version;
    int n = 0;
    status_t st;

    if (!q)
        return;
    st = tfserving_grpc_status_request(q, &name, &version, &err);
    if (st == STATUS_OK)
        st = server_info_snapshot(u->fe->repo, false, &snap, &err);
    if (st == STATUS_OK && !(statuses = calloc((size_t)snap.n + 1, sizeof *statuses)))
        st = error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (st == STATUS_OK)
        st = tfserving_version_statuses(snap.index, snap.n, name, version, statuses, &n, &err);
    if (st == STATUS_OK && !(r = tfserving_grpc_status_response(statuses, n, &u->arena)))
        st = error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (st != STATUS_OK)
        grpc_unary_fail(u, st, err.message);
    else
        grpc_unary_reply(u, &r->base);
    free(statuses);
    server_info_snapshot_free(&snap);
}
