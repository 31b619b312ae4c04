/*
 * model_config.h - a model's configuration: DIR/<model>/config.json in the
 * repository (optional), completed from the model itself. The schema is
 * documented in config/model-config.md.
 */
#ifndef INFERD_MODEL_CONFIG_H
#define INFERD_MODEL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "batcher.h"
#include "backend.h"

#define MODEL_NAME_MAX 128
/* Longest label_filename (a file name in the model's folder), its terminator included. */
#define MODEL_LABEL_FILENAME_MAX  64
#define MODEL_CONFIG_MAX_IO       64
#define MODEL_CONFIG_MAX_VERSIONS 64
#define MODEL_CONFIG_MAX_WARMUP   8
/* Largest config.json read. */
#define MODEL_CONFIG_MAX_BYTES (1 << 20)

/*
 * A tensor as clients see it: dims exclude the batch dim when max_batch_size > 0.
 * Before model_config_complete, dtype is DTYPE_UNDEFINED and rank -1 where
 * config.json leaves them out.
 */
typedef struct model_tensor_config {
    char name[MODEL_NAME_MAX];
    dtype_t dtype;
    int rank;
    int64_t dims[TENSOR_MAX_RANK]; /* -1 where variable */
    /*
     * Outputs only: the labels file of the classification extension, a
     * file name in the model's folder (one label per line, line i naming
     * class i); "" for none.
     */
    char label_filename[MODEL_LABEL_FILENAME_MAX];
} model_tensor_config_t;

typedef enum version_policy_kind {
    VERSION_POLICY_LATEST = 0, /* the highest `latest_n` versions (default 1) */
    VERSION_POLICY_ALL,
    VERSION_POLICY_SPECIFIC,
} version_policy_kind_t;

typedef struct version_policy {
    version_policy_kind_t kind;
    int latest_n;
    int64_t versions[MODEL_CONFIG_MAX_VERSIONS]; /* VERSION_POLICY_SPECIFIC */
    int n_versions;
} version_policy_t;

/* One warmup run: zero-filled inputs of these dims at this batch size. */
typedef struct warmup_config {
    int batch_size;
    int iterations;
    /*
     * dims of inputs (excluding the batch dim): as loaded, the ones
     * config.json names; after model_config_complete, every model input in
     * the model's order, with dtype set and every dim fixed.
     */
    model_tensor_config_t inputs[MODEL_CONFIG_MAX_IO];
    int n_inputs;
} warmup_config_t;

/* What instance_group asks its workers to run on. */
typedef enum model_instance_kind {
    MODEL_INSTANCE_AUTO = 0, /* whatever the model's backend runs on (an NPU: device 0) */
    MODEL_INSTANCE_CPU,      /* KIND_CPU: kernel threads, no device */
    MODEL_INSTANCE_NPU,      /* KIND_NPU: numbered devices (batching.instance_devices) */
} model_instance_kind_t;

typedef struct model_config {
    char name[MODEL_NAME_MAX];
    /*
     * The model file's format ("onnx", "ascend_om") and the backend that
     * runs it ("onnx-cpu", "ascend"): "" until model_config_complete when
     * config.json leaves them out; given, they must match the file.
     */
    char platform[32];
    char backend[BACKEND_NAME_MAX];
    int max_batch_size; /* 0: no batch dim, no batching */
    /*
     * Whether config.json gives max_batch_size; when it does not, a model
     * that accepts only some batch sizes (gears) gets its largest.
     */
    bool max_batch_size_set;
    model_instance_kind_t instance_kind;
    model_tensor_config_t inputs[MODEL_CONFIG_MAX_IO];
    int n_inputs;
    model_tensor_config_t outputs[MODEL_CONFIG_MAX_IO];
    int n_outputs;
    bool dynamic_batching;     /* false: every request runs alone */
    batcher_config_t batching; /* queue, priorities, instances (filled even without batching) */
    version_policy_t version_policy;
    warmup_config_t warmup[MODEL_CONFIG_MAX_WARMUP];
    int n_warmup;
    /*
     * "precision": "fp32" (default) or "bf16", passed to the engine at load;
     * bf16 falls back to fp32 on a CPU without AVX512_BF16 (engine.h).
     */
    engine_precision_t precision;
} model_config_t;

