/*
 * thread_policy.c - why inferd re-executes itself once at startup.
 *
 * After a parallel region, libgomp's threads spin waiting for the next one,
 * by default for up to 300000 rounds, then sleep. A model server shares
 * its few cores with the HTTP and gRPC threads, other model instances and
 * often other containers, and a long spin takes the cores the work needs;
 * sleeping at once (OMP_WAIT_POLICY=passive) instead pays a futex wake-up
 * for every one of a model's many regions. Measured on this project's
 * 2-core machine, MobileNetV2 at 2 threads, batch 1 (ms):
 *
 *   policy                 idle machine   one busy process beside it
 *   default (long spin)    -              20-26
 *   passive                11.0           11.1
 *   GOMP_SPINCOUNT=20000   5.6            14.8
 *   GOMP_SPINCOUNT=5000    -              25.7
 *
 * A short spin keeps most of the idle-machine speed and bounds what a
 * waiting thread takes from a busy one. libgomp reads these variables once,
 * when it is loaded, before main runs; the one way to set them from inside
 * the program is to run the program again with them in the environment.
 */
#include "thread_policy.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Spin rounds before a waiting kernel thread sleeps (tens of microseconds here). */
#define THREAD_POLICY_SPIN_COUNT "20000"

/*
 * The kernel names a process after the file it executes, so the re-executed
 * server would be "exe" to ps, top and pgrep (and so would every thread it
 * starts, since threads inherit the name): give it back its own.
 */
static void keep_program_name(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');

    (void)prctl(PR_SET_NAME, slash ? slash + 1 : argv0);
}

void thread_policy_apply(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) {
        keep_program_name(argv[0]);
        return;
    }
    if (setenv("GOMP_SPINCOUNT", THREAD_POLICY_SPIN_COUNT, 1) != 0)
        return;
    /*
     * inferd calls OpenBLAS on one thread only (kernels/conv/conv_f32.c); its
     * pthread pool, started when the library loads, would otherwise park
     * one idle thread per core but one. A user's own setting stays.
     */
    (void)setenv("OPENBLAS_NUM_THREADS", "1", 0);
    execv("/proc/self/exe", argv);
}
