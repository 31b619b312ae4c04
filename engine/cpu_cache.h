/*
 * cpu_cache.h - the size of the last-level cache, which decides how large
 * a sub-batch's activations may grow before they spill to memory.
 */
#ifndef INFERD_CPU_CACHE_H
#define INFERD_CPU_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Bytes of the highest cache level CPU 0 has, as the kernel's sysfs
 * describes it (the cache one core shares with its neighbours, which is
 * what a process on those cores can fill), or CPU_CACHE_FALLBACK_BYTES
 * when sysfs is missing. The environment variable CPU_CACHE_ENV (see
 * cpu_cache_parse_bytes) overrides both (for a host that misreports its cache, and for
 * tests). Read once; safe from any thread.
 */
size_t cpu_cache_last_level_bytes(void);

/*
 * What is assumed without sysfs: a common L3 per core complex. glibc's
 * sysconf(_SC_LEVEL3_CACHE_SIZE) is not used, since in a VM it reports
 * the host chip's total (256 MiB where the guest's cores share 32).
 */
#define CPU_CACHE_FALLBACK_BYTES ((size_t)32 << 20)

#define CPU_CACHE_ENV "INFERD_CACHE_BYTES"

/*
 * Parses CPU_CACHE_ENV's value: a positive whole number of bytes, with an
 * optional K, M or G suffix (powers of 1024, as sysfs writes sizes). Any
 * other text (a sign, a fraction, trailing characters, zero, more than
 * CPU_CACHE_MAX_BYTES) returns false and leaves *bytes alone, so that
 * "32MB" or "-1" falls back to sysfs instead of meaning 32 or a huge size.
 */
bool cpu_cache_parse_bytes(const char *text, size_t *bytes);

/* Largest override accepted: far above any cache, far below overflow. */
#define CPU_CACHE_MAX_BYTES ((size_t)1 << 40)

#endif
