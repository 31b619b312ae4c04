/*
 * monotonic.h - milliseconds on CLOCK_MONOTONIC, for the server's drain
 * deadlines and its rate-limited warnings: never stepped by the wall clock.
 */
#ifndef INFERD_MONOTONIC_H
#define INFERD_MONOTONIC_H

#include <stdint.h>
#include <time.h>

static inline int64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
