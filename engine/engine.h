/*
 * engine.h - inferd's engine: load an ONNX model, compile it once, run it
 * from many workers.
 *
 *   engine_model_load     import + compile: a model that is immutable after
 *                         loading and shared by every worker of that model
 *   engine_context_create one per worker: its arena and scratch
 *   engine_context_run    plans the model for the inputs' shapes (cached per
 *                         shape in the model), then executes
 *
 * Thread safety: a model may be used by any number of contexts at once; a
 * context by one thread at a time.
 */
#ifndef INFERD_ENGINE_H
#define INFERD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tensor.h"

typedef struct engine_model engine_model_t;
typedef struct engine_context engine_context_t;

/* A model input or output as declared: dims[i] is -1 where it is dynamic. */
typedef struct engine_io {
    const char *name;
    dtype_t dtype;
    int rank;
    int64_t dims[TENSOR_MAX_RANK];
} engine_io_t;

/*
 * The arithmetic a float32 model's convolutions and matrix products run in.
 * ENGINE_PRECISION_BF16 packs their constant weights to bfloat16 once and
 * multiplies bf16 inputs with float32 accumulation (oneDNN's AVX512_BF16
 * primitives); everything else stays float32. It needs a CPU with
 * AVX512_BF16 (and no ISA cap below AVX-512): elsewhere the model runs in
 * float32, with a warning, and its stats say so.
 */
typedef enum engine_precision {
    ENGINE_PRECISION_FP32 = 0,
    ENGINE_PRECISION_BF16,
} engine_precision_t;

/* "fp32" or "bf16". */
const char *engine_precision_name(engine_precision_t precision);

/* Parses "fp32" or "bf16"; false for anything else. */
bool engine_precision_parse(const char *text, engine_precision_t *out);

/*
 * True when this process can run ENGINE_PRECISION_BF16: the CPU has
 * AVX512_BF16 and neither INFERD_MAX_ISA nor oneDNN's own cap hides it.
 */
bool engine_bf16_supported(void);

/* How a model is compiled; zero-initialised means the defaults. */
typedef struct engine_model_options {
    engine_precision_t precision;
} engine_model_options_t;

/* Figures about a loaded model, for logs and benchmarks. */
typedef struct engine_model_stats {
    double load_ms;                         /* reading and parsing the file */
    double compile_ms;                      /* graph passes and weight packing */
    size_t weight_bytes;                    /* constant tensors the compiled model keeps */
    int node_count;                         /* nodes left after the graph passes */
    int opset;                              /* default-domain opset */
    engine_precision_t precision_requested; /* what the options asked for */
    engine_precision_t precision;           /* what runs: fp32 when bf16 was not honoured */
    int bf16_layers; /* convolutions and matrix products whose weights were packed in bf16 */
} engine_model_stats_t;

/*
 * Loads and compiles the ONNX model at path. External data files resolve
 * relative to the model's folder. On success the caller owns *out and frees
 * it with engine_model_free after every context of it is freed.
 */
status_t engine_model_load(const char *path, engine_model_t **out, error_t *err);

/*
 * engine_model_load with options (NULL: the defaults). A precision the CPU
 * cannot run falls back to fp32 with one warning (warning handler) and never
 * fails the load; the stats record what was asked and what runs.
 */
status_t engine_model_load_with(const char *path, const engine_model_options_t *options,
                                engine_model_t **out, error_t *err);

/* Frees a model; NULL is a no-op. */
void engine_model_free(engine_model_t *model);

int engine_model_input_count(const engine_model_t *model);
int engine_model_output_count(const engine_model_t *model);
/* Borrowed from the model, valid while it lives. */
const engine_io_t *engine_model_input(const engine_model_t *model, int index);
const engine_io_t *engine_model_output(const engine_model_t *model, int index);
const engine_model_stats_t *engine_model_stats(const engine_model_t *model);

/*
 * Layers that run on reference code (an unoptimised library loop) in the
 * plans built so far, counted once per plan. Each is also reported
 * through the warning handler when its plan is built.
 */
int engine_model_reference_layers(const engine_model_t *model);

/*
 * Layers on a fallback route: quantized layers no int8 kernel took, which
 * run in float (counted once, when the model compiles), and plan steps
 * whose kernel says it runs on a slower route than its own
 * (op_kernel_t.fallback, counted once per plan). Each is reported through
 * the warning handler too.
 */
int engine_model_fallback_layers(const engine_model_t *model);

/* Receives the engine's warnings, one line each, from any thread. */
typedef void (*engine_warn_fn)(const char *message);

/* Sets where warnings go; NULL restores the default, stderr. */
void engine_set_warning_handler(engine_warn_fn fn);

/* Formats one warning and hands it to the handler (for the engine and its backends). */
void engine_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Creates an execution context for one worker, running kernels on up to
 * threads threads. The model must outlive the context. The caller owns
 * *out and frees it with engine_context_free.
 */
status_t engine_context_create(engine_model_t *model, int threads, engine_context_t **out,
                               error_t *err);

/* Frees a context; NULL is a no-op. */
void engine_context_free(engine_context_t *ctx);

/*
 * Runs on ctx from now on fail with STATUS_DEADLINE_EXCEEDED when a
 * control-flow node (a Loop's iteration, a Scan's step, an If's branch)
 * would start after deadline_us (CLOCK_MONOTONIC, microseconds); 0: no
 * deadline. A model without control flow runs to its end: only a loop can
 * make one run's time depend on the data, and a request's time limit must
 * hold against a trip count it (or the model) chose.
 */
void engine_context_set_deadline(engine_context_t *ctx, int64_t deadline_us);

/*
 * Runs the model on inputs (n_inputs tensors in the model's input order,
 * owned by the caller and unchanged). On success *outputs points to
 * engine_model_output_count tensors owned by the context: their data stays
 * valid until the next run on ctx or until ctx is freed, and may point into
 * the model's constants or the caller's inputs.
 */
status_t engine_context_run(engine_context_t *ctx, const tensor_t *inputs, int n_inputs,
                            const tensor_t **outputs, error_t *err);

/*
 * Op types and implementations a context's profile tells apart; a pair
 * past these is not counted.
 */
#define ENGINE_PROFILE_MAX_OPS 64

/* Longest implementation name a profile keeps. */
#define ENGINE_IMPL_MAX 48

/*
 * Time spent in one op type on one implementation (oneDNN's name for its
 * primitive, or inferd's kernel and ISA) over the runs since profiling was
 * switched on.
 */
typedef struct engine_op_time {
    const char *op_type; /* borrowed from the model */
    char impl[ENGINE_IMPL_MAX];
    bool reference; /* impl is reference code */
    bool fallback;  /* impl is a fallback route (engine_model_fallback_layers) */
    double ms;
    int64_t calls;
} engine_op_time_t;

/* Switches per-op timing on or off and clears what was counted. */
void engine_context_profile(engine_context_t *ctx, bool on);

/*
 * Sets *times to the context's totals per op type and implementation (owned
 * by ctx) and returns their count.
 */
int engine_context_op_times(const engine_context_t *ctx, const engine_op_time_t **times);

/*
 * Sub-batches the last run on ctx was split into, one per thread (1 when it
 * was not split: one thread, a batch the plan may not split, or a failure).
 */
int engine_context_split_parts(const engine_context_t *ctx);

/* Bytes of the arenas the context holds (the largest plan it has run, and its parts'). */
size_t engine_context_arena_bytes(const engine_context_t *ctx);

#endif
