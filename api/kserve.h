/*
 * kserve.h - the KServe v2 (Open Inference Protocol) REST codec: infer
 * requests in, infer responses out, and the JSON bodies of the metadata,
 * repository-index and statistics endpoints. Nothing here does I/O: the
 * HTTP front end hands bodies in and sends out what these functions return.
 *
 * The binary tensor data extension is supported both ways: the JSON header
 * is followed by raw little-endian, row-major tensors (this host's byte
 * order; inferd only targets little-endian machines).
 */
#ifndef INFERD_KSERVE_H
#define INFERD_KSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "batcher.h"
#include "model_config.h"
#include "model_labels.h"
#include "request.h"

/*
 * Deepest nesting of an input's "data" arrays: nested data has one level
 * per dim, so a deeper one cannot be row-major tensor data.
 */
#define KSERVE_MAX_DATA_DEPTH TENSOR_MAX_RANK

/* Most classes one output's classification may ask for (Triton counts them in 32 bits). */
#define KSERVE_MAX_CLASS_COUNT UINT32_MAX
/*
 * Largest classification one output may send back: a count near the
 * number of classes over a large batch, with long labels, would otherwise
 * multiply the output's size by hundreds.
 */
#define KSERVE_MAX_CLASS_BYTES ((size_t)256 << 20)

/* Longest name of a system shared memory region (Triton's shared memory extension). */
#define KSERVE_SHM_NAME_MAX 128
/* Longest key of the POSIX shared memory object behind a region ("/name": NAME_MAX). */
#define KSERVE_SHM_KEY_MAX 255

/*
 * A tensor that travels through a registered system shared memory region
 * instead of the request or response body: the tensor's parameters
 * shared_memory_region, shared_memory_offset (optional, 0) and
 * shared_memory_byte_size.
 */
typedef struct kserve_shm_ref {
    const char *region; /* the region's name, in the request's arena; NULL: not in shared memory */
    uint64_t offset;    /* bytes from the region's start */
    uint64_t byte_size; /* an input's exact size; the room an output may fill */
} kserve_shm_ref_t;

/*
 * What a request asks of the front end besides running: how its outputs
 * go back, and which of its tensors travel through shared memory.
 */
typedef struct kserve_output_prefs {
    uint64_t binary_mask; /* bit k: model output k goes back as binary data (REST) */
    /*
     * class_count[k] > 0: output k goes back as its class_count[k] highest
     * classes per batch row (Triton's classification extension), a BYTES
     * tensor of "value:index[:label]" strings, instead of the tensor.
     */
    uint32_t class_count[REQUEST_MAX_TENSORS];
    /* The served version's labels, borrowed: set by the front end after parsing; NULL: none. */
    const model_labels_t *labels;
    /*
     * By model input: the inputs whose data is in shared memory. The
     * parser checked each one's byte_size against its shape and dtype but
     * left its data NULL: the front end reads it (server/shm_request.h)
     * before the request is submitted.
     */
    kserve_shm_ref_t shm_inputs[REQUEST_MAX_TENSORS];
    /*
     * By model output: the outputs the front end writes into shared memory
     * once the request has run. They go back with parameters naming the
     * region, offset and the bytes written, and without data.
     */
    kserve_shm_ref_t shm_outputs[REQUEST_MAX_TENSORS];
} kserve_output_prefs_t;

/*
 * Parses an infer request body for the model described by cfg.
 *
 * body[0, header_len) is the JSON header (header_len is the value of
 * Inference-Header-Content-Length, or size when the request has none);
 * body[header_len, size) is the binary data of the inputs that carry
 * "binary_data_size", concatenated in the order they appear in "inputs",
 * and must be consumed exactly. body need not be NUL-terminated, and may
 * be NULL when size is 0.
 *
 * req comes from request_create and is still empty. On success it holds
 * every model input in cfg->inputs order with the shape the client sent
 * (batch dim first when cfg->max_batch_size > 0), plus id, output_mask,
 * priority and timeout_us; everything lives in req->arena. *prefs says
 * which outputs go back binary or classified (labels left NULL: the
 * caller sets it), and which tensors travel through shared memory: an
 * input named there has its shape and dtype in req but no data yet. A
 * parameter of the request, an input or an output that inferd does not
 * serve is refused, and so is a key of the body that KServe does not
 * define. Any input holding more than
 * max_tensor_elements elements (<= 0: only TENSOR_MAX_ELEMENTS applies) is
 * refused with STATUS_LIMIT_EXCEEDED; every other bad request with
 * STATUS_INVALID_ARGUMENT and a message naming the field. On failure req
 * may be half filled: the caller still owns it and frees it (request_free).
 */
status_t kserve_parse_infer_request(const char *body, size_t size, size_t header_len,
                                    const model_config_t *cfg, int64_t max_tensor_elements,
                                    request_t *req, kserve_output_prefs_t *prefs, error_t *err);

