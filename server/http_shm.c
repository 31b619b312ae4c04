/*
 * http_shm.c - the shared memory extension's REST endpoints: status,
 * register and unregister of system shared memory regions, and the CUDA
 * ones, which answer that CUDA shared memory is not supported.
 */
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "kserve_shm.h"

enum MHD_Result http_shm_status(http_call_t *call, const char *region)
{
    kserve_shm_region_t *regions = NULL;
    error_t err = {0};
    int n = 0;
    enum MHD_Result rc;

    if (shm_registry_status(call->server->state->shm, region, &regions, &n, &err))
        return http_respond_error(call, err.code, err.message);
    rc = http_respond_json(call, MHD_HTTP_OK, kserve_shm_status_json(regions, n));
    free(regions);
    return rc;
}

enum MHD_Result http_shm_register(http_call_t *call, const char *region)
{
    char key[KSERVE_SHM_KEY_MAX + 1];
    uint64_t offset, byte_size;
    error_t err = {0};
    status_t st = kserve_shm_parse_register(call->body, call->size, key, &offset, &byte_size, &err);

    if (!st)
        st = shm_registry_register(call->server->state->shm, region, key, offset, byte_size, &err);
    if (st)
        return http_respond_error(call, err.code, err.message);
    return http_respond_json(call, MHD_HTTP_OK, strdup("{}"));
}

enum MHD_Result http_shm_unregister(http_call_t *call, const char *region)
{
    /* Triton's protocol wants an empty body: anything in it would be ignored. */
    if (call->size)
        return http_respond_error(call, STATUS_INVALID_ARGUMENT,
                                  "an unregister request has no body");
    shm_registry_unregister(call->server->state->shm, region);
    return http_respond_json(call, MHD_HTTP_OK, strdup("{}"));
}

enum MHD_Result http_shm_cuda(http_call_t *call)
{
    return http_respond_error(call, STATUS_UNSUPPORTED, KSERVE_SHM_CUDA_MESSAGE);
}
