/*
 * shm_registry.c - registering, finding and using system shared memory
 * regions (shm_registry.h says why descriptors and pread/pwrite, not
 * mappings).
 */
#include "shm_registry.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Object offsets and sizes are 64-bit (inferd targets 64-bit Linux). */
_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");

struct shm_region {
    kserve_shm_region_t info; /* name, key, offset, byte_size: fixed once registered */
    int fd;
    bool read_only;
    atomic_int refs;       /* the registry's, while registered, and each user's */
    shm_registry_t *owner; /* for its byte counters; outlives every region */
};

struct shm_registry {
    pthread_mutex_t lock; /* guards regions and n */
    shm_region_t *regions[SHM_REGISTRY_MAX_REGIONS];
    int n;
    atomic_uint_fast64_t bytes_read;
    atomic_uint_fast64_t bytes_written;
};

shm_registry_t *shm_registry_create(void)
{
    shm_registry_t *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    atomic_init(&r->bytes_read, 0);
    atomic_init(&r->bytes_written, 0);
    return r;
}

void shm_registry_free(shm_registry_t *r)
{
    if (!r)
        return;
    shm_registry_unregister(r, NULL);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void shm_region_release(shm_region_t *region)
{
    if (!region || atomic_fetch_sub(&region->refs, 1) != 1)
        return;
    close(region->fd);
    free(region);
}

const char *shm_region_name(const shm_region_t *region)
{
    return region->info.name;
}

/* Index of region name in r->regions, or -1. Lock held. */
static int find_locked(const shm_registry_t *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->regions[i]->info.name, name) == 0)
            return i;
    return -1;
}

/*
 * Opens key read-write, or read-only when the object allows no more; never
 * follows a symlink or waits on a FIFO (O_NONBLOCK), and the result must
 * be a regular file of at least end bytes.
 */
static status_t open_object(const char *name, const char *key, uint64_t end, int *fd,
                            bool *read_only, error_t *err)
{
    struct stat st;
    int e;

    *read_only = false;
    *fd = shm_open(key, O_RDWR | O_NONBLOCK, 0);
    if (*fd < 0 && errno == EACCES) {
        *read_only = true;
        *fd = shm_open(key, O_RDONLY | O_NONBLOCK, 0);
    }
    if (*fd < 0) {
        e = errno;
        /* Out of descriptors or memory is the server's trouble; the rest is the key's. */
        return error_set(
            err, e == EMFILE || e == ENFILE || e == ENOMEM ? STATUS_IO : STATUS_INVALID_ARGUMENT,
            "cannot register shared memory region '%s': cannot open key '%s' (%s)%s", name, key,
            strerror(e),
            e == ENOENT ? ": the client creates the object (shm_open) before "
                          "registering it"
                        : "");
    }
    if (fstat(*fd, &st) != 0) {
        e = errno;
        close(*fd);
        *fd = -1;
        return error_set(err, STATUS_IO,
                         "cannot register shared memory region '%s': fstat of "
                         "key '%s': %s",
                         name, key, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "cannot register shared memory region '%s': key '%s' is not a shared "
                         "memory object (not a regular file)",
                         name, key);
    }
    if ((uint64_t)st.st_size < end) {
        close(*fd);
        *fd = -1;
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "cannot register shared memory region '%s': offset + byte_size = %" PRIu64
                         " runs past the end of key '%s' (%lld bytes)",
                         name, end, key, (long long)st.st_size);
    }
    return STATUS_OK;
}