/*
 * Writes the response to a request that ran successfully: the outputs in
 * req->output_mask, in the model's order, as JSON or (per prefs) as binary
 * data appended after the JSON in the same order, each classified when
 * prefs asks (a BYTES tensor: JSON strings, or in binary each string's
 * 4-byte little-endian length and its bytes). An output prefs puts in
 * shared memory (which the front end has written there) goes without data:
 * its parameters name the region and offset, and shared_memory_byte_size
 * is the bytes written. model_version may be NULL. FP32 and FP64 values
 * round-trip exactly; NaN and infinities are written as NaN, Infinity and
 * -Infinity, as Python's json module reads them.
 *
 * On success *body (malloc'd, owned by the caller) holds *size bytes and
 * *header_len is the JSON length when any output is binary (the value of
 * Inference-Header-Content-Length), else 0. req is not changed.
 */
status_t kserve_write_infer_response(const request_t *req, const model_config_t *cfg,
                                     const char *model_name, const char *model_version,
                                     const kserve_output_prefs_t *prefs, char **body, size_t *size,
                                     size_t *header_len, error_t *err);

/*
 * The builders below return a malloc'd, NUL-terminated JSON text that the
 * caller frees, or NULL when out of memory. They borrow their arguments.
 * Bytes of a string that are not valid UTF-8 are written as '?'.
 */

/* {"error": message} */
char *kserve_error_json(const char *message);

/* {"name", "version", "extensions": [...]}; extensions is NULL-terminated. */
char *kserve_server_metadata_json(const char *name, const char *version,
                                  const char *const extensions[]);

/*
 * {"name", "versions": ["1", ...], "platform", "inputs": [{"name",
 * "datatype", "shape"}], "outputs": [...]}: shapes start with -1 for the
 * batch dim when cfg->max_batch_size > 0, and variable dims are -1.
 */
char *kserve_model_metadata_json(const model_config_t *cfg, const int64_t *versions,
                                 int n_versions);

/*
 * The model readiness body: {"name", "version"?, "ready"} plus "error"
 * (why it is not ready) when error is not NULL. version may be NULL.
 */
char *kserve_model_ready_json(const char *name, const char *version, bool ready, const char *error);

typedef enum kserve_model_state {
    KSERVE_MODEL_READY = 0,
    KSERVE_MODEL_UNAVAILABLE,
    KSERVE_MODEL_LOADING,
    KSERVE_MODEL_UNLOADING,
} kserve_model_state_t;

/* One row of the repository index. */
typedef struct kserve_index_entry {
    const char *name;
    const char *version; /* NULL: left out */
    kserve_model_state_t state;
    const char *reason; /* NULL or "": left out */
} kserve_index_entry_t;

/* "READY", "UNAVAILABLE", "LOADING" or "UNLOADING". */
const char *kserve_model_state_name(kserve_model_state_t state);

/*
 * One parameter of a repository load (load true) or unload request, by
 * key, whatever the protocol: STATUS_OK for the ones served, "config" (a
 * configuration that replaces config.json for the load) and
 * "unload_dependents" (inferd has no ensembles, so a model has no
 * dependents to unload). Anything else is refused with a message, never
 * ignored: "file:<version>/<name>" (model files sent with the request)
 * and unknown keys.
 */
status_t kserve_repository_parameter(bool load, const char *key, error_t *err);

/* [{"name", "version", "state", "reason"}, ...] (Triton's repository extension) */
char *kserve_repository_index_json(const kserve_index_entry_t *entries, int n);

/* The numbers behind one model version's statistics. */
typedef struct kserve_model_stats {
    const char *name;
    const char *version; /* NULL: "" */
    batcher_stats_t stats;
    int64_t last_inference_ms; /* milliseconds since the epoch; 0 = never */
    int max_batch_size;        /* bounds the histogram's open-ended last bucket */
} kserve_model_stats_t;

/*
 * {"model_stats": [...]} in the shape of Triton's statistics extension.
 * The batcher measures less than Triton, so some figures are mapped:
 * success/queue/compute_* counts are the successful requests; queue.ns is
 * the summed queue time and compute_infer.ns the summed batch compute time
 * (counted once per batch, not per request); success.ns is their sum;
 * fail.count sums every failure kind and fail.ns, compute_input.ns and
 * compute_output.ns are 0 (not measured). batch_stats has one entry per
 * non-empty histogram bucket, batch_size being the bucket's largest size
 * (max_batch_size for the last bucket), with counts only.
 */
char *kserve_model_stats_json(const kserve_model_stats_t *models, int n);

/* One entry of Triton's batch_stats: executions of one histogram bucket. */
typedef struct kserve_batch_figure {
    uint64_t batch_size; /* the bucket's largest size */
    uint64_t count;
} kserve_batch_figure_t;

/*
 * The figures of Triton's statistics for one model version, mapped from
 * the batcher's counters as kserve_model_stats_json describes (both
 * protocols report these). Durations in nanoseconds, saturating.
 */
typedef struct kserve_stats_figures {
    uint64_t success_count;
    uint64_t success_ns;
    uint64_t fail_count;
    uint64_t queue_ns;
    uint64_t compute_infer_ns;
    kserve_batch_figure_t batches[BATCHER_HISTOGRAM_BUCKETS]; /* non-empty buckets only */
    int n_batches;
} kserve_stats_figures_t;

void kserve_stats_figures(const kserve_model_stats_t *m, kserve_stats_figures_t *out);

/* The dtype of a KServe datatype name ("FP32", "INT64" ...); DTYPE_UNDEFINED if none. */
dtype_t kserve_dtype_from_name(const char *name);

#endif
