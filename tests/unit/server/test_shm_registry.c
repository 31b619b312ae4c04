/*
 * The shared memory registry against real POSIX shared memory objects
 * (created here as a client would): registering and its refusals, the
 * window checks on every use, bytes read and written exactly, a region
 * unregistered while held, an object shrunk or unlinked after it was
 * registered, objects that are not shared memory, and the region limit.
 * Run under ASan, it also shows that nothing leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "shm_registry.h"

/* Object bytes the tests create. */
#define OBJECT_BYTES 4096

/* Keys of this process's objects: "/inferd-test-shm-<pid>-<tag>". */
static void object_key(char *key, size_t size, const char *tag)
{
    snprintf(key, size, "/inferd-test-shm-%d-%s", (int)getpid(), tag);
}

/* A new object of `bytes` bytes holding 0, 1, 2 ... (mod 251); its descriptor. */
static int create_object(const char *key, size_t bytes)
{
    int fd = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0600);
    unsigned char buf[256];

    CHECK(fd >= 0);
    if (fd < 0)
        return -1;
    CHECK(ftruncate(fd, (off_t)bytes) == 0);
    for (size_t at = 0; at < bytes; at += sizeof buf) {
        size_t n = bytes - at < sizeof buf ? bytes - at : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)((at + i) % 251);
        CHECK(pwrite(fd, buf, n, (off_t)at) == (ssize_t)n);
    }
    return fd;
}

static void expect(int line, status_t st, const error_t *err, status_t want, const char *needle)
{
    if (st != want) {
        fprintf(stderr, "line %d: status %s, expected %s (%s)\n", line, status_name(st),
                status_name(want), err->message);
        check_failures++;
    }
    if (needle && !strstr(err->message, needle)) {
        fprintf(stderr, "line %d: message \"%s\" lacks \"%s\"\n", line, err->message, needle);
        check_failures++;
    }
}

#define EXPECT(call, want, needle)                                                                 \
    do {                                                                                           \
        memset(&err, 0, sizeof err);                                                               \
        expect(__LINE__, (call), &err, (want), (needle));                                          \
    } while (0)

static void test_register_and_status(void)
{
    shm_registry_t *r = shm_registry_create();
    char key[64], missing[64];
    kserve_shm_region_t *regions = NULL;
    shm_registry_counts_t counts;
    error_t err;
    int fd, n = 0;

    object_key(key, sizeof key, "a");
    object_key(missing, sizeof missing, "missing");
    fd = create_object(key, OBJECT_BYTES);
    CHECK(r != NULL);
    EXPECT(shm_registry_register(r, "in", key, 0, 64, &err), STATUS_OK, NULL);
    EXPECT(shm_registry_register(r, "out", key, 1024, OBJECT_BYTES - 1024, &err), STATUS_OK, NULL);
    EXPECT(shm_registry_register(r, "in", key, 0, 64, &err), STATUS_ALREADY_EXISTS,
           "'in' is already registered");
    EXPECT(shm_registry_register(r, "x", missing, 0, 64, &err), STATUS_INVALID_ARGUMENT,
           "No such file or directory");
    EXPECT(shm_registry_register(r, "x", "noslash", 0, 64, &err), STATUS_INVALID_ARGUMENT,
           "must be '/'");
    EXPECT(shm_registry_register(r, "a/b", key, 0, 64, &err), STATUS_INVALID_ARGUMENT,
           "character 1");
    EXPECT(shm_registry_register(r, "x", key, 0, 0, &err), STATUS_INVALID_ARGUMENT,
           "byte_size must be at least 1");
    EXPECT(shm_registry_register(r, "x", key, 4000, 97, &err), STATUS_INVALID_ARGUMENT,
           "offset + byte_size = 4097 runs past the end");
    EXPECT(shm_registry_register(r, "x", key, OBJECT_BYTES, 1, &err), STATUS_INVALID_ARGUMENT,
           "runs past the end");
    EXPECT(shm_registry_register(r, "x", key, UINT64_MAX, 2, &err), STATUS_INVALID_ARGUMENT,
           "past the largest object size");
    EXPECT(shm_registry_register(r, "x", key, (uint64_t)INT64_MAX, 1, &err),
           STATUS_INVALID_ARGUMENT, "past the largest object size");

    EXPECT(shm_registry_status(r, NULL, &regions, &n, &err), STATUS_OK, NULL);
    CHECK(n == 2 && regions);
    for (int i = 0; regions && i < n; i++) {
        bool in = strcmp(regions[i].name, "in") == 0;
        CHECK(in || strcmp(regions[i].name, "out") == 0);
        CHECK(strcmp(regions[i].key, key) == 0);
        CHECK(regions[i].offset == (in ? 0 : 1024));
        CHECK(regions[i].byte_size == (in ? 64 : OBJECT_BYTES - 1024));
    }
    free(regions);
    EXPECT(shm_registry_status(r, "out", &regions, &n, &err), STATUS_OK, NULL);
    CHECK(n == 1 && regions && regions[0].offset == 1024);
    free(regions);
    EXPECT(shm_registry_status(r, "nope", &regions, &n, &err), STATUS_NOT_FOUND,
           "no shared memory region 'nope'");
    CHECK(n == 0 && regions == NULL);
    shm_registry_counts(r, &counts);
    CHECK(counts.regions == 2 && counts.bytes_read == 0 && counts.bytes_written == 0);

    /* Unregistering is by name, twice is fine, and NULL takes every region. */
    shm_registry_unregister(r, "in");
    shm_registry_unregister(r, "in");
    EXPECT(shm_registry_status(r, "in", &regions, &n, &err), STATUS_NOT_FOUND, NULL);
    EXPECT(shm_registry_register(r, "in", key, 0, 64, &err), STATUS_OK, NULL);
    shm_registry_unregister(r, NULL);
    EXPECT(shm_registry_status(r, NULL, &regions, &n, &err), STATUS_OK, NULL);
    CHECK(n == 0 && regions == NULL);
    shm_registry_free(r);
    if (fd >= 0)
        close(fd);
    shm_unlink(key);
}