status_t shm_registry_register(shm_registry_t *r, const char *name, const char *key,
                               uint64_t offset, uint64_t byte_size, error_t *err)
{
    shm_region_t *region = NULL;
    status_t st;

    st = kserve_shm_check_name(name, strlen(name), err);
    if (st == STATUS_OK)
        st = kserve_shm_check_key(key, strlen(key), err);
    if (st)
        return st;
    if (byte_size == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "cannot register shared memory region '%s': byte_size must be at least 1",
                         name);
    /* Object offsets are off_t: the window must end below 2^63. */
    if (offset > (uint64_t)INT64_MAX || byte_size > (uint64_t)INT64_MAX - offset)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "cannot register shared memory region '%s': offset %" PRIu64
                         " + byte_size %" PRIu64 " is past the largest object size",
                         name, offset, byte_size);
    region = calloc(1, sizeof *region);
    if (!region)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory registering region '%s'", name);
    region->fd = -1;
    st = open_object(name, key, offset + byte_size, &region->fd, &region->read_only, err);
    if (st) {
        free(region);
        return st;
    }
    /* Both fit: the checks above bound them. */
    strcpy(region->info.name, name);
    strcpy(region->info.key, key);
    region->info.offset = offset;
    region->info.byte_size = byte_size;
    region->owner = r;
    atomic_init(&region->refs, 1);

    pthread_mutex_lock(&r->lock);
    if (find_locked(r, name) >= 0)
        st =
            error_set(err, STATUS_ALREADY_EXISTS,
                      "shared memory region '%s' is already registered: unregister it first", name);
    else if (r->n == SHM_REGISTRY_MAX_REGIONS)
        st = error_set(err, STATUS_LIMIT_EXCEEDED,
                       "cannot register shared memory region '%s': %d regions are registered, "
                       "the limit",
                       name, SHM_REGISTRY_MAX_REGIONS);
    else
        r->regions[r->n++] = region;
    pthread_mutex_unlock(&r->lock);
    if (st) {
        shm_region_release(region);
        return st;
    }
    log_info("shared memory region '%s' registered: key %s, offset %" PRIu64 ", %" PRIu64
             " bytes%s",
             name, key, offset, byte_size, region->read_only ? ", read-only (inputs only)" : "");
    return STATUS_OK;
}

void shm_registry_unregister(shm_registry_t *r, const char *name)
{
    shm_region_t *gone[SHM_REGISTRY_MAX_REGIONS];
    int n = 0;

    pthread_mutex_lock(&r->lock);
    for (int i = r->n - 1; i >= 0; i--) {
        if (name && strcmp(r->regions[i]->info.name, name) != 0)
            continue;
        gone[n++] = r->regions[i];
        r->regions[i] = r->regions[--r->n];
    }
    pthread_mutex_unlock(&r->lock);
    /* Outside the lock: a last reference closes a descriptor. */
    for (int i = 0; i < n; i++) {
        log_info("shared memory region '%s' unregistered", gone[i]->info.name);
        shm_region_release(gone[i]);
    }
}

status_t shm_registry_status(shm_registry_t *r, const char *name, kserve_shm_region_t **out, int *n,
                             error_t *err)
{
    status_t st = STATUS_OK;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&r->lock);
    if (r->n > 0)
        *out = malloc((size_t)r->n * sizeof **out);
    if (r->n > 0 && !*out) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory listing shared memory regions");
        goto cleanup;
    }
    for (int i = 0; i < r->n; i++)
        if (!name || strcmp(r->regions[i]->info.name, name) == 0)
            (*out)[(*n)++] = r->regions[i]->info;
    if (name && *n == 0)
        st = error_set(err, STATUS_NOT_FOUND, "no shared memory region '%s' is registered", name);

cleanup:
    pthread_mutex_unlock(&r->lock);
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

void shm_registry_counts(shm_registry_t *r, shm_registry_counts_t *out)
{
    pthread_mutex_lock(&r->lock);
    out->regions = r->n;
    pthread_mutex_unlock(&r->lock);
    out->bytes_read = atomic_load_explicit(&r->bytes_read, memory_order_relaxed);
    out->bytes_written = atomic_load_explicit(&r->bytes_written, memory_order_relaxed);
}

