/*
 * backend_cpu.c - the CPU engine (engine.h) behind backend.h: ONNX models
 * compiled into plans and run on inferd's kernels. The engine's own types
 * are the backend's model and context; this file only adapts signatures.
 */
#include "backend.h"

static status_t cpu_load(const char *path, const engine_model_options_t *options, void **model,
                         error_t *err)
{
    return engine_model_load_with(path, options, (engine_model_t **)model, err);
}

static void cpu_free_model(void *model)
{
    engine_model_free(model);
}

static int cpu_input_count(const void *model)
{
    return engine_model_input_count(model);
}

static int cpu_output_count(const void *model)
{
    return engine_model_output_count(model);
}

static const engine_io_t *cpu_input(const void *model, int index)
{
    return engine_model_input(model, index);
}

static const engine_io_t *cpu_output(const void *model, int index)
{
    return engine_model_output(model, index);
}

static status_t cpu_context_create(void *model, const backend_instance_t *instance, void **ctx,
                                   error_t *err)
{
    return engine_context_create(model, instance->threads, (engine_context_t **)ctx, err);
}

static void cpu_context_free(void *ctx)
{
    engine_context_free(ctx);
}

static void cpu_set_deadline(void *ctx, int64_t deadline_us)
{
    engine_context_set_deadline(ctx, deadline_us);
}

static status_t cpu_run(void *ctx, const tensor_t *inputs, int n_inputs, const tensor_t **outputs,
                        error_t *err)
{
    return engine_context_run(ctx, inputs, n_inputs, outputs, err);
}

static void cpu_stats(const void *model, backend_stats_t *out)
{
    const engine_model_stats_t *s = engine_model_stats(model);

    out->load_ms = s->load_ms;
    out->compile_ms = s->compile_ms;
    out->weight_bytes = s->weight_bytes;
    out->reference_layers = engine_model_reference_layers(model);
    out->fallback_layers = engine_model_fallback_layers(model);
    out->precision = s->precision;
}

/* Any batch size: plans are made per input shape. */
const backend_ops_t backend_cpu_ops = {
    .name = "onnx-cpu",
    .platform = "onnx",
    .file_suffix = ".onnx",
    .load = cpu_load,
    .free_model = cpu_free_model,
    .input_count = cpu_input_count,
    .output_count = cpu_output_count,
    .input = cpu_input,
    .output = cpu_output,
    .context_create = cpu_context_create,
    .context_free = cpu_context_free,
    .set_deadline = cpu_set_deadline,
    .run = cpu_run,
    .stats = cpu_stats,
};
