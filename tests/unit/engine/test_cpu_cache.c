/* cpu_cache: what INFERD_CACHE_BYTES accepts, and that an accepted value overrides sysfs. */
#include <stdlib.h>

#include "check.h"
#include "cpu_cache.h"

static void test_accepted(void)
{
    static const struct {
        const char *text;
        size_t bytes;
    } cases[] = {
        {"1", 1},
        {"29360128", 29360128},
        {"512K", (size_t)512 << 10},
        {"32M", (size_t)32 << 20},
        {"2G", (size_t)2 << 30},
        {"1099511627776", CPU_CACHE_MAX_BYTES},
        {"1024G", CPU_CACHE_MAX_BYTES},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bytes = 0;
        CHECK(cpu_cache_parse_bytes(cases[i].text, &bytes));
        CHECK(bytes == cases[i].bytes);
    }
}

/* Refused text leaves the output alone (the caller keeps the sysfs size). */
static void test_refused(void)
{
    static const char *const cases[] = {
        "",      "0",
        "0M",    "-1",
        "+5",    " 5",
        "5 ",    "32MB",
        "32m",   "1.5M",
        "abc",   "M",
        "1025G", "1099511627777",
        "1e6",   "99999999999999999999999",
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bytes = 7;
        CHECK(!cpu_cache_parse_bytes(cases[i], &bytes));
        CHECK(bytes == 7);
    }
}

/* The size is read once per process: this is the first and only read here. */
static void test_environment_overrides(void)
{
    CHECK(setenv(CPU_CACHE_ENV, "3M", 1) == 0);
    CHECK(cpu_cache_last_level_bytes() == (size_t)3 << 20);
}

int main(void)
{
    test_accepted();
    test_refused();
    test_environment_overrides();
    CHECK_DONE();
}