status_t shm_registry_acquire(shm_registry_t *r, const char *name, uint64_t offset,
                              uint64_t byte_size, bool write, shm_region_t **out, error_t *err)
{
    shm_region_t *region = NULL;
    status_t st = STATUS_OK;
    int i;

    *out = NULL;
    pthread_mutex_lock(&r->lock);
    i = find_locked(r, name);
    if (i >= 0) {
        region = r->regions[i];
        atomic_fetch_add(&region->refs, 1);
    }
    pthread_mutex_unlock(&r->lock);
    if (!region)
        return error_set(err, STATUS_INVALID_ARGUMENT, "no shared memory region '%s' is registered",
                         name);
    if (offset > region->info.byte_size || byte_size > region->info.byte_size - offset)
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "shared memory region '%s': offset %" PRIu64 " + byte_size %" PRIu64
                       " runs past its %" PRIu64 " bytes",
                       name, offset, byte_size, region->info.byte_size);
    else if (write && region->read_only)
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "shared memory region '%s' is read-only (the server may only read key "
                       "'%s'): it can hold inputs, not outputs",
                       name, region->info.key);
    if (st) {
        shm_region_release(region);
        return st;
    }
    *out = region;
    return STATUS_OK;
}

/*
 * The object offset of [offset, offset + n) of the region, once the
 * object is still long enough to hold it.
 */
static status_t object_range(const shm_region_t *region, uint64_t offset, size_t n, off_t *start,
                             error_t *err)
{
    const kserve_shm_region_t *info = &region->info;
    struct stat st;
    uint64_t end;

    /* shm_registry_acquire checked the window the caller uses. */
    assert(offset <= info->byte_size && n <= info->byte_size - offset);
    if (offset > info->byte_size || n > info->byte_size - offset)
        return error_set(err, STATUS_INTERNAL,
                         "shared memory region '%s': %zu bytes at %" PRIu64 " are outside it",
                         info->name, n, offset);
    /* Registration bounded offset + byte_size below 2^63. */
    end = info->offset + offset + n;
    if (fstat(region->fd, &st) != 0)
        return error_set(err, STATUS_IO, "shared memory region '%s': fstat of key '%s': %s",
                         info->name, info->key, strerror(errno));
    if ((uint64_t)st.st_size < end)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "shared memory region '%s': key '%s' is now %lld bytes, shorter than "
                         "the %" PRIu64 " the data needs: the object shrank after it was "
                         "registered",
                         info->name, info->key, (long long)st.st_size, end);
    *start = (off_t)(info->offset + offset);
    return STATUS_OK;
}

status_t shm_region_read(shm_region_t *region, uint64_t offset, void *dst, size_t n, error_t *err)
{
    size_t done = 0;
    off_t start;
    status_t st = object_range(region, offset, n, &start, err);

    while (st == STATUS_OK && done < n) {
        ssize_t got = pread(region->fd, (char *)dst + done, n - done, start + (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            st = error_set(err, STATUS_IO, "shared memory region '%s': reading key '%s': %s",
                           region->info.name, region->info.key, strerror(errno));
        else if (got == 0)
            st = error_set(err, STATUS_INVALID_ARGUMENT,
                           "shared memory region '%s': key '%s' ended %zu bytes short of the "
                           "data: the object shrank while it was read",
                           region->info.name, region->info.key, n - done);
        else
            done += (size_t)got;
    }
    if (st == STATUS_OK)
        atomic_fetch_add_explicit(&region->owner->bytes_read, n, memory_order_relaxed);
    return st;
}

status_t shm_region_write(shm_region_t *region, uint64_t offset, const void *src, size_t n,
                          error_t *err)
{
    size_t done = 0;
    off_t start;
    status_t st = object_range(region, offset, n, &start, err);

    assert(!region->read_only);
    while (st == STATUS_OK && done < n) {
        ssize_t put = pwrite(region->fd, (const char *)src + done, n - done, start + (off_t)done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            st = error_set(err, STATUS_IO, "shared memory region '%s': writing key '%s': %s",
                           region->info.name, region->info.key,
                           put < 0 ? strerror(errno) : "nothing written");
        else
            done += (size_t)put;
    }
    if (st == STATUS_OK)
        atomic_fetch_add_explicit(&region->owner->bytes_written, n, memory_order_relaxed);
    return st;
}
