/*
 * replay_main.c - runs a fuzz harness without libFuzzer: every file named on
 * the command line, and every file in every folder named (in name order),
 * goes through LLVMFuzzerTestOneInput once. ctest runs it over the seed
 * corpus and the committed reproducers of each target (fuzz.replay.*), so
 * every build, GCC's included, replays what the fuzzers once found.
 *
 * The replays hold the harness to the limits scripts/fuzz.sh gives
 * libFuzzer: an allocation over REPLAY_MAX_ALLOCATION aborts. Under ASan
 * its max_allocation_size_mb does that; elsewhere malloc and friends are
 * wrapped here around glibc's own (__libc_malloc ...), so a reproducer of
 * a 16 GiB allocation fails the test instead of exhausting the machine.
 */
#define _DEFAULT_SOURCE /* strdup */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The harness's entry point, declared here: this file needs nothing else of fuzz_util.h. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest single allocation a replayed input may cause (scripts/fuzz.sh's -malloc_limit_mb). */
#define REPLAY_MAX_ALLOCATION_MB 512
#define REPLAY_MAX_ALLOCATION    ((size_t)REPLAY_MAX_ALLOCATION_MB << 20)
/* Largest input file replayed (libFuzzer's inputs are far smaller). */
#define REPLAY_MAX_INPUT (64u << 20)
/* Files one folder may hold. */
#define REPLAY_MAX_FILES 4096

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_ASAN 1
#endif

#ifdef REPLAY_ASAN
#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)
/* ASan reads its defaults here; ASAN_OPTIONS still overrides them. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=" STRINGIFY(
        REPLAY_MAX_ALLOCATION_MB) ":allocator_may_return_null=0";
}
#else
/* glibc's own allocator, which no header declares. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
/* Not in <stdlib.h> under the standards this file asks for. */
void *memalign(size_t align, size_t size);

/* The allocation is over the limit: report it with its size and stop. */
static void over_limit(size_t size)
{
    char message[128];
    int n = snprintf(message, sizeof message,
                     "replay: an allocation of %zu bytes is over the limit of %zu\n", size,
                     REPLAY_MAX_ALLOCATION);
    fwrite(message, 1, (size_t)n, stderr);
    abort();
}

void *malloc(size_t size)
{
    if (size > REPLAY_MAX_ALLOCATION)
        over_limit(size);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (size && n > REPLAY_MAX_ALLOCATION / size)
        over_limit(n > SIZE_MAX / size ? SIZE_MAX : n * size);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (size > REPLAY_MAX_ALLOCATION)
        over_limit(size);
    return __libc_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    if (size > REPLAY_MAX_ALLOCATION)
        over_limit(size);
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    if (size > REPLAY_MAX_ALLOCATION)
        over_limit(size);
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;

    if (size > REPLAY_MAX_ALLOCATION)
        over_limit(size);
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
#endif

/* libFuzzer calls LLVMFuzzerInitialize when the harness defines it; so does the replay. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Runs one file through the harness; false when it cannot be read. */
static bool replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *data = NULL;
    bool ok = false;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    if (fstat(fileno(f), &st) != 0 || st.st_size > (off_t)REPLAY_MAX_INPUT) {
        fprintf(stderr, "replay: %s is not a readable input of at most %u bytes\n", path,
                REPLAY_MAX_INPUT);
        goto cleanup;
    }
    /* One byte more, so an empty file still gets a valid pointer. */
    data = malloc((size_t)st.st_size + 1);
    if (!data || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        goto cleanup;
    }
    fprintf(stderr, "replay: %s (%lld bytes)\n", path, (long long)st.st_size);
    LLVMFuzzerTestOneInput(data, (size_t)st.st_size);
    ok = true;
cleanup:
    free(data);
    fclose(f);
    return ok;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in dir, in name order; the count, or -1 on a failure. */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[REPLAY_MAX_FILES];
    struct dirent *e;
    int n = 0, done = 0;

    if (!d) {
        fprintf(stderr, "replay: cannot open folder %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) && n < REPLAY_MAX_FILES) {
        if (e->d_name[0] == '.')
            continue;
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (done >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            done = replay_file(path) ? done + 1 : -1;
        free(names[i]);
    }
    return done;
}

int main(int argc, char **argv)
{
    int total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int n;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) ? 1 : -1;
        if (n < 0)
            return 1;
        total += n;
    }
    fprintf(stderr, "replay: %d inputs, none failed\n", total);
    return 0;
}
