/*
 * tfserving_grpc.h - the TF Serving gRPC codec (tensorflow_serving.proto,
 * protobuf-c): PredictRequest into a batch plan, PredictResponse,
 * GetModelMetadataResponse and GetModelStatusResponse out, and the checks
 * of ModelSpec and GetModelMetadataRequest. Nothing here does I/O or knows
 * gRPC: the gRPC front end unpacks and packs the messages.
 *
 * A model is the SavedModel tfserving.h describes: one signature,
 * "serving_default", whose inputs and outputs are the model's. Requests
 * are read as TF Serving reads them, with its status codes and, where it
 * has some, its messages; inferd refuses (INVALID_ARGUMENT, naming it)
 * what TF Serving would take but inferd does not honour: unknown fields,
 * string and complex tensors, more values than a tensor holds.
 *
 * Memory: messages are unpacked into, and built in, an arena, so one
 * arena_release frees a message with everything it points to. Tensor
 * data is shared between message, plan and response where the bytes can
 * be used as they are.
 */
#ifndef INFERD_TFSERVING_GRPC_H
#define INFERD_TFSERVING_GRPC_H

#include <stdint.h>

#include "batch_plan.h"
#include "tensorflow_serving.pb-c.h"
#include "tfserving.h"

/*
 * The model name and version a ModelSpec names: *version -1 when it names
 * none (the latest). INVALID_ARGUMENT when spec is NULL ("Missing
 * ModelSpec", TF Serving's words) or has fields inferd does not read;
 * NOT_FOUND for a version label (tfserving_refuse_label) or a negative
 * version; FAILED_PRECONDITION, as TF Serving's Predict answers, for a
 * signature_name other than "" and TFSERVING_SIGNATURE. *name points into
 * spec.
 */
status_t tfserving_grpc_model_spec(const Tensorflow__Serving__ModelSpec *spec, const char **name,
                                   int64_t *version, error_t *err);

/*
 * Parses the inputs and output_filter of q (its model_spec is the
 * caller's, tfserving_grpc_model_spec) for the model cfg into plan
 * (freshly batch_plan_init'ed): one unit holding every input, its first
 * dim the unit's rows when cfg->max_batch_size > 0 (any number of them:
 * batch_plan_cut splits them). *outputs gets the mask of the outputs to
 * answer with (every output when output_filter is empty).
 *
 * Each input is a TensorProto whose dtype must be the model input's and
 * whose values come from tensor_content (raw little-endian bytes, exactly
 * the shape's) or from the one typed field TensorFlow keeps that dtype in
 * (float_val, double_val, int_val, int64_val, bool_val, half_val,
 * uint32_val, uint64_val), as TensorFlow reads them: fewer values than the
 * shape holds are padded with the last one (none: zeros), and int_val and
 * half_val keep the bits that fit (int_val 300 as DT_UINT8 is 44). More
 * values than the shape holds, values in another field, and both forms at
 * once are refused. Inputs over max_tensor_elements elements (<= 0:
 * TENSOR_MAX_ELEMENTS), and inputs filled from fewer values than their
 * shape holds taking more than max_fill_bytes together (memory the message
 * did not carry: the server passes its message size limit), are
 * LIMIT_EXCEEDED, a model without inputs
 * UNSUPPORTED, anything else wrong INVALID_ARGUMENT. Input data points
 * into q where it can, so q must outlive plan. On failure plan may hold a
 * part of the unit: the caller frees it (batch_plan_free) either way.
 */
status_t tfserving_grpc_parse_predict(const Tensorflow__Serving__PredictRequest *q,
                                      const model_config_t *cfg, int64_t max_tensor_elements,
                                      size_t max_fill_bytes, batch_plan_t *plan, uint64_t *outputs,
                                      error_t *err);

/*
 * Reads a GetModelMetadataRequest: its model_spec as
 * tfserving_grpc_model_spec reads it, at least one metadata_field, each
 * "signature_def" (the only one TF Serving serves), and nothing inferd
 * does not read (INVALID_ARGUMENT).
 */
status_t tfserving_grpc_metadata_request(const Tensorflow__Serving__GetModelMetadataRequest *q,
                                         const char **name, int64_t *version, error_t *err);

/*
 * Reads a GetModelStatusRequest: its model_spec as tfserving_grpc_model_spec
 * reads it (*version -1: every version), and nothing inferd does not read.
 */
status_t tfserving_grpc_status_request(const Tensorflow__Serving__GetModelStatusRequest *q,
                                       const char **name, int64_t *version, error_t *err);

/*
 * The answer to a Predict on version `version` of the model cfg whose
 * outputs (cfg->n_outputs, the model's order) are `outputs`: the outputs
 * in mask, each in the typed field TensorFlow answers with (as TF
 * Serving's Predict does: float_val, int_val, half_val ...), and the
 * model_spec that ran (name, version, TFSERVING_SIGNATURE). Allocated in
 * arena; typed fields whose element type is the tensor's point at its
 * data, so outputs and arena must outlive *out. INTERNAL for an output
 * TensorFlow has no dtype for, OUT_OF_MEMORY.
 */
status_t tfserving_grpc_predict_response(const model_config_t *cfg, int64_t version,
                                         const tensor_t *outputs, uint64_t mask, arena_t *arena,
                                         Tensorflow__Serving__PredictResponse **out, error_t *err);

/*
 * The answer to GetModelMetadata for version `version` of the model cfg:
 * its model_spec (name, version) and metadata["signature_def"], a
 * SignatureDefMap packed in an Any, with the one signature
 * TFSERVING_SIGNATURE (inputs and outputs as tfserving_metadata_json has
 * them). Allocated in arena; NULL when out of memory.
 */
Tensorflow__Serving__GetModelMetadataResponse *
tfserving_grpc_metadata_response(const model_config_t *cfg, int64_t version, arena_t *arena);

/* The answer to GetModelStatus with n statuses; allocated in arena, NULL when out of memory. */
Tensorflow__Serving__GetModelStatusResponse *
tfserving_grpc_status_response(const tfserving_version_status_t *statuses, int n, arena_t *arena);

#endif
