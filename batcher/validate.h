/*
 * validate.h - the checks a batcher makes before trusting a configuration
 * or a request, each failure naming the field and the value.
 */
#ifndef INFERD_BATCHER_VALIDATE_H
#define INFERD_BATCHER_VALIDATE_H

#include "batcher.h"

/* STATUS_INVALID_ARGUMENT unless cfg is usable for model. */
status_t batcher_config_check(const backend_model_t *model, const batcher_config_t *cfg,
                              error_t *err);

/*
 * STATUS_INVALID_ARGUMENT unless req can be queued for model under cfg:
 * a callback, one well-formed input per model input (with an equal batch
 * dim of 1 .. max_batch_size when batching), a priority in range and a
 * timeout >= 0. Dtypes and declared dims are left to the engine, so a
 * mismatch fails only the batch it runs in.
 */
status_t batcher_request_check(const backend_model_t *model, const batcher_config_t *cfg,
                               const request_t *req, error_t *err);

#endif