/*
 * Reads config_path (a config.json; NULL or a missing file means all
 * defaults) for the model called name into *out. Fails with a message
 * naming the file and the offending field.
 */
status_t model_config_load(const char *config_path, const char *name, model_config_t *out,
                           error_t *err);

/*
 * The same from a configuration's text (len bytes, not NUL-terminated;
 * at most MODEL_CONFIG_MAX_BYTES): a load request's config override.
 * source names the text in messages, as the path does for a file.
 */
status_t model_config_parse(const char *text, size_t len, const char *source, const char *name,
                            model_config_t *out, error_t *err);

/*
 * Completes cfg from model: inputs/outputs the config leaves out come from
 * the model; the ones it lists must match the model's names and dtypes and
 * may only narrow dynamic dims. With max_batch_size > 0 the first dim of
 * every model input and output must be dynamic; it is the batch dim and is
 * dropped from the client-visible dims. Afterwards inputs[i] and
 * outputs[i] are the model's i-th input and output, cfg->batching is ready
 * for batcher_create, and each warmup lists every input with fixed dims.
 *
 * Platform and backend come from the model's backend (given ones must
 * match), and the instances must suit it: device backends take KIND_NPU
 * (KIND_AUTO means device 0), the CPU engine KIND_CPU. A model that
 * accepts only some batch sizes (backend_model_batch_sizes: an .om
 * model's gears) sets max_batch_size to the largest unless config.json
 * gives one (which may not exceed it), and with dynamic batching its
 * sizes are the preferred batch sizes unless config.json lists some
 * (which must be among them).
 * On failure cfg is unchanged.
 */
status_t model_config_complete(model_config_t *cfg, const backend_model_t *model, error_t *err);

/*
 * Whether the preferred batch sizes and the warmups' batch sizes suit
 * max_batch_size (at most it; exactly 1 when it is 0). If not, writes the
 * offending field ("dynamic_batching.preferred_batch_size[1]") and the
 * problem ("16 exceeds max_batch_size 8") and returns false.
 */
bool model_config_batch_sizes_fit(const model_config_t *cfg, char *field, size_t field_size,
                                  char *problem, size_t problem_size);

/*
 * Triton's names for a platform and a backend of inferd's, which Triton's
 * clients read: an ONNX model on the CPU engine is "onnxruntime_onnx" run
 * by "onnxruntime" to them, whatever runs it. A name Triton has none for
 * is its own. model_config_load reads either spelling.
 */
const char *model_config_triton_platform(const char *platform);
const char *model_config_triton_backend(const char *backend);

/* inferd's name for one of Triton's (the inverse of the above), or NULL when it is none. */
const char *model_config_platform_from_triton(const char *triton);
const char *model_config_backend_from_triton(const char *triton);

/* An instance group as a configuration answer lists it: count workers on device. */
typedef struct model_instance_group {
    int device; /* -1: the CPU (kernel threads, no device) */
    int count;
} model_instance_group_t;

/*
 * The instance groups of a completed configuration, as both configuration
 * answers (REST's JSON, gRPC's ModelConfig) list them, into out (room for
 * BATCHER_MAX_INSTANCES): CPU instances as one group; device instances as
 * one group per run of workers on the same device, which reads back as
 * the same workers in the same order. Returns the count.
 */
int model_config_instance_groups(const model_config_t *cfg, model_instance_group_t *out);

/*
 * The configuration as JSON (the /v2/models/<m>/config body), malloc'd and
 * NUL-terminated; the caller frees it. NULL when out of memory. Written as
 * config.json, model_config_load reads the same configuration back.
 */
char *model_config_to_json(const model_config_t *cfg);

#endif
