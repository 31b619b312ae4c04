/*
 * kserve_input.h - the checks an infer request's inputs, outputs and
 * parameters, and a response's outputs, get whatever the wire format (REST JSON in
 * kserve_request.c, gRPC protobuf in kserve_grpc.c), so both codecs refuse the same requests with
 * the same messages. Not part of the API the front ends use.
 */
#ifndef INFERD_KSERVE_INPUT_H
#define INFERD_KSERVE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "kserve.h"
#include "model_config.h"
#include "request.h"

/* Index of the tensor called name in tensors[0, n), or -1. */
int kserve_find_tensor(const model_tensor_config_t *tensors, int n, const char *name);

/* Bits 0 .. n_outputs-1: every output of the model. */
uint64_t kserve_all_outputs_mask(int n_outputs);

/*
 * The element limit an input may hold: max_tensor_elements when positive
 * and below TENSOR_MAX_ELEMENTS, else TENSOR_MAX_ELEMENTS.
 */
int64_t kserve_element_limit(int64_t max_tensor_elements);

/*
 * Checks the client's datatype name of input `name` against the model's
 * declaration tc and stores the dtype in *out: unknown names, mismatches
 * (INVALID_ARGUMENT) and dtypes without a fixed size (UNSUPPORTED) fail.
 */
status_t kserve_input_dtype(const char *name, const char *datatype, const model_tensor_config_t *tc,
                            dtype_t *out, error_t *err);

/*
 * The rank input `name` must have (tc's plus the batch dim when
 * max_batch_size > 0) into *rank: UNSUPPORTED when that is over
 * TENSOR_MAX_RANK, INVALID_ARGUMENT when the client sent n_dims dims.
 */
status_t kserve_input_rank(const char *name, const model_tensor_config_t *tc, int max_batch_size,
                           size_t n_dims, int *rank, error_t *err);

/*
 * Checks t->dims (t->rank from kserve_input_rank) against tc: every dim
 * non-negative, the batch dim within 1..max_batch_size, fixed dims equal.
 */
status_t kserve_input_dims(const char *name, const model_tensor_config_t *tc, int max_batch_size,
                           const tensor_t *t, error_t *err);

/*
 * Elements of t's shape into *numel: LIMIT_EXCEEDED when the product of its
 * non-zero dims passes limit (capped at TENSOR_MAX_ELEMENTS), even for an
 * empty tensor; checked dim by dim so hostile dims cannot overflow it.
 */
status_t kserve_input_elements(const tensor_t *t, const char *name, int64_t limit, int64_t *numel,
                               error_t *err);

/*
 * With a batch dim, input k must have the batch size of input first (the
 * first one parsed; first < 0: k is the first).
 */
/*
 * Sets *k to the index of input name in cfg and marks it in seen (one flag
 * per configured input); fails, naming it, when the model has no such input
 * or the request gave it already.
 */
status_t kserve_input_claim(const model_config_t *cfg, const char *name, bool *seen, int *k,
                            error_t *err);

/* Fails, naming the first one, unless the request gave every configured input. */
status_t kserve_input_all_given(const model_config_t *cfg, const bool *seen, error_t *err);

status_t kserve_input_same_batch(const model_config_t *cfg, const request_t *req, int k, int first,
                                 error_t *err);

/* Makes each of n BOOL bytes exactly 0 or 1: any byte may arrive, and kernels read 0 or 1. */
void kserve_input_bool_bytes(void *data, size_t n);

/*
 * Copies size raw little-endian bytes (exactly tensor_bytes of t) into
 * t->data in arena, BOOL bytes made 0 or 1 (kserve_input_bool_bytes).
 */
status_t kserve_input_copy_raw(const char *name, tensor_t *t, const void *src, size_t size,
                               arena_t *arena, error_t *err);

/*
 * Checks that requested output k of a request that ran was produced with a
 * valid shape, a dtype the protocol can carry, and data; its element count
 * into *numel.
 */
status_t kserve_output_check(const request_t *req, const model_config_t *cfg, int k, int64_t *numel,
                             error_t *err);

/*
 * One parameter (key) of an input or requested output: STATUS_OK when key
 * is in served (NULL-terminated), the parameters the caller's codec reads.
 * Anything else is refused as unknown, never ignored, with the served list
 * in the message. kind is "input" or "output", tensor its name.
 */
status_t kserve_tensor_parameter(const char *kind, const char *tensor, const char *key,
                                 const char *const served[], error_t *err);

