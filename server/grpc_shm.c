/*
 * grpc_shm.c - the shared memory extension's RPCs: SystemSharedMemory
 * Status, Register and Unregister on the server's registry, and the CUDA
 * ones, which answer UNIMPLEMENTED.
 */
#include <stdlib.h>
#include <string.h>

#include "grpc_internal.h"
#include "kserve_shm.h"

void grpc_handle_shm_status(grpc_unary_t *u)
{
    Inference__SystemSharedMemoryStatusRequest *q =
        (Inference__SystemSharedMemoryStatusRequest *)grpc_unary_message(
            u, &inference__system_shared_memory_status_request__descriptor, &u->arena);
    Inference__SystemSharedMemoryStatusResponse *r;
    kserve_shm_region_t *regions = NULL;
    error_t err = {0};
    int n = 0;

    if (!q)
        return;
    if (shm_registry_status(u->fe->state->shm, q->name[0] ? q->name : NULL, &regions, &n, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        return;
    }
    r = kserve_grpc_shm_status(regions, n, &u->arena);
    free(regions);
    if (r)
        grpc_unary_reply(u, &r->base);
    else
        grpc_unary_fail(u, STATUS_OUT_OF_MEMORY, "out of memory");
}

void grpc_handle_shm_register(grpc_unary_t *u)
{
    Inference__SystemSharedMemoryRegisterRequest *q =
        (Inference__SystemSharedMemoryRegisterRequest *)grpc_unary_message(
            u, &inference__system_shared_memory_register_request__descriptor, &u->arena);
    Inference__SystemSharedMemoryRegisterResponse r =
        INFERENCE__SYSTEM_SHARED_MEMORY_REGISTER_RESPONSE__INIT;
    error_t err = {0};

    if (!q)
        return;
    if (shm_registry_register(u->fe->state->shm, q->name, q->key, q->offset, q->byte_size, &err)) {
        grpc_unary_fail(u, err.code, err.message);
        return;
    }
    grpc_unary_reply(u, &r.base);
}

void grpc_handle_shm_unregister(grpc_unary_t *u)
{
    Inference__SystemSharedMemoryUnregisterRequest *q =
        (Inference__SystemSharedMemoryUnregisterRequest *)grpc_unary_message(
            u, &inference__system_shared_memory_unregister_request__descriptor, &u->arena);
    Inference__SystemSharedMemoryUnregisterResponse r =
        INFERENCE__SYSTEM_SHARED_MEMORY_UNREGISTER_RESPONSE__INIT;

    if (!q)
        return;
    /* An empty name is every region, as in Triton. */
    shm_registry_unregister(u->fe->state->shm, q->name[0] ? q->name : NULL);
    grpc_unary_reply(u, &r.base);
}

void grpc_handle_cuda_shm(grpc_unary_t *u)
{
    grpc_unary_fail(u, STATUS_UNSUPPORTED, KSERVE_SHM_CUDA_MESSAGE);
}
