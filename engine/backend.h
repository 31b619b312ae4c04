/*
 * backend.h - the one interface the batcher and the front ends use to run
 * a model, whatever executes it. A backend is a table of functions
 * (backend_ops_t); inferd's CPU engine for ONNX models is the first
 * (backend_cpu.c), and a backend for another runtime or device adds a table
 * and a line in backend.c, never a change to the batcher or the front ends.
 * engine/backends.md describes both backends and how the AscendCL one maps
 * this interface onto the runtime.
 *
 * What a backend provides, and who owns what:
 *
 *   load            reads a model file into an immutable model that every
 *                   worker of it shares, with the model's options (its
 *                   precision; a backend refuses what it cannot honour
 *                   rather than ignore it); the caller owns it (free_model)
 *   inputs/outputs  names, dtypes and declared dims (-1 where dynamic),
 *                   borrowed from the model while it lives
 *   batch_sizes     the batch sizes the model accepts, when it accepts only
 *                   some (a compiled model's gears), else none: any size;
 *                   run still takes any batch up to the largest, padding it
 *                   itself
 *   context_create  one per worker, bound to the instance's device and
 *                   threads; owned by the caller (context_free), used by one
 *                   thread at a time, freed before its model
 *   run             inputs in host memory, in the model's input order,
 *                   owned by the caller and unchanged; outputs in host
 *                   memory owned by the context, valid until its next run
 *   stats           figures for logs, metrics and benchmarks
 *   device_stats    (device backends) executions, time and padding per device
 *
 * A backend also names its model format (platform, the file suffix a
 * repository looks for) and says whether its instances run on numbered
 * devices; configure and shutdown bracket the process's use of it.
 *
 * Models are loaded and freed by the repository's threads, contexts are
 * created and freed there too (when the batcher starts and stops its
 * workers, and for warmup), and a context runs on its worker's thread
 * only, so a backend whose runtime binds state to threads (a device
 * context per thread) binds it in context_create, run and context_free.
 */
#ifndef INFERD_BACKEND_H
#define INFERD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Longest backend name, its terminator included. */
#define BACKEND_NAME_MAX 32

/* Batch sizes one model may declare it accepts (a device model's gears). */
#define BACKEND_MAX_BATCH_SIZES 64

/* Most backends inferd has (backend_list): room for per-backend arrays. */
#define BACKEND_LIST_MAX 8

/* Devices a device backend may run one model on: ids 0 .. BACKEND_MAX_DEVICES - 1. */
#define BACKEND_MAX_DEVICES 64

/* Where and how one worker runs: what context_create binds to. */
typedef struct backend_instance {
    int threads; /* kernel threads (the CPU engine); at least 1 */
    int device;  /* device index for device backends; -1: none (the CPU) */
} backend_instance_t;

/* Figures about a loaded model, whatever runs it. */
typedef struct backend_stats {
    const char *backend;          /* the backend's name: "onnx-cpu", ... */
    double load_ms;               /* reading the file */
    double compile_ms;            /* compiling or loading it into the runtime */
    size_t weight_bytes;          /* constants the loaded model keeps in host memory */
    int reference_layers;         /* layers running on unoptimised reference code (see engine.h) */
    int fallback_layers;          /* layers on a slower fallback route (see engine.h) */
    engine_precision_t precision; /* what runs (fp32 where bf16 was asked but not honoured) */
} backend_stats_t;

/* What one device did for one model, since the model loaded (device backends). */
typedef struct backend_device_stats {
    int device;
    uint64_t executions;  /* runs that succeeded */
    uint64_t compute_us;  /* their time: copies in, execution, copies out */
    uint64_t padded_rows; /* rows added to those runs to reach a batch size the model accepts */
    uint64_t failures;    /* runs the device failed */
} backend_device_stats_t;

/* Process-wide settings of the backends; set before the first model loads. */
typedef struct backend_settings {
    const char *ascend_library; /* libascendcl.so to open (--ascend-library); NULL: search */
} backend_settings_t;

