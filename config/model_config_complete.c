/*
 * model_config_complete.c - reconciles a model's config.json with the model
 * itself: the config may rename nothing, change no dtype and only narrow
 * dims the model leaves dynamic; whatever it leaves out comes from the
 * model. Works on a copy so a failure leaves the caller's config as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_config.h"

typedef struct side {
    const char *kind; /* "input" or "output" */
    int (*count)(const backend_model_t *);
    const engine_io_t *(*io)(const backend_model_t *, int);
} side_t;

static const side_t input_side = {"input", backend_model_input_count, backend_model_input};
static const side_t output_side = {"output", backend_model_output_count, backend_model_output};

static const model_tensor_config_t *find_tensor(const model_tensor_config_t *list, int n,
                                                const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            return &list[i];
    return NULL;
}

/* The tensor as clients see it: the model's, minus the batch dim. */
static status_t visible_tensor(const model_config_t *cfg, const side_t *side, const engine_io_t *io,
                               model_tensor_config_t *out, error_t *err)
{
    int skip = cfg->max_batch_size > 0 ? 1 : 0;

    if (strlen(io->name) >= MODEL_NAME_MAX)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": %s name \"%.64s...\" is longer than %d bytes", cfg->name,
                         side->kind, io->name, MODEL_NAME_MAX - 1);
    if (!dtype_kserve_name(io->dtype) || dtype_size(io->dtype) == 0)
        return error_set(err, STATUS_UNSUPPORTED,
                         "model \"%s\": %s \"%s\" has dtype %s, which inferd cannot serve",
                         cfg->name, side->kind, io->name, dtype_name(io->dtype));
    if (skip && (io->rank < 1 || io->dims[0] != -1))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": %s \"%s\" needs a dynamic first (batch) dim because "
                         "max_batch_size is %d, but its first dim is %s",
                         cfg->name, side->kind, io->name, cfg->max_batch_size,
                         io->rank < 1 ? "missing (a scalar)" : "fixed");
    memset(out, 0, sizeof *out);
    memcpy(out->name, io->name, strlen(io->name) + 1);
    out->dtype = io->dtype;
    out->rank = io->rank - skip;
    memcpy(out->dims, io->dims + skip, (size_t)out->rank * sizeof out->dims[0]);
    return STATUS_OK;
}

/* Checks the config's entry for a tensor against the model's and narrows *model_view. */
static status_t merge_tensor(const model_config_t *cfg, const side_t *side,
                             const model_tensor_config_t *given, model_tensor_config_t *model_view,
                             error_t *err)
{
    if (given->dtype != DTYPE_UNDEFINED && given->dtype != model_view->dtype)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": config %s \"%s\" has data_type %s, the model %s", cfg->name,
                         side->kind, given->name, dtype_kserve_name(given->dtype),
                         dtype_kserve_name(model_view->dtype));
    memcpy(model_view->label_filename, given->label_filename, sizeof given->label_filename);
    if (given->rank < 0)
        return STATUS_OK;
    if (given->rank != model_view->rank)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": config %s \"%s\" has %d dims, the model %d%s", cfg->name,
                         side->kind, given->name, given->rank, model_view->rank,
                         cfg->max_batch_size > 0 ? " (without the batch dim)" : "");
    for (int d = 0; d < given->rank; d++) {
        if (model_view->dims[d] != -1 && given->dims[d] != model_view->dims[d])
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "model \"%s\": config %s \"%s\" dims[%d] is %lld, the model has %lld "
                             "(only dynamic dims may be set)",
                             cfg->name, side->kind, given->name, d, (long long)given->dims[d],
                             (long long)model_view->dims[d]);
        model_view->dims[d] = given->dims[d];
    }
    return STATUS_OK;
}

/* Fills out[] with the model's tensors of one side, in the model's order. */
static status_t complete_side(const model_config_t *cfg, const side_t *side,
                              const model_tensor_config_t *given, int n_given,
                              const backend_model_t *model, model_tensor_config_t *out, int *n_out,
                              error_t *err)
{
    int count = side->count(model);
    status_t st;

    if (count > MODEL_CONFIG_MAX_IO)
        return error_set(err, STATUS_LIMIT_EXCEEDED, "model \"%s\": %d %ss, more than %d",
                         cfg->name, count, side->kind, MODEL_CONFIG_MAX_IO);
    for (int i = 0; i < n_given; i++) {
        bool found = false;
        for (int j = 0; j < count && !found; j++)
            found = strcmp(side->io(model, j)->name, given[i].name) == 0;
        if (!found)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "model \"%s\": config %s \"%s\" is not an %s of the model", cfg->name,
                             side->kind, given[i].name, side->kind);
    }
    for (int j = 0; j < count; j++) {
        const model_tensor_config_t *g;

        st = visible_tensor(cfg, side, side->io(model, j), &out[j], err);
        if (st != STATUS_OK)
            return st;
        g = find_tensor(given, n_given, out[j].name);
        if (g) {
            st = merge_tensor(cfg, side, g, &out[j], err);
            if (st != STATUS_OK)
                return st;
        }
    }
    *n_out = count;
    return STATUS_OK;
}

