/*
 * tfserving_model.c - what TF Serving's REST and gRPC codecs say alike
 * about a model (tfserving.h): TensorFlow's dtype names and numbers, the
 * dims of its one signature's tensors, the states of its versions, and the
 * refusal of version labels.
 */
#include "tfserving.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A dtype inferd holds and TensorFlow's name and DataType number for it (types.proto). */
typedef struct tf_dtype {
    dtype_t dtype;
    int number;
    const char *name;
} tf_dtype_t;

static const tf_dtype_t tf_dtypes[] = {
    {DTYPE_FLOAT, 1, "DT_FLOAT"},    {DTYPE_DOUBLE, 2, "DT_DOUBLE"},
    {DTYPE_INT32, 3, "DT_INT32"},    {DTYPE_UINT8, 4, "DT_UINT8"},
    {DTYPE_INT16, 5, "DT_INT16"},    {DTYPE_INT8, 6, "DT_INT8"},
    {DTYPE_STRING, 7, "DT_STRING"},  {DTYPE_INT64, 9, "DT_INT64"},
    {DTYPE_BOOL, 10, "DT_BOOL"},     {DTYPE_BFLOAT16, 14, "DT_BFLOAT16"},
    {DTYPE_UINT16, 17, "DT_UINT16"}, {DTYPE_FLOAT16, 19, "DT_HALF"},
    {DTYPE_UINT32, 22, "DT_UINT32"}, {DTYPE_UINT64, 23, "DT_UINT64"},
};
#define N_TF_DTYPES (sizeof tf_dtypes / sizeof tf_dtypes[0])

static const tf_dtype_t *find_dtype(dtype_t t)
{
    for (size_t i = 0; i < N_TF_DTYPES; i++)
        if (tf_dtypes[i].dtype == t)
            return &tf_dtypes[i];
    return NULL;
}

const char *tfserving_dtype_name(dtype_t t)
{
    const tf_dtype_t *d = find_dtype(t);
    return d ? d->name : "DT_INVALID";
}

int tfserving_dtype_number(dtype_t t)
{
    const tf_dtype_t *d = find_dtype(t);
    return d ? d->number : 0;
}

dtype_t tfserving_dtype_of_number(int n)
{
    for (size_t i = 0; i < N_TF_DTYPES; i++)
        if (tf_dtypes[i].number == n && dtype_size(tf_dtypes[i].dtype) > 0)
            return tf_dtypes[i].dtype;
    return DTYPE_UNDEFINED;
}

int tfserving_signature_dims(const model_tensor_config_t *tc, int max_batch_size, int64_t *dims)
{
    int rank = 0;

    if (max_batch_size > 0)
        dims[rank++] = -1;
    for (int d = 0; d < tc->rank; d++)
        dims[rank++] = tc->dims[d] < 0 ? -1 : tc->dims[d];
    return rank;
}

const char *tfserving_state_name(tfserving_state_t state)
{
    switch (state) {
    case TFSERVING_STATE_START:
        return "START";
    case TFSERVING_STATE_LOADING:
        return "LOADING";
    case TFSERVING_STATE_AVAILABLE:
        return "AVAILABLE";
    case TFSERVING_STATE_UNLOADING:
        return "UNLOADING";
    case TFSERVING_STATE_END:
        return "END";
    default:
        return "UNKNOWN";
    }
}

/* One index entry's status. */
static tfserving_version_status_t version_status(const kserve_index_entry_t *e, int64_t version)
{
    tfserving_version_status_t s = {.version = version,
                                    .state = TFSERVING_STATE_UNKNOWN,
                                    .error_code = API_GRPC_OK,
                                    .error_message = ""};

    switch (e->state) {
    case KSERVE_MODEL_READY:
        s.state = TFSERVING_STATE_AVAILABLE;
        break;
    case KSERVE_MODEL_LOADING:
        s.state = TFSERVING_STATE_LOADING;
        break;
    case KSERVE_MODEL_UNLOADING:
        s.state = TFSERVING_STATE_UNLOADING;
        break;
    case KSERVE_MODEL_UNAVAILABLE:
        s.state = TFSERVING_STATE_END;
        /* Unloaded on purpose ends well; a failed load ends with its reason. */
        if (e->reason && strncmp(e->reason, "unloaded", 8) != 0) {
            s.error_code = API_GRPC_UNKNOWN;
            s.error_message = e->reason;
        }
        break;
    }
    return s;
}

status_t tfserving_version_statuses(const kserve_index_entry_t *entries, int n, const char *name,
                                    int64_t version, tfserving_version_status_t *out, int *count,
                                    error_t *err)
{
    *count = 0;
    for (int i = 0; i < n; i++) {
        const kserve_index_entry_t *e = &entries[i];
        char *end;
        long long v;

        /* A model folder with nothing loaded has no version to report. */
        if (strcmp(e->name, name) != 0 || !e->version)
            continue;
        errno = 0;
        v = strtoll(e->version, &end, 10);
        if (*end || errno == ERANGE)
            return error_set(err, STATUS_INTERNAL, "model %s has a version '%s' that is no number",
                             name, e->version);
        if (version >= 0 && v != version)
            continue;
        out[(*count)++] = version_status(e, v);
    }
    if (*count > 0)
        return STATUS_OK;
    if (version >= 0)
        return error_set(err, STATUS_NOT_FOUND, "Could not find version %" PRId64 " of model %s",
                         version, name);
    return error_set(err, STATUS_NOT_FOUND, "Could not find any versions of model %s", name);
}

status_t tfserving_refuse_label(const char *model, const char *label, error_t *err)
{
    return error_set(err, STATUS_NOT_FOUND,
                     "model '%s' has no version label '%s': inferd defines no labels, name a "
                     "version",
                     model, label);
}
