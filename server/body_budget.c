#include "body_budget.h"

#include <assert.h>
#include <stdio.h>
#include <unistd.h>

/* The share of the server's memory request bodies may hold by default: 1 / this. */
#define BODY_BUDGET_MEMORY_SHARE 4

/*
 * The cgroup memory limit of this process in bytes, or UINT64_MAX when it
 * has none or none can be read: cgroup v2's memory.max ("max": none), else
 * cgroup v1's memory.limit_in_bytes (a huge value: none).
 */
static uint64_t cgroup_memory_limit(void)
{
    static const char *const files[] = {"/sys/fs/cgroup/memory.max",
                                        "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    unsigned long long v;

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "r");
        int got;
        if (!f)
            continue;
        got = fscanf(f, "%llu", &v);
        fclose(f);
        if (got == 1)
            return (uint64_t)v;
    }
    return UINT64_MAX;
}

uint64_t body_budget_default_limit(uint64_t max_body_bytes)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    uint64_t memory = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
    uint64_t cgroup = cgroup_memory_limit();
    uint64_t limit;

    if (cgroup < memory)
        memory = cgroup;
    limit = memory / BODY_BUDGET_MEMORY_SHARE;
    return limit > max_body_bytes ? limit : max_body_bytes;
}

void body_budget_init(body_budget_t *b, uint64_t limit)
{
    atomic_init(&b->held, 0);
    b->limit = limit;
}

bool body_budget_take(body_budget_t *b, uint64_t n)
{
    uint64_t held = atomic_load_explicit(&b->held, memory_order_relaxed);

    do {
        if (n > b->limit || held > b->limit - n)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&b->held, &held, held + n, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

void body_budget_give(body_budget_t *b, uint64_t n)
{
    uint64_t was = atomic_fetch_sub_explicit(&b->held, n, memory_order_relaxed);

    assert(was >= n);
    (void)was;
}

void body_budget_refusal(const body_budget_t *b, char *buf, size_t size)
{
    snprintf(buf, size,
             "the server holds as many request bodies as --body-memory-limit (%llu bytes) allows: "
             "retry later",
             (unsigned long long)b->limit);
}
