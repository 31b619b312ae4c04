/*
 * random_stream.c - splitmix64 (Steele, Lea and Flood): a 64-bit counter
 * advanced by the golden-ratio constant, finalised by two
 * multiply-xorshift rounds. Fast, stateless across calls and good enough
 * for sampling; not for cryptography.
 */
#include "random.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SPLITMIX_GAMMA UINT64_C(0x9e3779b97f4a7c15)

static uint64_t next(random_stream_t *s)
{
    uint64_t z = (s->state += SPLITMIX_GAMMA);

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void random_stream_init(random_stream_t *s, bool seeded, float seed)
{
    static atomic_uint_fast64_t counter;

    if (seeded) {
        uint32_t bits;
        memcpy(&bits, &seed, sizeof bits);
        s->state = bits;
    } else {
        /*
         * Each unseeded call starts 2^40 draws past the previous one in this
         * process, from an origin mixing the clock's nanoseconds and the
         * process id, so that processes started together differ too.
         */
        const uint64_t n = atomic_fetch_add(&counter, 1);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        s->state =
            ((uint64_t)now.tv_sec * UINT64_C(1000000000) + (uint64_t)now.tv_nsec) * SPLITMIX_GAMMA ^
            ((uint64_t)getpid() << 32) ^ (n << 40);
    }
    (void)next(s);
}

double random_uniform(random_stream_t *s)
{
    return (double)(next(s) >> 11) * (1.0 / 9007199254740992.0);
}

double random_normal(random_stream_t *s)
{
    const double two_pi = 6.28318530717958647692;
    /* 1 - u is in (0, 1], so the logarithm is finite. */
    const double u1 = 1.0 - random_uniform(s), u2 = random_uniform(s);

    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}
