/*
 * cpu_isa.h - which instruction set inferd's own kernels dispatch on.
 *
 * Every kernel with ISA variants asks cpu_isa() and runs the best variant
 * at or below it. The level is what the CPU has, capped by the environment
 * variable CPU_ISA_ENV (generic, avx2 or avx512), the way
 * ONEDNN_MAX_CPU_ISA caps oneDNN: one AVX-512 machine can then run and test
 * the AVX2 and generic paths too. The same cap is passed on to oneDNN
 * (unless ONEDNN_MAX_CPU_ISA is set), so that capping inferd caps the whole
 * engine.
 */
#ifndef INFERD_CPU_ISA_H
#define INFERD_CPU_ISA_H

#include <stdbool.h>

#include "status.h"

/* Ordered: a level includes everything below it. */
typedef enum cpu_isa {
    CPU_ISA_GENERIC = 0, /* plain C */
    CPU_ISA_AVX2,        /* AVX2 + FMA (Haswell, Zen 1 and later) */
    CPU_ISA_AVX512,      /* AVX-512 F, BW, DQ and VL (Skylake-SP, Zen 4 and later) */
} cpu_isa_t;

#define CPU_ISA_ENV "INFERD_MAX_ISA"

/* The best level this CPU supports, whatever the cap. */
cpu_isa_t cpu_isa_native(void);

/*
 * The level kernels dispatch on: the native level capped by CPU_ISA_ENV
 * (an unreadable value caps nothing; cpu_isa_check_env reports it). Read
 * once; safe from any thread.
 */
cpu_isa_t cpu_isa(void);

/* "generic", "avx2" or "avx512". */
const char *cpu_isa_name(cpu_isa_t isa);

/* Parses a level's name; false for anything else. */
bool cpu_isa_parse(const char *text, cpu_isa_t *isa);

/*
 * Fails with STATUS_INVALID_ARGUMENT, naming the value, when CPU_ISA_ENV is
 * set to something cpu_isa_parse refuses. Programs call it at startup so a
 * typo stops them instead of being ignored.
 */
status_t cpu_isa_check_env(error_t *err);

#endif
