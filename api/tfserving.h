/*
 * tfserving.h - the TF Serving REST codec: :predict bodies in (row
 * "instances" and columnar "inputs" forms), predictions and outputs out,
 * and the model status and metadata bodies; and what the REST and gRPC
 * codecs (tfserving_grpc.h) share about a model (tfserving_model.c): its
 * signature's dtypes and dims, its versions' states, version labels.
 * Nothing here does I/O.
 *
 * A model is seen as TF Serving sees a SavedModel with one signature,
 * "serving_default", whose inputs and outputs are the model's. inferd
 * holds no string tensors, so {"b64": ...} values, which TF Serving takes
 * only for DT_STRING inputs, are always refused (400) with a message that
 * says so. Errors are {"error": message}.
 */
#ifndef INFERD_TFSERVING_H
#define INFERD_TFSERVING_H

#include <stddef.h>
#include <stdint.h>

#include "batch_plan.h"
#include "kserve.h"
#include "model_config.h"
#include "status_map.h"

/*
 * Rows one request may give in "instances". Each row costs a JSON value
 * per input; the element limit bounds the data, this bounds the walk.
 */
#define TFSERVING_MAX_INSTANCES 65536

/* The signature every model has, and the only one a request may name. */
#define TFSERVING_SIGNATURE "serving_default"

/* Which form the request used, which decides the form of the answer. */
typedef enum tfserving_format {
    TFSERVING_ROW = 0,  /* "instances" in, "predictions" out */
    TFSERVING_COLUMNAR, /* "inputs" in, "outputs" out */
} tfserving_format_t;

/*
 * Parses a :predict body (body[0, size), need not be NUL-terminated) for
 * the model cfg into plan (freshly batch_plan_init'ed): one unit holding
 * every input, its rows as the batch dim when cfg->max_batch_size > 0 (any
 * number of them: batch_plan_cut splits them). Inputs over
 * max_tensor_elements elements (<= 0: TENSOR_MAX_ELEMENTS) or more than
 * TFSERVING_MAX_INSTANCES instances are LIMIT_EXCEEDED; anything else
 * wrong INVALID_ARGUMENT with a message in TF Serving's words where it
 * has some. On failure plan may hold a part of the unit: the caller frees
 * it (batch_plan_free) either way.
 */
status_t tfserving_parse_predict(const char *body, size_t size, const model_config_t *cfg,
                                 int64_t max_tensor_elements, batch_plan_t *plan,
                                 tfserving_format_t *format, error_t *err);

/*
 * The answer to a :predict whose outputs (cfg->n_outputs, the model's
 * order) are `outputs`: {"predictions": [...]} with one entry per row for
 * the row form (an object per row when the model has several outputs),
 * {"outputs": ...} for the columnar form (the tensor itself when there is
 * one output, else an object of them). *body is malloc'd and the caller's.
 * The row form needs every output to share its first dim:
 * INVALID_ARGUMENT otherwise, as in TF Serving.
 */
status_t tfserving_write_predict(tfserving_format_t format, const model_config_t *cfg,
                                 const tensor_t *outputs, char **body, size_t *size, error_t *err);

/* ModelVersionStatus.State, with TF Serving's numbers. */
typedef enum tfserving_state {
    TFSERVING_STATE_UNKNOWN = 0,
    TFSERVING_STATE_START = 10,
    TFSERVING_STATE_LOADING = 20,
    TFSERVING_STATE_AVAILABLE = 30,
    TFSERVING_STATE_UNLOADING = 40,
    TFSERVING_STATE_END = 50,
} tfserving_state_t;

/* One version's entry of a GetModelStatusResponse. */
typedef struct tfserving_version_status {
    int64_t version;
    tfserving_state_t state;
    api_grpc_code_t error_code; /* tensorflow.error.Code, whose numbers are gRPC's */
    const char *error_message;  /* "" or the index entry's reason (points into it) */
} tfserving_version_status_t;

/*
 * The statuses of model `name`'s versions in the index entries (only
 * `version` when >= 0) into out (room for n), their count into *count:
 * READY is AVAILABLE, LOADING and UNLOADING keep their names, an unloaded
 * version is END with OK and one that failed to load END with UNKNOWN and
 * its reason. NOT_FOUND, with TF Serving's message, when nothing matches.
 */
status_t tfserving_version_statuses(const kserve_index_entry_t *entries, int n, const char *name,
                                    int64_t version, tfserving_version_status_t *out, int *count,
                                    error_t *err);

/* The state's name ("AVAILABLE"). */
const char *tfserving_state_name(tfserving_state_t state);

/*
 * GetModelStatusResponse as TF Serving's REST API prints it, for n
 * statuses. *json is malloc'd and the caller's; NULL when out of memory.
 */
char *tfserving_status_json(const tfserving_version_status_t *statuses, int n);

/*
 * inferd defines no version labels: a request naming one gets NOT_FOUND
 * (what TF Serving answers for a label it does not have), saying so.
 */
status_t tfserving_refuse_label(const char *model, const char *label, error_t *err);

/*
 * A signature TensorInfo's dims of tensor tc into dims (room for
 * TENSOR_MAX_RANK + 1): -1 for the batch dim first when max_batch_size >
 * 0, then tc's, -1 where variable. Returns the rank.
 */
int tfserving_signature_dims(const model_tensor_config_t *tc, int max_batch_size, int64_t *dims);

/*
 * GetModelMetadataResponse with its signature_def for cfg: one signature,
 * serving_default, inputs and outputs keyed by name, dims -1 where
 * variable (the batch dim first when max_batch_size > 0). NULL when out of
 * memory; malloc'd, the caller's.
 */
char *tfserving_metadata_json(const model_config_t *cfg, int64_t version);

/* TF Serving's name of a dtype ("DT_FLOAT"); "DT_INVALID" for one it has none for. */
const char *tfserving_dtype_name(dtype_t t);

/* TensorFlow's DataType number of a dtype (DT_FLOAT is 1); 0 (DT_INVALID) for none. */
int tfserving_dtype_number(dtype_t t);

/* The dtype of TensorFlow DataType number n; DTYPE_UNDEFINED for one inferd cannot hold. */
dtype_t tfserving_dtype_of_number(int n);

#endif
