/*
 * kserve_input.c - the input, output and parameter checks both KServe
 * codecs (REST and gRPC) share.
 */
#include "kserve_input.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kserve.h"
#include "kserve_shm.h"

int kserve_find_tensor(const model_tensor_config_t *tensors, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(tensors[k].name, name) == 0)
            return k;
    return -1;
}

uint64_t kserve_all_outputs_mask(int n_outputs)
{
    return n_outputs >= 64 ? UINT64_MAX : (UINT64_C(1) << n_outputs) - 1;
}

int64_t kserve_element_limit(int64_t max_tensor_elements)
{
    return max_tensor_elements > 0 && max_tensor_elements < TENSOR_MAX_ELEMENTS
               ? max_tensor_elements
               : TENSOR_MAX_ELEMENTS;
}

status_t kserve_input_dtype(const char *name, const char *datatype, const model_tensor_config_t *tc,
                            dtype_t *out, error_t *err)
{
    dtype_t t = kserve_dtype_from_name(datatype);

    if (t == DTYPE_UNDEFINED)
        return error_set(err, STATUS_INVALID_ARGUMENT, "input '%s': unknown datatype '%s'", name,
                         datatype);
    if (t != tc->dtype)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': datatype %s does not match the model's %s", name, datatype,
                         dtype_kserve_name(tc->dtype));
    if (dtype_size(t) == 0)
        return error_set(err, STATUS_UNSUPPORTED, "input '%s': datatype %s is not supported", name,
                         datatype);
    *out = t;
    return STATUS_OK;
}

status_t kserve_input_rank(const char *name, const model_tensor_config_t *tc, int max_batch_size,
                           size_t n_dims, int *rank, error_t *err)
{
    int batch = max_batch_size > 0 ? 1 : 0;
    char want[SHAPE_TEXT_MAX];

    *rank = tc->rank + batch;
    if (*rank > TENSOR_MAX_RANK)
        return error_set(err, STATUS_UNSUPPORTED,
                         "input '%s': rank %d with the batch dim is over the limit of %d", name,
                         *rank, TENSOR_MAX_RANK);
    if (n_dims != (size_t)*rank)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': shape has rank %zu, the model expects %d (%s%s)", name,
                         n_dims, *rank, batch ? "batch dim + " : "",
                         shape_format(tc->rank, tc->dims, want, sizeof want));
    return STATUS_OK;
}

status_t kserve_input_dims(const char *name, const model_tensor_config_t *tc, int max_batch_size,
                           const tensor_t *t, error_t *err)
{
    int batch = max_batch_size > 0 ? 1 : 0;
    char want[SHAPE_TEXT_MAX];

    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s': shape[%d] must be a non-negative integer", name, d);
    if (batch && (t->dims[0] < 1 || t->dims[0] > max_batch_size))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         t->dims[0] < 1 ? "input '%s': batch size %" PRId64 " must be at least 1"
                                        : "input '%s': batch size %" PRId64
                                          " exceeds max_batch_size %d",
                         name, t->dims[0], max_batch_size);
    for (int d = 0; d < tc->rank; d++)
        if (tc->dims[d] != -1 && t->dims[d + batch] != tc->dims[d])
            return error_set(
                err, STATUS_INVALID_ARGUMENT,
                "input '%s': shape[%d] is %" PRId64 ", the model expects %" PRId64 " (%s%s)", name,
                d + batch, t->dims[d + batch], tc->dims[d], batch ? "batch dim + " : "",
                shape_format(tc->rank, tc->dims, want, sizeof want));
    return STATUS_OK;
}

status_t kserve_input_elements(const tensor_t *t, const char *name, int64_t limit, int64_t *numel,
                               error_t *err)
{
    char shape[SHAPE_TEXT_MAX];
    int64_t n = 1;
    bool empty = false;

    if (limit > TENSOR_MAX_ELEMENTS)
        limit = TENSOR_MAX_ELEMENTS;
    for (int d = 0; d < t->rank; d++) {
        /*
         * An empty tensor's other dims are held to the limit too: strides
         * over them must stay in range ([1, 0, 5e13] is refused, as
         * shape_valid refuses it).
         */
        if (t->dims[d] == 0) {
            empty = true;
            continue;
        }
        if (t->dims[d] > limit / n)
            return error_set(err, STATUS_LIMIT_EXCEEDED,
                             "input '%s': shape %s holds more than the limit of %" PRId64
                             " elements",
                             name, shape_format(t->rank, t->dims, shape, sizeof shape), limit);
        n *= t->dims[d];
    }
    *numel = empty ? 0 : n;
    return STATUS_OK;
}