typedef struct backend_ops {
    const char *name;
    const char *platform;    /* what model metadata and config call the format: "onnx" */
    const char *file_suffix; /* a repository's version folder holds "model" + this */
    bool on_devices;         /* instances run on numbered devices (backend_instance_t.device) */
    status_t (*load)(const char *path, const engine_model_options_t *options, void **model,
                     error_t *err);
    void (*free_model)(void *model);
    int (*input_count)(const void *model);
    int (*output_count)(const void *model);
    const engine_io_t *(*input)(const void *model, int index);
    const engine_io_t *(*output)(const void *model, int index);
    /* Sets *sizes (borrowed, ascending) and returns their count; 0: any batch size. */
    int (*batch_sizes)(const void *model, const int64_t **sizes);
    status_t (*context_create)(void *model, const backend_instance_t *instance, void **ctx,
                               error_t *err);
    void (*context_free)(void *ctx);
    /* Optional: see engine_context_set_deadline. */
    void (*set_deadline)(void *ctx, int64_t deadline_us);
    status_t (*run)(void *ctx, const tensor_t *inputs, int n_inputs, const tensor_t **outputs,
                    error_t *err);
    void (*stats)(const void *model, backend_stats_t *out);
    /* Optional (device backends): fills out[0..max) and returns the count, devices ascending. */
    int (*device_stats)(const void *model, backend_device_stats_t *out, int max);
    /* Optional: settings before the first load, and release of process-wide state at exit. */
    void (*configure)(const backend_settings_t *settings);
    void (*shutdown)(void);
} backend_ops_t;

/* A loaded model and the backend that runs it. */
typedef struct backend_model backend_model_t;

/* One worker's execution context on a backend_model_t. */
typedef struct backend_context backend_context_t;

/*
 * The backends inferd has: the CPU engine for ONNX models, and ATC-compiled
 * .om models on Ascend NPUs through AscendCL (backend_ascend.c).
 */
extern const backend_ops_t backend_cpu_ops;
extern const backend_ops_t backend_ascend_ops;

/*
 * The backend named name ("onnx-cpu", "ascend"), or NULL: what a model's
 * config asks for.
 */
const backend_ops_t *backend_find(const char *name);

/* Every backend, in a fixed order; sets *n. */
const backend_ops_t *const *backend_list(int *n);

/* The backend whose file_suffix ends path, or NULL. */
const backend_ops_t *backend_for_path(const char *path);

/* Hands settings to every backend; call once, before any model loads. */
void backend_configure(const backend_settings_t *settings);

/*
 * Releases what backends hold for the whole process (a device runtime's
 * finalize). Call once, after every model is freed, before exit.
 */
void backend_shutdown(void);

/*
 * Loads the model file at path with ops (backend_find, or NULL for the
 * backend its file name implies: ".onnx" runs on the CPU engine) and
 * options (NULL: the defaults). On success the caller owns *out
 * (backend_model_free, after every context).
 */
status_t backend_model_load(const backend_ops_t *ops, const char *path,
                            const engine_model_options_t *options, backend_model_t **out,
                            error_t *err);

/* Frees a model; NULL is a no-op. */
void backend_model_free(backend_model_t *model);

/* The backend running model. */
const backend_ops_t *backend_model_ops(const backend_model_t *model);

int backend_model_input_count(const backend_model_t *model);
int backend_model_output_count(const backend_model_t *model);
/* Borrowed from the model, valid while it lives. */
const engine_io_t *backend_model_input(const backend_model_t *model, int index);
const engine_io_t *backend_model_output(const backend_model_t *model, int index);
/* See backend_ops_t.batch_sizes. */
int backend_model_batch_sizes(const backend_model_t *model, const int64_t **sizes);
void backend_model_stats(const backend_model_t *model, backend_stats_t *out);
/* See backend_ops_t.device_stats; 0 for a backend without devices. */
int backend_model_device_stats(const backend_model_t *model, backend_device_stats_t *out, int max);

/*
 * Creates a worker's context on instance. The model must outlive it; the
 * caller owns *out (backend_context_free).
 */
status_t backend_context_create(backend_model_t *model, const backend_instance_t *instance,
                                backend_context_t **out, error_t *err);

/* Frees a context; NULL is a no-op. */
void backend_context_free(backend_context_t *ctx);

/* See engine_context_set_deadline; a no-op on a backend without control flow. */
void backend_context_set_deadline(backend_context_t *ctx, int64_t deadline_us);

/* Runs the model: see backend_ops_t.run for who owns what. */
status_t backend_context_run(backend_context_t *ctx, const tensor_t *inputs, int n_inputs,
                             const tensor_t **outputs, error_t *err);

#endif
