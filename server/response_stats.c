#include "response_stats.h"

/*
 * From a tenth of a millisecond (a refusal, a tiny model) to ten seconds
 * (a long queue delay); 1000 is a bound, so "answered within 1 ms" reads
 * straight off the histogram.
 */
const int64_t response_duration_bounds_us[RESPONSE_DURATION_BOUNDS] = {
    100,    250,    500,    1000,    2500,    5000,    10000,    25000,    50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000,
};

/* Every status api/status_map.c and the routes answer with. */
const unsigned response_http_codes[RESPONSE_HTTP_CODES] = {
    200, 400, 403, 404, 405, 413, 500, 501, 503,
};

response_outcome_t response_outcome_of(status_t st)
{
    switch (st) {
    case STATUS_OK:
        return RESPONSE_SUCCESS;
    case STATUS_INVALID_ARGUMENT:
    case STATUS_FAILED_PRECONDITION:
        return RESPONSE_INVALID;
    case STATUS_QUEUE_FULL:
        return RESPONSE_QUEUE_FULL;
    case STATUS_DEADLINE_EXCEEDED:
        return RESPONSE_TIMEOUT;
    case STATUS_UNAVAILABLE:
        return RESPONSE_UNAVAILABLE;
    default:
        return RESPONSE_INTERNAL;
    }
}

const char *response_outcome_name(response_outcome_t outcome)
{
    static const char *const names[RESPONSE_OUTCOMES] = {
        "success", "invalid", "queue_full", "timeout", "unavailable", "internal",
    };
    return outcome < RESPONSE_OUTCOMES ? names[outcome] : "internal";
}

void response_durations_add(response_durations_t *d, status_t st, int64_t us)
{
    response_outcome_t outcome = response_outcome_of(st);
    int bucket = 0;

    if (us < 0)
        us = 0;
    while (bucket < RESPONSE_DURATION_BOUNDS && us > response_duration_bounds_us[bucket])
        bucket++;
    atomic_fetch_add_explicit(&d->buckets[outcome][bucket], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&d->sum_us[outcome], (uint64_t)us, memory_order_relaxed);
}

void response_count_http(response_counts_t *c, unsigned status)
{
    int slot = 0;

    while (slot < RESPONSE_HTTP_CODES && response_http_codes[slot] != status)
        slot++;
    atomic_fetch_add_explicit(&c->http[slot], 1, memory_order_relaxed);
}

void response_count_grpc(response_counts_t *c, int code)
{
    int slot = code >= 0 && code < RESPONSE_GRPC_CODES ? code : RESPONSE_GRPC_CODES;
    atomic_fetch_add_explicit(&c->grpc[slot], 1, memory_order_relaxed);
}
