/*
 * run.h - running one batch on a worker's engine context: concatenate the
 * requests' inputs along dim 0, run the model once, and split every output
 * back to the requests it belongs to.
 */
#ifndef INFERD_BATCHER_RUN_H
#define INFERD_BATCHER_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "form.h"

/* A worker's staging buffers, one per model input, kept at the largest batch seen. */
typedef struct batcher_stage {
    void *data[REQUEST_MAX_TENSORS];
    size_t capacity[REQUEST_MAX_TENSORS];
} batcher_stage_t;

/* Frees the buffers; a zeroed stage is fine. */
void batcher_stage_free(batcher_stage_t *stage);

/*
 * Runs batch (taken by batcher_form) on ctx and answers each of its
 * requests: status and error, compute_us, batch_size and, on success,
 * outputs (shape and dtype for every model output, data copied into the
 * request's arena for those in its output_mask). batched says the inputs
 * carry a batch dim (max_batch_size > 0). A lone request runs from its own
 * inputs; several run from the stage. Returns true when the model ran; the
 * batch keeps its requests, which the caller still has to hand back.
 */
bool batcher_run(const backend_model_t *model, backend_context_t *ctx, batcher_stage_t *stage,
                 bool batched, batcher_batch_t *batch);

#endif
