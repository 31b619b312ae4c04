/*
 * kserve_grpc.h - the KServe v2 gRPC codec (inference.proto, protobuf-c):
 * ModelInferRequest in, ModelInferResponse and the metadata, config,
 * statistics and repository-index responses out. Nothing here does I/O or
 * knows gRPC: the gRPC front end unpacks and packs the messages.
 *
 * Memory: messages are unpacked into, and built in, an arena (usually the
 * request's), so one arena_release frees a message with everything it
 * points to, and tensor data can be shared between message and request
 * instead of copied.
 */
#ifndef INFERD_KSERVE_GRPC_H
#define INFERD_KSERVE_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "inference.pb-c.h"
#include "kserve.h"

/*
 * A protobuf-c allocator drawing from arena (free is a no-op: the arena is
 * released as a whole). arena must outlive everything allocated with it.
 */
void kserve_grpc_allocator(arena_t *arena, ProtobufCAllocator *out);

/* A zeroed array of n pointers (or structs) in arena; NULL when out of memory. */
#define KSERVE_GRPC_ARRAY(arena, n, elem) arena_alloc((arena), (size_t)(n) * sizeof(elem))

/*
 * message = an initialised protobuf-c message of type in arena; out of
 * memory returns NULL from the function using it (a message builder).
 */
#define KSERVE_GRPC_NEW_MESSAGE(arena, type, init, message)                                        \
    do {                                                                                           \
        (message) = arena_alloc((arena), sizeof(type));                                            \
        if (!(message))                                                                            \
            return NULL;                                                                           \
        init(message);                                                                             \
    } while (0)

/*
 * A copy of s in arena with bytes that are not valid UTF-8 replaced by '?':
 * proto3 strings must be UTF-8, and messages can quote client bytes. NULL
 * when out of memory.
 */
char *kserve_grpc_text(arena_t *arena, const char *s);

/*
 * Fills req (from request_create, still empty) from msg for the model
 * described by cfg, with the same checks and messages as
 * kserve_parse_infer_request: every model input in cfg->inputs order with
 * the client's shape, output_mask, id, priority and timeout_us.
 *
 * Data comes from raw_input_contents (one entry per input, in the order of
 * msg->inputs) or from each input's typed contents, never both. Input data
 * and the id point into msg where the bytes can be used as they are (raw
 * BOOL bytes are made 0 or 1 in place), so msg must have been unpacked
 * into req->arena (kserve_grpc_allocator) or otherwise outlive req. Request
 * parameters "priority" and "timeout" (microseconds) are read as int64 or
 * uint64, sequence parameters are accepted only when they ask for no
 * sequence, and any other is refused. Output parameter "classification"
 * (Triton's classification extension) goes to *prefs (labels left NULL:
 * the caller sets it), and so do the shared memory parameters of inputs
 * and outputs (an input in shared memory has no data in req yet; its raw
 * entry, if any, must be empty); any other input or output parameter is
 * refused. An input over max_tensor_elements elements
 * (<= 0: only TENSOR_MAX_ELEMENTS applies) fails with LIMIT_EXCEEDED, any
 * other bad request with INVALID_ARGUMENT (UNSUPPORTED for a datatype
 * inferd cannot carry). On failure req may be half filled; the caller
 * still owns it.
 */
status_t kserve_grpc_parse_infer_request(Inference__ModelInferRequest *msg,
                                         const model_config_t *cfg, int64_t max_tensor_elements,
                                         request_t *req, kserve_output_prefs_t *prefs,
                                         error_t *err);

/*
 * Builds the response to a request that ran successfully: the outputs in
 * req->output_mask, in the model's order, each with its bytes in
 * raw_output_contents (as Triton answers, whatever form the inputs came
 * in), classified as prefs asks (NULL: none; BYTES elements each a 4-byte
 * little-endian length and its bytes). An output prefs puts in shared
 * memory (written there by the front end) has an empty raw entry and
 * parameters naming the region, offset and bytes written, as
 * kserve_write_infer_response. model_version may be NULL.
 * Everything is allocated in arena and the raw contents point at req's
 * output data, so req and arena must outlive *out. req is not changed.
 */
status_t kserve_grpc_infer_response(const request_t *req, const model_config_t *cfg,
                                    const kserve_output_prefs_t *prefs, const char *model_name,
                                    const char *model_version, arena_t *arena,
                                    Inference__ModelInferResponse **out, error_t *err);

/*
 * The builders below allocate the message and everything it points to in
 * arena and borrow their arguments only while they run; NULL when out of
 * memory.
 */

/* extensions is NULL-terminated. */
Inference__ServerMetadataResponse *kserve_grpc_server_metadata(const char *name,
                                                               const char *version,
                                                               const char *const extensions[],
                                                               arena_t *arena);

/* As kserve_model_metadata_json: a leading -1 for the batch dim when batching. */
Inference__ModelMetadataResponse *kserve_grpc_model_metadata(const model_config_t *cfg,
                                                             const int64_t *versions,
                                                             int n_versions, arena_t *arena);

/*
 * cfg as Triton's ModelConfig: name, platform, backend, max_batch_size,
 * input, output, dynamic_batching (when enabled), instance_group,
 * version_policy, model_warmup, and threads_per_instance under parameters.
 */
Inference__ModelConfigResponse *kserve_grpc_model_config(const model_config_t *cfg, arena_t *arena);

/* The figures of kserve_stats_figures, one ModelStatistics per entry. */
Inference__ModelStatisticsResponse *kserve_grpc_model_stats(const kserve_model_stats_t *models,
                                                            int n, arena_t *arena);

Inference__RepositoryIndexResponse *
kserve_grpc_repository_index(const kserve_index_entry_t *entries, int n, arena_t *arena);

#endif