status_t kserve_input_claim(const model_config_t *cfg, const char *name, bool *seen, int *k,
                            error_t *err)
{
    *k = kserve_find_tensor(cfg->inputs, cfg->n_inputs, name);
    if (*k < 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "unknown input '%s': model '%s' has no such input", name, cfg->name);
    if (seen[*k])
        return error_set(err, STATUS_INVALID_ARGUMENT, "duplicate input '%s'", name);
    seen[*k] = true;
    return STATUS_OK;
}

status_t kserve_input_all_given(const model_config_t *cfg, const bool *seen, error_t *err)
{
    for (int k = 0; k < cfg->n_inputs; k++)
        if (!seen[k])
            return error_set(err, STATUS_INVALID_ARGUMENT, "missing input '%s'",
                             cfg->inputs[k].name);
    return STATUS_OK;
}

status_t kserve_input_same_batch(const model_config_t *cfg, const request_t *req, int k, int first,
                                 error_t *err)
{
    if (cfg->max_batch_size > 0 && first >= 0 &&
        req->inputs[k].dims[0] != req->inputs[first].dims[0])
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': batch size %" PRId64 " differs from input '%s''s %" PRId64,
                         cfg->inputs[k].name, req->inputs[k].dims[0], cfg->inputs[first].name,
                         req->inputs[first].dims[0]);
    return STATUS_OK;
}

void kserve_input_bool_bytes(void *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)data)[i] = ((uint8_t *)data)[i] != 0;
}

status_t kserve_input_copy_raw(const char *name, tensor_t *t, const void *src, size_t size,
                               arena_t *arena, error_t *err)
{
    t->data = arena_memdup(arena, src, size);
    if (!t->data && size > 0)
        return error_set(err, STATUS_OUT_OF_MEMORY, "input '%s': out of memory for its data", name);
    if (t->dtype == DTYPE_BOOL)
        kserve_input_bool_bytes(t->data, size);
    return STATUS_OK;
}

status_t kserve_output_check(const request_t *req, const model_config_t *cfg, int k, int64_t *numel,
                             error_t *err)
{
    const tensor_t *t = &req->outputs[k];

    if (k >= req->n_outputs)
        return error_set(err, STATUS_INTERNAL, "output '%s' was requested but not produced",
                         cfg->outputs[k].name);
    if (!shape_valid(t->rank, t->dims, numel))
        return error_set(err, STATUS_INTERNAL, "output '%s' has an invalid shape",
                         cfg->outputs[k].name);
    if (!dtype_kserve_name(t->dtype) || dtype_size(t->dtype) == 0)
        return error_set(err, STATUS_UNSUPPORTED, "output '%s': dtype %s cannot be sent",
                         cfg->outputs[k].name, dtype_name(t->dtype));
    if (!t->data && *numel > 0)
        return error_set(err, STATUS_INTERNAL, "output '%s' has no data", cfg->outputs[k].name);
    return STATUS_OK;
}

status_t kserve_request_priority(const model_config_t *cfg, int64_t priority, request_t *req,
                                 error_t *err)
{
    int levels = cfg->batching.priority_levels > 0 ? cfg->batching.priority_levels
                                                   : BATCHER_MAX_PRIORITY_LEVELS;

    if (priority > levels)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "parameters.priority %" PRId64 " is over the model's %d priority levels",
                         priority, levels);
    req->priority = (int)priority;
    return STATUS_OK;
}

status_t kserve_tensor_parameter(const char *kind, const char *tensor, const char *key,
                                 const char *const served[], error_t *err)
{
    char list[256] = "";

    for (int i = 0; served[i]; i++) {
        if (strcmp(key, served[i]) == 0)
            return STATUS_OK;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", served[i]);
    }
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "%s '%s': unknown parameter '%s' (supported: %s)", kind, tensor, key,
                     list[0] ? list : "none");
}

