/*
 * The body budget: takes up to the limit and not a byte past it (sizes
 * near 2^64 included, which must not wrap), gives back, and holds under
 * threads taking and giving at once; the default limit is at least the
 * largest body and at most the machine's memory.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "body_budget.h"
#include "check.h"

#define THREADS 4
#define ROUNDS  100000

static body_budget_t shared;

/* Takes and gives back 3 bytes ROUNDS times; counts the takes that failed. */
static void *churn(void *arg)
{
    int *refused = arg;

    for (int i = 0; i < ROUNDS; i++) {
        if (body_budget_take(&shared, 3))
            body_budget_give(&shared, 3);
        else
            (*refused)++;
    }
    return NULL;
}

int main(void)
{
    body_budget_t b;
    pthread_t threads[THREADS];
    int refused[THREADS] = {0}, total = 0;
    uint64_t memory = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGE_SIZE);

    body_budget_init(&b, 100);
    CHECK(body_budget_take(&b, 60));
    CHECK(!body_budget_take(&b, 41));
    CHECK(body_budget_take(&b, 40));
    CHECK(!body_budget_take(&b, 1));
    CHECK(b.held == 100);
    body_budget_give(&b, 60);
    CHECK(b.held == 40);
    CHECK(!body_budget_take(&b, UINT64_MAX));
    CHECK(!body_budget_take(&b, UINT64_MAX - 20));
    CHECK(body_budget_take(&b, 0));
    CHECK(b.held == 40);
    body_budget_give(&b, 40);
    CHECK(b.held == 0);

    /* 4 threads of 3 bytes each always fit in 12: none may be refused, and all is given back. */
    body_budget_init(&shared, 3 * THREADS);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, churn, &refused[i]) == 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += refused[i];
    }
    CHECK(total == 0);
    CHECK(shared.held == 0);

    CHECK(body_budget_default_limit(UINT64_MAX / 2) == UINT64_MAX / 2);
    CHECK(body_budget_default_limit(1) >= 1);
    CHECK(body_budget_default_limit(1) <= memory);
    CHECK_DONE();
}
