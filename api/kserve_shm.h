/*
 * kserve_shm.h - the messages of Triton's system shared memory extension:
 * region names and keys, the REST register body, and the status answer
 * over REST and gRPC. Pure functions on bytes: the registry that opens the
 * objects is server/shm_registry.h, and inputs and outputs name regions
 * through kserve_shm_ref_t (kserve.h).
 *
 * CUDA shared memory (the other half of Triton's extension) is not served:
 * every cudasharedmemory endpoint and RPC answers KSERVE_SHM_CUDA_MESSAGE.
 */
#ifndef INFERD_KSERVE_SHM_H
#define INFERD_KSERVE_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "inference.pb-c.h"
#include "kserve.h"

/*
 * What every CUDA shared memory request is answered with (STATUS_UNSUPPORTED:
 * 501 over HTTP, UNIMPLEMENTED over gRPC).
 */
#define KSERVE_SHM_CUDA_MESSAGE                                                                    \
    "CUDA shared memory is not supported: inferd runs on the CPU; register system shared memory "  \
    "(/v2/systemsharedmemory) instead"

/* Largest register body read: three fields and a key fit in far less. */
#define KSERVE_SHM_REGISTER_BODY_MAX 4096

/* One registered region as the status APIs report it. */
typedef struct kserve_shm_region {
    char name[KSERVE_SHM_NAME_MAX + 1];
    char key[KSERVE_SHM_KEY_MAX + 1]; /* the POSIX shared memory object, "/..." */
    uint64_t offset;                  /* where the region starts in the object */
    uint64_t byte_size;               /* the region's size */
} kserve_shm_region_t;

/*
 * A region name (len bytes, not necessarily NUL-terminated): 1 to
 * KSERVE_SHM_NAME_MAX printable ASCII characters other than space and '/'
 * (names travel in URL paths). INVALID_ARGUMENT otherwise.
 */
status_t kserve_shm_check_name(const char *name, size_t len, error_t *err);

/*
 * A key (len bytes) as shm_open takes it: '/' then 1 to KSERVE_SHM_KEY_MAX - 1
 * printable ASCII characters other than space and '/', and not "." or ".."
 * (the object is a file directly under /dev/shm, never a path elsewhere).
 * INVALID_ARGUMENT otherwise.
 */
status_t kserve_shm_check_key(const char *key, size_t len, error_t *err);

/*
 * The body of POST /v2/systemsharedmemory/region/{name}/register:
 * {"key": string, "offset": integer >= 0 (optional, 0), "byte_size":
 * integer >= 1}, nothing else. size may be 0 (body may then be NULL). On
 * success key (KSERVE_SHM_KEY_MAX + 1 bytes) holds the checked key;
 * otherwise INVALID_ARGUMENT naming the field.
 */
status_t kserve_shm_parse_register(const char *body, size_t size, char *key, uint64_t *offset,
                                   uint64_t *byte_size, error_t *err);

/*
 * [{"name", "key", "offset", "byte_size"}, ...] for GET
 * /v2/systemsharedmemory[/region/{name}]/status; malloc'd (caller frees),
 * NULL when out of memory.
 */
char *kserve_shm_status_json(const kserve_shm_region_t *regions, int n);

/* The same for SystemSharedMemoryStatus, in arena; NULL when out of memory. */
Inference__SystemSharedMemoryStatusResponse *
kserve_grpc_shm_status(const kserve_shm_region_t *regions, int n, arena_t *arena);

#endif
