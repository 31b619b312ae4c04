/*
 * shm_registry.h - the server's system shared memory regions (Triton's
 * shared memory extension): POSIX shared memory objects that co-located
 * clients create, register under a name, and then name in infer requests
 * so that tensors skip the socket.
 *
 * A region is a window [offset, offset + byte_size) of one object, checked
 * against the object's size when it is registered. The registry keeps the
 * object's descriptor open (opened read-write, or read-only when that is
 * all the server may do: such a region holds inputs only) and moves bytes
 * with pread and pwrite rather than through a mapping. The object belongs
 * to the client, which may shrink it at any time: a read past its end then
 * comes back short and becomes an error, where a load from a mapping would
 * raise SIGBUS in the server. The size is checked again on every use, and
 * a client unlinking the object changes nothing (the descriptor still
 * names it).
 *
 * Regions are reference counted. The registry holds one reference and
 * every request using a region another, so unregistering a region that a
 * request is reading or writing is safe: the name goes at once (and can be
 * registered again), the descriptor when the last user lets go.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef INFERD_SHM_REGISTRY_H
#define INFERD_SHM_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kserve_shm.h"
#include "status.h"

/* Regions registered at once: each holds a descriptor. */
#define SHM_REGISTRY_MAX_REGIONS 256

typedef struct shm_registry shm_registry_t;
typedef struct shm_region shm_region_t;

/* What the metrics report. */
typedef struct shm_registry_counts {
    int regions;            /* registered now */
    uint64_t bytes_read;    /* input bytes read out of regions */
    uint64_t bytes_written; /* output bytes written into regions */
} shm_registry_counts_t;

/* A new, empty registry; NULL when out of memory. */
shm_registry_t *shm_registry_create(void);

/*
 * Unregisters every region and frees the registry; NULL is a no-op. No
 * region may still be held (shm_region_release first).
 */
void shm_registry_free(shm_registry_t *r);

/*
 * Registers region name: the window [offset, offset + byte_size) of the
 * object key (kserve_shm_check_name and _key rules). Fails with
 * ALREADY_EXISTS when the name is registered, LIMIT_EXCEEDED at
 * SHM_REGISTRY_MAX_REGIONS, INVALID_ARGUMENT for a key that names no
 * object the server may open, something other than a regular file, a
 * byte_size of 0 or a window past the object's end; IO when the system
 * refuses for its own reasons (out of descriptors).
 */
status_t shm_registry_register(shm_registry_t *r, const char *name, const char *key,
                               uint64_t offset, uint64_t byte_size, error_t *err);

/*
 * Unregisters region name, or every region when name is NULL. A name that
 * is not registered is no error (as in Triton: unregistering twice is
 * fine).
 */
void shm_registry_unregister(shm_registry_t *r, const char *name);

/*
 * The registered regions, by name (only name when it is not NULL:
 * NOT_FOUND when it is not registered), into *out (malloc'd, the caller
 * frees; NULL when *n is 0).
 */
status_t shm_registry_status(shm_registry_t *r, const char *name, kserve_shm_region_t **out, int *n,
                             error_t *err);

/* The counts the metrics report. */
void shm_registry_counts(shm_registry_t *r, shm_registry_counts_t *out);

/*
 * A reference to region name for a tensor at [offset, offset + byte_size)
 * of it, to read (an input) or write (an output): INVALID_ARGUMENT naming
 * the region and the values when it is not registered, the window does not
 * fit in it, or a read-only region is to be written. The caller releases
 * *out (shm_region_release).
 */
status_t shm_registry_acquire(shm_registry_t *r, const char *name, uint64_t offset,
                              uint64_t byte_size, bool write, shm_region_t **out, error_t *err);

/*
 * Copies n bytes at offset of the region into dst, or src into the region;
 * [offset, offset + n) must lie in the window acquired. INVALID_ARGUMENT
 * when the object has shrunk below the window since it was registered, IO
 * when the system refuses.
 */
status_t shm_region_read(shm_region_t *region, uint64_t offset, void *dst, size_t n, error_t *err);
status_t shm_region_write(shm_region_t *region, uint64_t offset, const void *src, size_t n,
                          error_t *err);

/* The region's name, for messages. */
const char *shm_region_name(const shm_region_t *region);

/* Drops a reference (the descriptor closes with the last one); NULL is a no-op. */
void shm_region_release(shm_region_t *region);

#endif