/* One warmup: an entry per model input, in order, with every dim fixed. */
static status_t complete_warmup(const model_config_t *done, int index, const warmup_config_t *w,
                                warmup_config_t *out, error_t *err)
{
    for (int i = 0; i < w->n_inputs; i++)
        if (!find_tensor(done->inputs, done->n_inputs, w->inputs[i].name))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "model \"%s\": model_warmup[%d].inputs: \"%s\" is not an input",
                             done->name, index, w->inputs[i].name);
    for (int i = 0; i < done->n_inputs; i++) {
        const model_tensor_config_t *in = &done->inputs[i];
        const model_tensor_config_t *g = find_tensor(w->inputs, w->n_inputs, in->name);
        model_tensor_config_t *t = &out->inputs[i];

        if (g && g->rank != in->rank)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "model \"%s\": model_warmup[%d].inputs.%s has %d dims, the input %d",
                             done->name, index, in->name, g->rank, in->rank);
        *t = *in;
        for (int d = 0; d < in->rank; d++) {
            if (g && in->dims[d] != -1 && g->dims[d] != in->dims[d])
                return error_set(err, STATUS_INVALID_ARGUMENT,
                                 "model \"%s\": model_warmup[%d].inputs.%s dims[%d] is %lld, the "
                                 "input has %lld",
                                 done->name, index, in->name, d, (long long)g->dims[d],
                                 (long long)in->dims[d]);
            if (g)
                t->dims[d] = g->dims[d];
            if (t->dims[d] < 0)
                return error_set(err, STATUS_INVALID_ARGUMENT,
                                 "model \"%s\": model_warmup[%d]: input \"%s\" has variable "
                                 "dims; give them in model_warmup[%d].inputs",
                                 done->name, index, in->name, index);
        }
    }
    out->n_inputs = done->n_inputs;
    return STATUS_OK;
}

bool model_config_batch_sizes_fit(const model_config_t *cfg, char *field, size_t field_size,
                                  char *problem, size_t problem_size)
{
    const batcher_config_t *b = &cfg->batching;

    for (int i = 0; i < b->n_preferred; i++) {
        if (b->preferred_batch_sizes[i] <= cfg->max_batch_size)
            continue;
        snprintf(field, field_size, "dynamic_batching.preferred_batch_size[%d]", i);
        snprintf(problem, problem_size, "%d exceeds max_batch_size %d", b->preferred_batch_sizes[i],
                 cfg->max_batch_size);
        return false;
    }
    for (int i = 0; i < cfg->n_warmup; i++) {
        int bs = cfg->warmup[i].batch_size;
        if (cfg->max_batch_size > 0 ? bs <= cfg->max_batch_size : bs == 1)
            continue;
        snprintf(field, field_size, "model_warmup[%d].batch_size", i);
        snprintf(problem, problem_size, "%d is not allowed with max_batch_size %d (%s)", bs,
                 cfg->max_batch_size, cfg->max_batch_size > 0 ? "must not exceed it" : "must be 1");
        return false;
    }
    return true;
}

