/*
 * grpc_infer.c - ModelInfer: the request message is unpacked into the
 * request's own arena (its tensors are used in place), queued in the
 * model's batcher like an HTTP request, and answered from the batcher's
 * completion on the worker thread.
 */
#include "grpc_internal.h"

/* The batcher's completion, on a worker thread: answer with the outputs or the failure. */
static void infer_done(request_t *req)
{
    grpc_unary_t *u = req->user;
    served_model_t *m = u->model;
    Inference__ModelInferResponse *resp = NULL;
    error_t err = {0};

    if (req->status) {
        grpc_unary_fail(u, req->status, req->error.message);
        return;
    }
    if (shm_request_write(&u->shm, &m->config, &u->prefs, req, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        return;
    }
    if (kserve_grpc_infer_response(req, &m->config, &u->prefs, m->name, m->version_text,
                                   &req->arena, &resp, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        return;
    }
    atomic_store(&m->last_inference_ms, grpc_wall_ms());
    grpc_unary_reply(u, &resp->base);
}

void grpc_handle_model_infer(grpc_unary_t *u)
{
    grpc_frontend_t *fe = u->fe;
    Inference__ModelInferRequest *q;
    error_t err = {0};
    int64_t version = -1;
    status_t st;

    /* A spare call state brings its last call's request, reset. */
    if (!u->req)
        u->req = request_create();
    if (!u->req) {
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
        return;
    }
    q = (Inference__ModelInferRequest *)grpc_unary_message(
        u, &inference__model_infer_request__descriptor, &u->req->arena);
    if (!q)
        return;
    /* Unpacking copied every byte: the wire buffer can go before the request waits. */
    grpc_byte_buffer_destroy(u->payload);
    u->payload = NULL;
    st = grpc_parse_version(q->model_version, &version, &err);
    if (!st)
        st = repository_acquire(fe->repo, q->model_name, version, &u->model, &err);
    if (!st) {
        st = kserve_grpc_parse_infer_request(q, &u->model->config, fe->cfg->max_tensor_elements,
                                             u->req, &u->prefs, &err);
        if (!st)
            st = shm_request_prepare(fe->state->shm, &u->model->config, &u->prefs,
                                     fe->cfg->max_body_bytes, u->req, &u->shm, &err);
        if (st)
            atomic_fetch_add(&u->model->rejected, 1);
        u->prefs.labels = u->model->labels;
    }
    if (!st)
        st = grpc_unary_deadline(u, u->req, &err);
    if (st) {
        grpc_unary_fail(u, st, err.message);
        return;
    }
    u->req->done = infer_done;
    u->req->user = u;
    atomic_store(&u->queued, u->req);
    grpc_unary_cancel_if_gone(u);
    st = batcher_submit(u->model->batcher, u->req, &err);
    if (st)
        grpc_unary_fail(u, st, err.message);
}
