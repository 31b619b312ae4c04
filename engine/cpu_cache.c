/*
 * cpu_cache.c - the last-level cache size, from INFERD_CACHE_BYTES or
 * /sys/devices/system/cpu/cpu0/cache/index<N>/{level,size}.
 */
#include "cpu_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Cache descriptions sysfs lists per CPU (index0 .. index<N-1>); x86 has 4 or 5. */
#define CPU_CACHE_MAX_INDEX 16

static size_t last_level_bytes = CPU_CACHE_FALLBACK_BYTES;
static pthread_once_t read_once = PTHREAD_ONCE_INIT;

/* The first integer in file path, or -1 when it cannot be read; *unit gets the letter after it. */
static long read_number(const char *path, char *unit)
{
    FILE *f = fopen(path, "r");
    long value = -1;

    *unit = '\0';
    if (!f)
        return -1;
    if (fscanf(f, "%ld%c", &value, unit) < 1)
        value = -1;
    fclose(f);
    return value;
}

bool cpu_cache_parse_bytes(const char *text, size_t *bytes)
{
    size_t value = 0;
    int shift = 0;
    const char *c = text;

    for (; *c >= '0' && *c <= '9'; c++) {
        value = value * 10 + (size_t)(*c - '0');
        if (value > CPU_CACHE_MAX_BYTES)
            return false;
    }
    if (c == text)
        return false;
    if (*c == 'K')
        shift = 10;
    else if (*c == 'M')
        shift = 20;
    else if (*c == 'G')
        shift = 30;
    if (shift)
        c++;
    if (*c != '\0' || value == 0 || value > CPU_CACHE_MAX_BYTES >> shift)
        return false;
    *bytes = value << shift;
    return true;
}

static void read_cache_size(void)
{
    const char *forced = getenv(CPU_CACHE_ENV);
    long best_level = 0;

    if (forced && cpu_cache_parse_bytes(forced, &last_level_bytes))
        return;
    for (int i = 0; i < CPU_CACHE_MAX_INDEX; i++) {
        char path[96], unit;
        long level, size;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        level = read_number(path, &unit);
        if (level < 0)
            break;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        size = read_number(path, &unit);
        if (size <= 0 || level < best_level)
            continue;
        if (unit == 'K')
            size <<= 10;
        else if (unit == 'M')
            size <<= 20;
        best_level = level;
        last_level_bytes = (size_t)size;
    }
}

size_t cpu_cache_last_level_bytes(void)
{
    pthread_once(&read_once, read_cache_size);
    return last_level_bytes;
}
