#include "validate.h"

#include <inttypes.h>

status_t batcher_config_check(const backend_model_t *model, const batcher_config_t *cfg,
                              error_t *err)
{
    int n_inputs = backend_model_input_count(model), n_outputs = backend_model_output_count(model);

    if (cfg->max_batch_size < 0 || cfg->max_batch_size > BATCHER_MAX_BATCH_SIZE)
        return error_set(err, STATUS_INVALID_ARGUMENT, "max_batch_size %d is outside 0..%d",
                         cfg->max_batch_size, BATCHER_MAX_BATCH_SIZE);
    if (cfg->n_preferred < 0 || cfg->n_preferred > BATCHER_MAX_PREFERRED)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%d preferred_batch_sizes: at most %d",
                         cfg->n_preferred, BATCHER_MAX_PREFERRED);
    for (int i = 0; i < cfg->n_preferred; i++)
        if (cfg->preferred_batch_sizes[i] < 1 ||
            cfg->preferred_batch_sizes[i] > cfg->max_batch_size)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "preferred_batch_sizes[%d] = %d is outside 1..max_batch_size (%d)", i,
                             cfg->preferred_batch_sizes[i], cfg->max_batch_size);
    if (cfg->max_queue_delay_us < 0 || cfg->max_queue_delay_us > BATCHER_MAX_QUEUE_DELAY_US)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "max_queue_delay_us %" PRId64 " is outside 0..%" PRId64,
                         cfg->max_queue_delay_us, BATCHER_MAX_QUEUE_DELAY_US);
    if (cfg->max_queue_size < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "max_queue_size %d is negative",
                         cfg->max_queue_size);
    if (cfg->default_timeout_us < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "default_timeout_us %" PRId64 " is negative",
                         cfg->default_timeout_us);
    if (cfg->priority_levels < 1 || cfg->priority_levels > BATCHER_MAX_PRIORITY_LEVELS)
        return error_set(err, STATUS_INVALID_ARGUMENT, "priority_levels %d is outside 1..%d",
                         cfg->priority_levels, BATCHER_MAX_PRIORITY_LEVELS);
    if (cfg->default_priority < 1 || cfg->default_priority > cfg->priority_levels)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "default_priority %d is outside 1..priority_levels (%d)",
                         cfg->default_priority, cfg->priority_levels);
    if (cfg->instance_count < 1 || cfg->instance_count > BATCHER_MAX_INSTANCES)
        return error_set(err, STATUS_INVALID_ARGUMENT, "instance_count %d is outside 1..%d",
                         cfg->instance_count, BATCHER_MAX_INSTANCES);
    if (cfg->threads_per_instance < 1 ||
        cfg->threads_per_instance > BATCHER_MAX_THREADS_PER_INSTANCE)
        return error_set(err, STATUS_INVALID_ARGUMENT, "threads_per_instance %d is outside 1..%d",
                         cfg->threads_per_instance, BATCHER_MAX_THREADS_PER_INSTANCE);
    if (n_inputs > REQUEST_MAX_TENSORS || n_outputs > REQUEST_MAX_TENSORS)
        return error_set(err, STATUS_UNSUPPORTED,
                         "the model has %d inputs and %d outputs; a request carries at most %d",
                         n_inputs, n_outputs, REQUEST_MAX_TENSORS);
    for (int i = 0; cfg->max_batch_size > 0 && i < n_inputs; i++) {
        const engine_io_t *io = backend_model_input(model, i);
        if (io->rank < 1 || io->dims[0] != -1)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "max_batch_size %d needs a dynamic first dim on every input, and "
                             "input '%s' has %s",
                             cfg->max_batch_size, io->name, io->rank < 1 ? "none" : "a fixed one");
    }
    return STATUS_OK;
}

/* The input's shape and data are usable: the batcher copies from it. */
static status_t check_input(const engine_io_t *io, const tensor_t *t, error_t *err)
{
    int64_t numel;
    char shape[SHAPE_TEXT_MAX];

    if (t->rank < 0 || t->rank > TENSOR_MAX_RANK)
        return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s': rank %d is outside 0..%d",
                         io->name, t->rank, TENSOR_MAX_RANK);
    if (!shape_valid(t->rank, t->dims, &numel))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': shape %s has a negative dim or over %" PRId64 " elements",
                         io->name, shape_format(t->rank, t->dims, shape, sizeof shape),
                         TENSOR_MAX_ELEMENTS);
    if (dtype_size(t->dtype) == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s': dtype %s is not supported",
                         io->name, dtype_name(t->dtype));
    if (numel > 0 && !t->data)
        return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s': no data", io->name);
    return STATUS_OK;
}

/* With batching, every input starts with the same batch dim of 1 .. max_batch_size. */
static status_t check_batch_dim(const backend_model_t *model, const batcher_config_t *cfg,
                                const request_t *req, int i, error_t *err)
{
    const char *name = backend_model_input(model, i)->name;
    const tensor_t *t = &req->inputs[i];

    if (t->rank < 1)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s' has no batch dim (rank 0); max_batch_size is %d", name,
                         cfg->max_batch_size);
    if (t->dims[0] < 1 || t->dims[0] > cfg->max_batch_size)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': batch dim %" PRId64 " is outside 1..max_batch_size (%d)",
                         name, t->dims[0], cfg->max_batch_size);
    if (i > 0 && t->dims[0] != req->inputs[0].dims[0])
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s' has batch dim %" PRId64 " but input '%s' has %" PRId64, name,
                         t->dims[0], backend_model_input(model, 0)->name, req->inputs[0].dims[0]);
    return STATUS_OK;
}

status_t batcher_request_check(const backend_model_t *model, const batcher_config_t *cfg,
                               const request_t *req, error_t *err)
{
    int n_inputs = backend_model_input_count(model);
    status_t st;

    if (!req->done)
        return error_set(err, STATUS_INVALID_ARGUMENT, "the request has no completion callback");
    if (req->n_inputs != n_inputs)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "the request has %d inputs; the model takes %d", req->n_inputs, n_inputs);
    if (req->priority < 0 || req->priority > cfg->priority_levels)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "priority %d is outside 1..%d (0 means the default, %d)", req->priority,
                         cfg->priority_levels, cfg->default_priority);
    if (req->timeout_us < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "timeout %" PRId64 " us is negative",
                         req->timeout_us);
    for (int i = 0; i < n_inputs; i++) {
        st = check_input(backend_model_input(model, i), &req->inputs[i], err);
        if (!st && cfg->max_batch_size > 0)
            st = check_batch_dim(model, cfg, req, i, err);
        if (st)
            return st;
    }
    return STATUS_OK;
}