status_t kserve_class_count(const model_config_t *cfg, int k, int64_t count,
                            kserve_output_prefs_t *prefs, error_t *err)
{
    const model_tensor_config_t *tc = &cfg->outputs[k];

    if (count < 0 || (uint64_t)count > KSERVE_MAX_CLASS_COUNT)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': parameters.classification must be a class count from 0 "
                         "to %" PRIu32 ", got %" PRId64,
                         tc->name, (uint32_t)KSERVE_MAX_CLASS_COUNT, count);
    /* Ranking needs numbers: BOOL has none to rank (Triton refuses it too). */
    if (count > 0 && (tc->dtype == DTYPE_BOOL || dtype_size(tc->dtype) == 0))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': classification needs a numeric output, not %s", tc->name,
                         dtype_kserve_name(tc->dtype) ? dtype_kserve_name(tc->dtype)
                                                      : dtype_name(tc->dtype));
    prefs->class_count[k] = (uint32_t)count;
    return STATUS_OK;
}

status_t kserve_request_parameter(const char *key, bool neutral, const char *const served[],
                                  error_t *err)
{
    char list[256] = "";

    if (strcmp(key, "sequence_id") == 0 || strcmp(key, "sequence_start") == 0 ||
        strcmp(key, "sequence_end") == 0) {
        if (neutral)
            return STATUS_OK;
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "parameters.%s asks for a sequence, and inferd has no sequence batcher: "
                         "send each request on its own (sequence_id 0, no start or end)",
                         key);
    }
    for (int i = 0; served[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", served[i]);
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "unknown request parameter '%s' (supported: %s; sequence_id, sequence_start "
                     "and sequence_end only without a sequence)",
                     key, list);
}

status_t kserve_shm_ref(const char *kind, const char *tensor, const kserve_shm_params_t *p,
                        arena_t *arena, kserve_shm_ref_t *ref, error_t *err)
{
    error_t name_err = {0};

    ref->region = NULL;
    ref->offset = 0;
    ref->byte_size = 0;
    if (!p->region && !p->has_byte_size && !p->has_offset)
        return STATUS_OK;
    if (!p->region || !p->has_byte_size)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s '%s': parameters.%s needs parameters.%s (the region and the size "
                         "of the data in it go together)",
                         kind, tensor,
                         p->region          ? KSERVE_SHM_PARAM_REGION
                         : p->has_byte_size ? KSERVE_SHM_PARAM_BYTE_SIZE
                                            : KSERVE_SHM_PARAM_OFFSET,
                         p->region ? KSERVE_SHM_PARAM_BYTE_SIZE : KSERVE_SHM_PARAM_REGION);
    if (kserve_shm_check_name(p->region, p->region_len, &name_err))
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s '%s': parameters.%s: %s", kind, tensor,
                         KSERVE_SHM_PARAM_REGION, name_err.message);
    ref->region = arena_memdup(arena, p->region, p->region_len + 1);
    if (!ref->region)
        return error_set(err, STATUS_OUT_OF_MEMORY, "%s '%s': out of memory", kind, tensor);
    ref->offset = p->has_offset ? p->offset : 0;
    ref->byte_size = p->byte_size;
    return STATUS_OK;
}

status_t kserve_shm_input_size(const char *name, const tensor_t *t, int64_t numel,
                               const kserve_shm_ref_t *ref, error_t *err)
{
    char shape[SHAPE_TEXT_MAX];
    size_t need = (size_t)numel * dtype_size(t->dtype);

    if (ref->byte_size != (uint64_t)need)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "input '%s': parameters.%s is %" PRIu64 " bytes, shape %s of %s needs %zu",
                         name, KSERVE_SHM_PARAM_BYTE_SIZE, ref->byte_size,
                         shape_format(t->rank, t->dims, shape, sizeof shape),
                         dtype_kserve_name(t->dtype), need);
    return STATUS_OK;
}

status_t kserve_shm_output_alone(const model_config_t *cfg, int k,
                                 const kserve_output_prefs_t *prefs, bool binary, error_t *err)
{
    const char *name = cfg->outputs[k].name;

    if (!prefs->shm_outputs[k].region)
        return STATUS_OK;
    if (prefs->class_count[k] > 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': parameters.classification and parameters.%s cannot go "
                         "together: shared memory receives the tensor itself",
                         name, KSERVE_SHM_PARAM_REGION);
    if (binary)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "output '%s': parameters.binary_data true and parameters.%s cannot go "
                         "together: the tensor goes into shared memory, not the response",
                         name, KSERVE_SHM_PARAM_REGION);
    return STATUS_OK;
}
