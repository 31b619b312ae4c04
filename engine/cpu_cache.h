/*
 * cpu_cache.h - the size of the last-level cache, which decides how large
 * a sub-batch's activations may grow before they spill to memory.
 */
#ifndef INFERD_CPU_CACHE_H
#define INFERD_CPU_CACHE_H

#include <stddef.h>

/*
 * Bytes of the highest cache level CPU 0 has, as the kernel's sysfs
 * describes it (the cache one core shares with its neighbours, which is
 * what a process on those cores can fill), or CPU_CACHE_FALLBACK_BYTES
 * when sysfs is missing. The environment variable CPU_CACHE_ENV, a byte
 * count, overrides both (for a host that misreports its cache, and for
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

#endif