static void test_use(void)
{
    shm_registry_t *r = shm_registry_create();
    shm_region_t *in = NULL, *out = NULL, *held = NULL;
    shm_registry_counts_t counts;
    unsigned char buf[128], back[64];
    char key[64], key2[64];
    error_t err;
    int fd, fd2;

    object_key(key, sizeof key, "use");
    object_key(key2, sizeof key2, "use2");
    fd = create_object(key, OBJECT_BYTES);
    CHECK(r != NULL);
    EXPECT(shm_registry_register(r, "win", key, 1000, 100, &err), STATUS_OK, NULL);

    /* The window is the region's: offsets count from its start, ends stay inside it. */
    EXPECT(shm_registry_acquire(r, "nope", 0, 1, false, &in, &err), STATUS_INVALID_ARGUMENT,
           "no shared memory region 'nope' is registered");
    EXPECT(shm_registry_acquire(r, "win", 0, 101, false, &in, &err), STATUS_INVALID_ARGUMENT,
           "offset 0 + byte_size 101 runs past its 100 bytes");
    EXPECT(shm_registry_acquire(r, "win", 101, 0, false, &in, &err), STATUS_INVALID_ARGUMENT,
           "offset 101");
    EXPECT(shm_registry_acquire(r, "win", 60, 41, true, &in, &err), STATUS_INVALID_ARGUMENT,
           "runs past");
    EXPECT(shm_registry_acquire(r, "win", UINT64_MAX, 2, false, &in, &err), STATUS_INVALID_ARGUMENT,
           "runs past");
    EXPECT(shm_registry_acquire(r, "win", 2, UINT64_MAX, false, &in, &err), STATUS_INVALID_ARGUMENT,
           "runs past");
    CHECK(in == NULL);
    EXPECT(shm_registry_acquire(r, "win", 100, 0, false, &in, &err), STATUS_OK, NULL);
    shm_region_release(in);

    EXPECT(shm_registry_acquire(r, "win", 36, 64, false, &in, &err), STATUS_OK, NULL);
    EXPECT(in ? shm_region_read(in, 36, buf, 64, &err) : STATUS_INTERNAL, STATUS_OK, NULL);
    for (int i = 0; i < 64; i++)
        CHECK(buf[i] == (unsigned char)((1000 + 36 + i) % 251));
    EXPECT(shm_registry_acquire(r, "win", 0, 64, true, &out, &err), STATUS_OK, NULL);
    for (int i = 0; i < 64; i++)
        buf[i] = (unsigned char)(255 - i);
    EXPECT(out ? shm_region_write(out, 0, buf, 64, &err) : STATUS_INTERNAL, STATUS_OK, NULL);
    CHECK(pread(fd, back, 64, 1000) == 64 && memcmp(back, buf, 64) == 0);
    shm_registry_counts(r, &counts);
    CHECK(counts.bytes_read == 64 && counts.bytes_written == 64);

    /* Unregistered while held: the name goes now, the object stays usable until released. */
    held = out;
    shm_registry_unregister(r, "win");
    CHECK(strcmp(shm_region_name(held), "win") == 0);
    fd2 = create_object(key2, OBJECT_BYTES);
    EXPECT(shm_registry_register(r, "win", key2, 0, 100, &err), STATUS_OK, NULL);
    memset(back, 0, sizeof back);
    EXPECT(shm_region_read(in, 0, back, 64, &err), STATUS_OK, NULL);
    CHECK(memcmp(back, buf, 64) == 0); /* the first object, not the new one */
    shm_region_release(in);
    shm_region_release(held);

    /* Unlinked by its client: the descriptor still names the object. */
    shm_unlink(key2);
    EXPECT(shm_registry_acquire(r, "win", 0, 100, true, &out, &err), STATUS_OK, NULL);
    EXPECT(out ? shm_region_write(out, 10, "abc", 3, &err) : STATUS_INTERNAL, STATUS_OK, NULL);
    CHECK(pread(fd2, back, 3, 10) == 3 && memcmp(back, "abc", 3) == 0);

    /* Shrunk by its client: every use checks the size again, and refuses. */
    CHECK(ftruncate(fd2, 50) == 0);
    EXPECT(out ? shm_region_read(out, 0, buf, 64, &err) : STATUS_INTERNAL, STATUS_INVALID_ARGUMENT,
           "is now 50 bytes, shorter than the 64");
    EXPECT(out ? shm_region_write(out, 40, buf, 20, &err) : STATUS_INTERNAL,
           STATUS_INVALID_ARGUMENT, "the object shrank after it was registered");
    EXPECT(out ? shm_region_read(out, 0, buf, 50, &err) : STATUS_INTERNAL, STATUS_OK, NULL);
    shm_region_release(out);
    /* Grown back, usable again; the size it had at registration is what counts. */
    CHECK(ftruncate(fd2, OBJECT_BYTES) == 0);
    EXPECT(shm_registry_acquire(r, "win", 0, 100, false, &in, &err), STATUS_OK, NULL);
    EXPECT(in ? shm_region_read(in, 0, buf, 100, &err) : STATUS_INTERNAL, STATUS_OK, NULL);
    shm_region_release(in);

    shm_registry_free(r);
    close(fd);
    close(fd2);
    shm_unlink(key);
}