/*
 * A request-level parameter (key) that the caller's codec does not read
 * itself; served (NULL-terminated) lists the ones it reads, for the
 * message. Triton's sequence parameters are accepted when they ask for no
 * sequence (neutral: sequence_id 0 or "", sequence_start or sequence_end
 * false), as a client may always send them; a sequence itself is refused
 * (inferd has no sequence batcher), and so is any other key.
 */
status_t kserve_request_parameter(const char *key, bool neutral, const char *const served[],
                                  error_t *err);

/* The parameters of Triton's shared memory extension, on inputs and outputs alike. */
#define KSERVE_SHM_PARAM_REGION    "shared_memory_region"
#define KSERVE_SHM_PARAM_OFFSET    "shared_memory_offset"
#define KSERVE_SHM_PARAM_BYTE_SIZE "shared_memory_byte_size"

/* What one tensor's parameters said about shared memory, as its codec read them. */
typedef struct kserve_shm_params {
    const char *region; /* NULL: not given */
    size_t region_len;  /* bytes of region (a NUL inside makes it differ from strlen) */
    bool has_offset;
    uint64_t offset;
    bool has_byte_size;
    uint64_t byte_size;
} kserve_shm_params_t;

/*
 * Checks the shared memory parameters of tensor `tensor` (kind "input" or
 * "output") and fills *ref, the region name copied into arena: none given
 * leaves ref->region NULL. shared_memory_region and shared_memory_byte_size
 * come together and shared_memory_offset only with them; the name must be
 * one a region can have (kserve_shm_check_name). Whether the region exists
 * and holds the window is the registry's to say, when the request uses it.
 */
status_t kserve_shm_ref(const char *kind, const char *tensor, const kserve_shm_params_t *p,
                        arena_t *arena, kserve_shm_ref_t *ref, error_t *err);

/*
 * Input t (shape and dtype set, numel elements) in shared memory: its
 * shared_memory_byte_size must be exactly the tensor's size.
 */
status_t kserve_shm_input_size(const char *name, const tensor_t *t, int64_t numel,
                               const kserve_shm_ref_t *ref, error_t *err);

/*
 * Requested output k in shared memory cannot also be classified or sent
 * as binary data (binary: the client asked for binary_data true), as in
 * Triton: what goes into the region is the tensor itself.
 */
status_t kserve_shm_output_alone(const model_config_t *cfg, int k,
                                 const kserve_output_prefs_t *prefs, bool binary, error_t *err);

/*
 * The classification parameter of requested output k, already read as an
 * integer: 0 asks for the tensor itself, 1..KSERVE_MAX_CLASS_COUNT for that
 * many classes (prefs->class_count[k]); negative and larger counts, and
 * outputs that are not numeric (BOOL), are refused.
 */
status_t kserve_class_count(const model_config_t *cfg, int k, int64_t count,
                            kserve_output_prefs_t *prefs, error_t *err);

/* One output as it goes on the wire: the model's tensor, or its classification. */
typedef struct kserve_wire_output {
    dtype_t dtype; /* DTYPE_STRING for a classification (KServe's BYTES) */
    int rank;
    int64_t dims[TENSOR_MAX_RANK];
    int64_t numel;
    const void *data; /* numel elements; BYTES: each a 4-byte LE length and its bytes */
    size_t bytes;     /* of data */
} kserve_wire_output_t;

/*
 * Output k of a request that ran (checked by kserve_output_check) as it is
 * sent: the tensor as it is, or, when prefs->class_count[k] > 0, its
 * classification built in arena: per batch row (the whole tensor when the
 * model does not batch), the min(count, row elements) highest values, ties
 * by lower index, NaN below every number, each as "value:index[:label]"
 * with value printed as Triton does (%g for floating types, decimal for
 * integers). Shape [rows, n] when batching, else [n]. LIMIT_EXCEEDED past
 * KSERVE_MAX_CLASS_BYTES.
 */
status_t kserve_wire_output(const request_t *req, const model_config_t *cfg,
                            const kserve_output_prefs_t *prefs, int k, arena_t *arena,
                            kserve_wire_output_t *out, error_t *err);

/*
 * Sets req->priority from a client value already known to be >= 0:
 * INVALID_ARGUMENT when it is over the model's priority levels.
 */
status_t kserve_request_priority(const model_config_t *cfg, int64_t priority, request_t *req,
                                 error_t *err);

#endif
