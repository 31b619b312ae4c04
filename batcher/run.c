#include "run.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void batcher_stage_free(batcher_stage_t *stage)
{
    for (int i = 0; i < REQUEST_MAX_TENSORS; i++) {
        free(stage->data[i]);
        stage->data[i] = NULL;
        stage->capacity[i] = 0;
    }
}

/* Concatenates input i of every request in the batch into the stage, along dim 0. */
static status_t stage_input(const backend_model_t *model, batcher_stage_t *stage,
                            const batcher_batch_t *batch, int i, tensor_t *out, error_t *err)
{
    const request_t *lead = batch->reqs[0];
    size_t row_bytes = tensor_bytes(&lead->inputs[i]) / (size_t)request_batch_rows(lead);
    size_t need = row_bytes * (size_t)batch->rows, offset = 0;

    if (need > stage->capacity[i]) {
        /* The old contents are not needed, so free + malloc rather than realloc's copy. */
        free(stage->data[i]);
        stage->capacity[i] = 0;
        stage->data[i] = malloc(need);
        if (!stage->data[i])
            return error_set(err, STATUS_OUT_OF_MEMORY,
                             "out of memory staging input '%s' for a batch of %" PRId64 " rows",
                             backend_model_input(model, i)->name, batch->rows);
        stage->capacity[i] = need;
    }
    *out = lead->inputs[i];
    out->dims[0] = batch->rows;
    out->data = stage->data[i];
    for (int r = 0; r < batch->n; r++) {
        size_t bytes = tensor_bytes(&batch->reqs[r]->inputs[i]);
        if (bytes)
            memcpy((char *)stage->data[i] + offset, batch->reqs[r]->inputs[i].data, bytes);
        offset += bytes;
    }
    return STATUS_OK;
}

/*
 * When a batch's run may give up (in a loop: backend_context_set_deadline):
 * once every request in it is past its deadline, 0 if any has none.
 */
static int64_t batch_deadline(const batcher_batch_t *batch)
{
    int64_t latest = 0;

    for (int r = 0; r < batch->n; r++) {
        if (batch->reqs[r]->deadline_us == 0)
            return 0;
        if (batch->reqs[r]->deadline_us > latest)
            latest = batch->reqs[r]->deadline_us;
    }
    return latest;
}

/* Runs the model once for the whole batch; *outs then belong to ctx. */
static status_t execute(const backend_model_t *model, backend_context_t *ctx,
                        batcher_stage_t *stage, bool batched, const batcher_batch_t *batch,
                        const tensor_t **outs, error_t *err)
{
    tensor_t staged[REQUEST_MAX_TENSORS];
    const request_t *lead = batch->reqs[0];
    const tensor_t *inputs = lead->inputs;
    status_t st;
    char shape[SHAPE_TEXT_MAX];

    if (batch->n > 1) {
        for (int i = 0; i < lead->n_inputs; i++) {
            st = stage_input(model, stage, batch, i, &staged[i], err);
            if (st)
                return st;
        }
        inputs = staged;
    }
    backend_context_set_deadline(ctx, batch_deadline(batch));
    st = backend_context_run(ctx, inputs, lead->n_inputs, outs, err);
    if (st || !batched)
        return st;
    /* Splitting by rows is only right if every output is batched like the inputs. */
    for (int k = 0; k < backend_model_output_count(model); k++) {
        const tensor_t *o = &(*outs)[k];
        if (o->rank < 1 || o->dims[0] != batch->rows)
            return error_set(err, STATUS_INTERNAL,
                             "model output '%s' has shape %s, not batch size %" PRId64
                             " first: it cannot be split between requests",
                             backend_model_output(model, k)->name,
                             shape_format(o->rank, o->dims, shape, sizeof shape), batch->rows);
    }
    return STATUS_OK;
}

/*
 * Gives req its part of every output: rows from first_row on when batched,
 * the whole tensor otherwise. Data is copied only for outputs in its mask.
 */
static status_t copy_outputs(const backend_model_t *model, const tensor_t *outs, bool batched,
                             int64_t first_row, request_t *req, error_t *err)
{
    int n_outputs = backend_model_output_count(model);

    req->n_outputs = n_outputs;
    for (int k = 0; k < n_outputs; k++) {
        const tensor_t *o = &outs[k];
        tensor_t *t = &req->outputs[k];
        size_t offset = 0, bytes;

        *t = *o;
        t->data = NULL;
        if (batched) {
            t->dims[0] = request_batch_rows(req);
            offset = (size_t)first_row * (tensor_bytes(o) / (size_t)o->dims[0]);
        }
        bytes = tensor_bytes(t);
        if (!((req->output_mask >> k) & 1) || bytes == 0)
            continue;
        t->data = arena_alloc(&req->arena, bytes);
        if (!t->data) {
            req->n_outputs = 0;
            return error_set(err, STATUS_OUT_OF_MEMORY,
                             "out of memory copying output '%s' (%zu bytes)",
                             backend_model_output(model, k)->name, bytes);
        }
        memcpy(t->data, (const char *)o->data + offset, bytes);
    }
    return STATUS_OK;
}

bool batcher_run(const backend_model_t *model, backend_context_t *ctx, batcher_stage_t *stage,
                 bool batched, batcher_batch_t *batch)
{
    const tensor_t *outs = NULL;
    error_t err = {STATUS_OK, ""};
    int64_t start = request_now_us(), compute_us, first_row = 0;
    status_t st = execute(model, ctx, stage, batched, batch, &outs, &err);

    compute_us = request_now_us() - start;
    for (int r = 0; r < batch->n; r++) {
        request_t *req = batch->reqs[r];
        req->compute_us = compute_us;
        req->batch_size = (int)batch->rows;
        req->n_outputs = 0;
        if (st) {
            req->status = st;
            req->error = err;
        } else {
            req->status = copy_outputs(model, outs, batched, first_row, req, &req->error);
        }
        if (batched)
            first_row += request_batch_rows(req);
    }
    return st == STATUS_OK;
}
