/*
 * thread_policy.c - why inferd re-executes itself once at startup.
 *
 * After a parallel region, libgomp's threads by default spin for a while
 * waiting for the next one. A model server shares its few cores with the
 * HTTP and gRPC threads, the other model instances and often other
 * containers; spinning threads then take the cores the work needs. On the
 * 2-core machine this was measured on (scripts/bench_ort.py's models),
 * MobileNetV2 at 2 threads ran in 20-26 ms with the default and 10-11 ms
 * with OMP_WAIT_POLICY=passive. libgomp reads the variable once, when it is
 * loaded, before main runs; the one way to set it from inside the program
 * is to run the program again with it in the environment.
 */
#include "thread_policy.h"

#include <stdlib.h>
#include <unistd.h>

void thread_policy_apply(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
}
