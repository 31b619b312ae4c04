/*
 * cpu_isa.c - the CPU's instruction set level, capped by INFERD_MAX_ISA,
 * and the same cap handed to oneDNN.
 */
#include "cpu_isa.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

static const char *const isa_names[] = {
    [CPU_ISA_GENERIC] = "generic",
    [CPU_ISA_AVX2] = "avx2",
    [CPU_ISA_AVX512] = "avx512",
};

static cpu_isa_t level = CPU_ISA_GENERIC;
static pthread_once_t level_once = PTHREAD_ONCE_INIT;

cpu_isa_t cpu_isa_native(void)
{
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return CPU_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CPU_ISA_AVX2;
    return CPU_ISA_GENERIC;
}

const char *cpu_isa_name(cpu_isa_t isa)
{
    return (unsigned)isa < sizeof isa_names / sizeof *isa_names ? isa_names[isa] : "unknown";
}

bool cpu_isa_parse(const char *text, cpu_isa_t *isa)
{
    for (size_t i = 0; i < sizeof isa_names / sizeof *isa_names; i++)
        if (strcmp(text, isa_names[i]) == 0) {
            *isa = (cpu_isa_t)i;
            return true;
        }
    return false;
}

/*
 * oneDNN's cap for a level. oneDNN has no plain-C level: its lowest, SSE4.1,
 * is what every x86-64 server has, and the closest to "generic".
 */
static dnnl_cpu_isa_t dnnl_cap(cpu_isa_t isa)
{
    switch (isa) {
    case CPU_ISA_GENERIC:
        return dnnl_cpu_isa_sse41;
    case CPU_ISA_AVX2:
        return dnnl_cpu_isa_avx2;
    default:
        return dnnl_cpu_isa_avx512_core;
    }
}

static void read_level(void)
{
    const char *cap_text = getenv(CPU_ISA_ENV);
    cpu_isa_t cap;

    level = cpu_isa_native();
    if (!cap_text || !cpu_isa_parse(cap_text, &cap) || cap >= level)
        return;
    level = cap;
    /*
     * oneDNN accepts this only before its first primitive; cpu_isa() runs
     * first in every path that creates one (conv_dnnl.c's engine).
     */
    if (!getenv("ONEDNN_MAX_CPU_ISA") && !getenv("DNNL_MAX_CPU_ISA"))
        dnnl_set_max_cpu_isa(dnnl_cap(cap));
}

cpu_isa_t cpu_isa(void)
{
    pthread_once(&level_once, read_level);
    return level;
}

status_t cpu_isa_check_env(error_t *err)
{
    const char *text = getenv(CPU_ISA_ENV);
    cpu_isa_t isa;

    if (text && !cpu_isa_parse(text, &isa))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s='%s' is not an instruction set level (generic, avx2 or avx512)",
                         CPU_ISA_ENV, text);
    return STATUS_OK;
}