/* Platform, backend and instances from the model's backend; see model_config_complete. */
static status_t complete_backend(model_config_t *work, const backend_model_t *model, error_t *err)
{
    const backend_ops_t *ops = backend_model_ops(model);
    batcher_config_t *b = &work->batching;

    if ((work->backend[0] && strcmp(work->backend, ops->name) != 0) ||
        (work->platform[0] && strcmp(work->platform, ops->platform) != 0))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": config.json names %s \"%s\", but the model file is for "
                         "backend \"%s\" (platform \"%s\")",
                         work->name, work->backend[0] ? "backend" : "platform",
                         work->backend[0] ? work->backend : work->platform, ops->name,
                         ops->platform);
    snprintf(work->backend, sizeof work->backend, "%s", ops->name);
    snprintf(work->platform, sizeof work->platform, "%s", ops->platform);
    if (ops->on_devices && work->instance_kind == MODEL_INSTANCE_CPU)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": backend \"%s\" runs on NPUs: instance_group kind "
                         "KIND_CPU cannot apply (use KIND_NPU with \"devices\")",
                         work->name, ops->name);
    if (!ops->on_devices && work->instance_kind == MODEL_INSTANCE_NPU)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": backend \"%s\" runs on the CPU: instance_group kind "
                         "KIND_NPU and \"devices\" cannot apply",
                         work->name, ops->name);
    if (ops->on_devices && work->instance_kind == MODEL_INSTANCE_AUTO) {
        for (int i = 0; i < b->instance_count; i++)
            b->instance_devices[i] = 0;
        work->instance_kind = MODEL_INSTANCE_NPU;
    }
    return STATUS_OK;
}

/* max_batch_size and preferred sizes from the batch sizes the model accepts, if it names some. */
static status_t complete_batch_sizes(model_config_t *work, const backend_model_t *model,
                                     error_t *err)
{
    const int64_t *sizes;
    int n = backend_model_batch_sizes(model, &sizes);
    batcher_config_t *b = &work->batching;
    char field[128], problem[ERROR_MESSAGE_MAX];

    if (n > 0 && !work->max_batch_size_set)
        work->max_batch_size = (int)sizes[n - 1];
    if (n > 0 && work->max_batch_size > sizes[n - 1])
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model \"%s\": max_batch_size %d exceeds the model's largest batch "
                         "size %lld",
                         work->name, work->max_batch_size, (long long)sizes[n - 1]);
    for (int i = 0; n > 0 && i < b->n_preferred; i++) {
        bool accepted = false;
        for (int g = 0; g < n; g++)
            accepted |= sizes[g] == b->preferred_batch_sizes[i];
        if (!accepted)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "model \"%s\": dynamic_batching.preferred_batch_size[%d]: %d is not "
                             "a batch size the model accepts (its gears; other sizes are padded "
                             "up to one)",
                             work->name, i, b->preferred_batch_sizes[i]);
    }
    if (n > 0 && work->dynamic_batching && b->n_preferred == 0)
        for (int g = 0; g < n && b->n_preferred < BATCHER_MAX_PREFERRED; g++)
            if (sizes[g] <= work->max_batch_size)
                b->preferred_batch_sizes[b->n_preferred++] = (int)sizes[g];
    if (!model_config_batch_sizes_fit(work, field, sizeof field, problem, sizeof problem))
        return error_set(err, STATUS_INVALID_ARGUMENT, "model \"%s\": %s: %s", work->name, field,
                         problem);
    return STATUS_OK;
}

status_t model_config_complete(model_config_t *cfg, const backend_model_t *model, error_t *err)
{
    model_config_t *work = malloc(sizeof *work);
    status_t st;

    if (!work)
        return error_set(err, STATUS_OUT_OF_MEMORY, "model \"%s\": out of memory", cfg->name);
    *work = *cfg;
    st = complete_backend(work, model, err);
    if (st != STATUS_OK)
        goto cleanup;
    st = complete_batch_sizes(work, model, err);
    if (st != STATUS_OK)
        goto cleanup;
    st = complete_side(work, &input_side, cfg->inputs, cfg->n_inputs, model, work->inputs,
                       &work->n_inputs, err);
    if (st != STATUS_OK)
        goto cleanup;
    st = complete_side(work, &output_side, cfg->outputs, cfg->n_outputs, model, work->outputs,
                       &work->n_outputs, err);
    if (st != STATUS_OK)
        goto cleanup;
    for (int i = 0; i < cfg->n_warmup; i++) {
        st = complete_warmup(work, i, &cfg->warmup[i], &work->warmup[i], err);
        if (st != STATUS_OK)
            goto cleanup;
    }
    work->batching.max_batch_size = work->max_batch_size;
    /* Decided now, from config.json or the model: the completed config states it. */
    work->max_batch_size_set = true;
    work->batching.combine_requests = cfg->dynamic_batching;
    if (!cfg->dynamic_batching) {
        /* Without dynamic batching no request waits for others to join it. */
        work->batching.max_queue_delay_us = 0;
        work->batching.n_preferred = 0;
    }
    *cfg = *work;
cleanup:
    free(work);
    return st;
}
