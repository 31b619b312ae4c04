/*
 * backend.c - the backend_model_t and backend_context_t handles: each pairs
 * a backend's own object with its function table, so that callers never
 * see which backend runs a model.
 */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

struct backend_model {
    const backend_ops_t *ops;
    void *impl;
};

struct backend_context {
    const backend_ops_t *ops;
    void *impl;
};

/* Every backend inferd has; backend_find looks them up by name. */
static const backend_ops_t *const BACKENDS[] = {&backend_cpu_ops, &backend_ascend_ops};
#define N_BACKENDS ((int)(sizeof BACKENDS / sizeof BACKENDS[0]))
_Static_assert(N_BACKENDS <= BACKEND_LIST_MAX, "BACKEND_LIST_MAX must hold every backend");

const backend_ops_t *backend_find(const char *name)
{
    for (int i = 0; i < N_BACKENDS; i++)
        if (strcmp(BACKENDS[i]->name, name) == 0)
            return BACKENDS[i];
    return NULL;
}

const backend_ops_t *const *backend_list(int *n)
{
    *n = N_BACKENDS;
    return BACKENDS;
}

const backend_ops_t *backend_for_path(const char *path)
{
    size_t n = strlen(path);

    for (int i = 0; i < N_BACKENDS; i++) {
        size_t k = strlen(BACKENDS[i]->file_suffix);
        if (n > k && strcmp(path + n - k, BACKENDS[i]->file_suffix) == 0)
            return BACKENDS[i];
    }
    return NULL;
}

void backend_configure(const backend_settings_t *settings)
{
    for (int i = 0; i < N_BACKENDS; i++)
        if (BACKENDS[i]->configure)
            BACKENDS[i]->configure(settings);
}

void backend_shutdown(void)
{
    for (int i = 0; i < N_BACKENDS; i++)
        if (BACKENDS[i]->shutdown)
            BACKENDS[i]->shutdown();
}

/* The backend a model file's name implies (its suffix). */
static const backend_ops_t *backend_for_file(const char *path, error_t *err)
{
    const backend_ops_t *ops = backend_for_path(path);

    if (!ops)
        error_set(err, STATUS_UNSUPPORTED, "%s: no backend runs this kind of file", path);
    return ops;
}

status_t backend_model_load(const backend_ops_t *ops, const char *path,
                            const engine_model_options_t *options, backend_model_t **out,
                            error_t *err)
{
    backend_model_t *m;
    status_t st;

    *out = NULL;
    if (!ops && !(ops = backend_for_file(path, err)))
        return err->code;
    if (!(m = calloc(1, sizeof *m)))
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    m->ops = ops;
    st = ops->load(path, options, &m->impl, err);
    if (st) {
        free(m);
        return st;
    }
    *out = m;
    return STATUS_OK;
}

void backend_model_free(backend_model_t *model)
{
    if (!model)
        return;
    if (model->impl)
        model->ops->free_model(model->impl);
    free(model);
}

const backend_ops_t *backend_model_ops(const backend_model_t *model)
{
    return model->ops;
}

int backend_model_input_count(const backend_model_t *model)
{
    return model->ops->input_count(model->impl);
}

int backend_model_output_count(const backend_model_t *model)
{
    return model->ops->output_count(model->impl);
}

const engine_io_t *backend_model_input(const backend_model_t *model, int index)
{
    return model->ops->input(model->impl, index);
}

const engine_io_t *backend_model_output(const backend_model_t *model, int index)
{
    return model->ops->output(model->impl, index);
}

int backend_model_batch_sizes(const backend_model_t *model, const int64_t **sizes)
{
    *sizes = NULL;
    return model->ops->batch_sizes ? model->ops->batch_sizes(model->impl, sizes) : 0;
}

void backend_model_stats(const backend_model_t *model, backend_stats_t *out)
{
    memset(out, 0, sizeof *out);
    model->ops->stats(model->impl, out);
    out->backend = model->ops->name;
}

int backend_model_device_stats(const backend_model_t *model, backend_device_stats_t *out, int max)
{
    return model->ops->device_stats ? model->ops->device_stats(model->impl, out, max) : 0;
}

status_t backend_context_create(backend_model_t *model, const backend_instance_t *instance,
                                backend_context_t **out, error_t *err)
{
    backend_context_t *ctx = calloc(1, sizeof *ctx);
    status_t st;

    *out = NULL;
    if (!ctx)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    ctx->ops = model->ops;
    st = model->ops->context_create(model->impl, instance, &ctx->impl, err);
    if (st) {
        free(ctx);
        return st;
    }
    *out = ctx;
    return STATUS_OK;
}

void backend_context_free(backend_context_t *ctx)
{
    if (!ctx)
        return;
    if (ctx->impl)
        ctx->ops->context_free(ctx->impl);
    free(ctx);
}

void backend_context_set_deadline(backend_context_t *ctx, int64_t deadline_us)
{
    if (ctx->ops->set_deadline)
        ctx->ops->set_deadline(ctx->impl, deadline_us);
}

status_t backend_context_run(backend_context_t *ctx, const tensor_t *inputs, int n_inputs,
                             const tensor_t **outputs, error_t *err)
{
    return ctx->ops->run(ctx->impl, inputs, n_inputs, outputs, err);
}
