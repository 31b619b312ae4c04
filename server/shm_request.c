/*
 * shm_request.c - reading a request's inputs from shared memory and
 * writing its outputs there (shm_request.h).
 */
#include "shm_request.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "kserve_input.h"

/*
 * A buffer of bytes for an input's data, owned by arena, aligned as arena
 * blocks are. Not arena_alloc: the read fills it at once, and zeroing a
 * large one first costs as much as the read.
 */
static void *input_buffer(arena_t *arena, size_t bytes)
{
    size_t rounded = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p = rounded >= bytes ? aligned_alloc(ARENA_ALIGN, rounded) : NULL;

    /* arena_adopt frees p itself when it fails. */
    return p && arena_adopt(arena, p) == 0 ? p : NULL;
}

/* Reads input k from its region into req's arena. */
static status_t read_input(shm_registry_t *registry, const model_config_t *cfg,
                           const kserve_shm_ref_t *ref, int k, request_t *req, error_t *err)
{
    tensor_t *t = &req->inputs[k];
    size_t bytes = tensor_bytes(t);
    shm_region_t *region = NULL;
    error_t why = {0};
    status_t st;

    /* The parser held the size to the tensor's. */
    assert(ref->byte_size == (uint64_t)bytes && !t->data);
    st = shm_registry_acquire(registry, ref->region, ref->offset, ref->byte_size, false, &region,
                              &why);
    if (st == STATUS_OK && bytes > 0) {
        t->data = input_buffer(&req->arena, bytes);
        if (!t->data)
            st = error_set(&why, STATUS_OUT_OF_MEMORY, "out of memory for %zu bytes", bytes);
    }
    if (st == STATUS_OK && bytes > 0)
        st = shm_region_read(region, ref->offset, t->data, bytes, &why);
    if (st == STATUS_OK && t->dtype == DTYPE_BOOL)
        kserve_input_bool_bytes(t->data, bytes);
    shm_region_release(region);
    if (st)
        return error_set(err, st, "input '%s': %s", cfg->inputs[k].name, why.message);
    return STATUS_OK;
}

status_t shm_request_prepare(shm_registry_t *registry, const model_config_t *cfg,
                             const kserve_output_prefs_t *prefs, size_t max_bytes, request_t *req,
                             shm_request_t *held, error_t *err)
{
    uint64_t total = 0;
    error_t why = {0};

    /* Each size is a tensor's (at most TENSOR_MAX_ELEMENTS of 8 bytes): the sum cannot wrap. */
    for (int k = 0; k < cfg->n_inputs && k < REQUEST_MAX_TENSORS; k++)
        if (prefs->shm_inputs[k].region)
            total += prefs->shm_inputs[k].byte_size;
    if (total > max_bytes)
        return error_set(err, STATUS_TOO_LARGE,
                         "the inputs in shared memory total %" PRIu64 " bytes, over the limit of "
                         "%zu a request may carry (--max-body-bytes)",
                         total, max_bytes);
    for (int k = 0; k < cfg->n_inputs && k < REQUEST_MAX_TENSORS; k++) {
        status_t st;
        if (!prefs->shm_inputs[k].region)
            continue;
        st = read_input(registry, cfg, &prefs->shm_inputs[k], k, req, err);
        if (st)
            return st;
    }
    for (int k = 0; k < cfg->n_outputs && k < REQUEST_MAX_TENSORS; k++) {
        const kserve_shm_ref_t *ref = &prefs->shm_outputs[k];
        status_t st;
        if (!ref->region)
            continue;
        assert(!held->outputs[k]);
        st = shm_registry_acquire(registry, ref->region, ref->offset, ref->byte_size, true,
                                  &held->outputs[k], &why);
        if (st)
            return error_set(err, st, "output '%s': %s", cfg->outputs[k].name, why.message);
    }
    return STATUS_OK;
}

status_t shm_request_write(shm_request_t *held, const model_config_t *cfg,
                           const kserve_output_prefs_t *prefs, const request_t *req, error_t *err)
{
    char shape[SHAPE_TEXT_MAX];
    error_t why = {0};
    status_t st = STATUS_OK;

    for (int k = 0; k < cfg->n_outputs && k < REQUEST_MAX_TENSORS && st == STATUS_OK; k++) {
        const kserve_shm_ref_t *ref = &prefs->shm_outputs[k];
        const tensor_t *t = &req->outputs[k];
        int64_t numel = 0;
        size_t bytes;

        if (!held->outputs[k])
            continue;
        st = kserve_output_check(req, cfg, k, &numel, err);
        if (st)
            break;
        bytes = tensor_bytes(t);
        if ((uint64_t)bytes > ref->byte_size)
            st = error_set(err, STATUS_INVALID_ARGUMENT,
                           "output '%s' is %zu bytes (shape %s of %s), more than the "
                           "shared_memory_byte_size %" PRIu64 " given for it in region '%s'",
                           cfg->outputs[k].name, bytes,
                           shape_format(t->rank, t->dims, shape, sizeof shape),
                           dtype_kserve_name(t->dtype), ref->byte_size, ref->region);
        else if (bytes > 0 && shm_region_write(held->outputs[k], ref->offset, t->data, bytes, &why))
            st = error_set(err, why.code, "output '%s': %s", cfg->outputs[k].name, why.message);
        shm_region_release(held->outputs[k]);
        held->outputs[k] = NULL;
    }
    return st;
}

void shm_request_release(shm_request_t *held)
{
    /* Called for every request, which mostly holds no region: no call for those. */
    for (int k = 0; k < REQUEST_MAX_TENSORS; k++)
        if (held->outputs[k]) {
            shm_region_release(held->outputs[k]);
            held->outputs[k] = NULL;
        }
}