/* Keys naming something other than a shared memory object are refused, without waiting. */
static void test_not_objects(void)
{
    shm_registry_t *r = shm_registry_create();
    char dir[64], fifo[64], link[64], target[64], path[128];
    error_t err;
    int fd;

    object_key(dir, sizeof dir, "dir");
    object_key(fifo, sizeof fifo, "fifo");
    object_key(link, sizeof link, "link");
    object_key(target, sizeof target, "target");
    fd = create_object(target, OBJECT_BYTES);
    snprintf(path, sizeof path, "/dev/shm%s", dir);
    CHECK(mkdir(path, 0700) == 0);
    EXPECT(shm_registry_register(r, "d", dir, 0, 1, &err), STATUS_INVALID_ARGUMENT, dir);
    rmdir(path);
    snprintf(path, sizeof path, "/dev/shm%s", fifo);
    CHECK(mkfifo(path, 0600) == 0);
    EXPECT(shm_registry_register(r, "f", fifo, 0, 1, &err), STATUS_INVALID_ARGUMENT,
           "not a regular file");
    unlink(path);
    snprintf(path, sizeof path, "/dev/shm%s", link);
    CHECK(symlink(target + 1, path) == 0);
    EXPECT(shm_registry_register(r, "l", link, 0, 1, &err), STATUS_INVALID_ARGUMENT,
           "cannot open key");
    unlink(path);
    shm_registry_free(r);
    if (fd >= 0)
        close(fd);
    shm_unlink(target);
}

static void test_limit(void)
{
    shm_registry_t *r = shm_registry_create();
    shm_registry_counts_t counts;
    char key[64], name[32];
    error_t err;
    int fd;

    object_key(key, sizeof key, "limit");
    fd = create_object(key, OBJECT_BYTES);
    for (int i = 0; i < SHM_REGISTRY_MAX_REGIONS; i++) {
        snprintf(name, sizeof name, "r%d", i);
        EXPECT(shm_registry_register(r, name, key, (uint64_t)i, 1, &err), STATUS_OK, NULL);
    }
    EXPECT(shm_registry_register(r, "one-more", key, 0, 1, &err), STATUS_LIMIT_EXCEEDED,
           "256 regions are registered, the limit");
    shm_registry_counts(r, &counts);
    CHECK(counts.regions == SHM_REGISTRY_MAX_REGIONS);
    shm_registry_unregister(r, "r7");
    EXPECT(shm_registry_register(r, "one-more", key, 0, 1, &err), STATUS_OK, NULL);
    shm_registry_free(r);
    if (fd >= 0)
        close(fd);
    shm_unlink(key);
}

int main(void)
{
    /* Registrations are logged at info: the limit test alone would print hundreds of lines. */
    log_init(LOG_WARN, LOG_FORMAT_TEXT);
    test_register_and_status();
    test_use();
    test_not_objects();
    test_limit();
    CHECK_DONE();
}
