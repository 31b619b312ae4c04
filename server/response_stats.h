/*
 * response_stats.h - what the front ends count as they answer.
 *
 * Server wide: responses by HTTP status and by gRPC status code, whatever
 * the route (an unknown model or a malformed body included), so that a
 * client's own tally can be checked against the server's.
 *
 * Per model version: the server time of each infer request, from its
 * arrival (HTTP: its headers were read; gRPC: the core handed over the
 * call) to its answer being handed to the transport, by outcome, on
 * request_now_us()'s clock. It is the
 * server's side of latency, which a client's figure also blurs with the
 * network and its own scheduling; overload tests read it to show that
 * refusals are fast.
 *
 * Every counter is a relaxed atomic: adding never takes a lock, and a
 * scrape may see one counter a request ahead of another.
 */
#ifndef INFERD_RESPONSE_STATS_H
#define INFERD_RESPONSE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "status.h"

/* How an infer request ended: success, or inferd_request_failure_total's reason. */
typedef enum response_outcome {
    RESPONSE_SUCCESS = 0,
    RESPONSE_INVALID,
    RESPONSE_QUEUE_FULL,
    RESPONSE_TIMEOUT,
    RESPONSE_UNAVAILABLE,
    RESPONSE_INTERNAL,
    RESPONSE_OUTCOMES
} response_outcome_t;

/* Finite upper bounds of the duration histogram, in microseconds; +Inf follows. */
#define RESPONSE_DURATION_BOUNDS 17
extern const int64_t response_duration_bounds_us[RESPONSE_DURATION_BOUNDS];

typedef struct response_durations {
    _Atomic uint64_t buckets[RESPONSE_OUTCOMES][RESPONSE_DURATION_BOUNDS + 1]; /* not cumulative */
    _Atomic uint64_t sum_us[RESPONSE_OUTCOMES];
} response_durations_t;

/* The outcome a request answered with st counts under (the batcher's reasons, success for OK). */
response_outcome_t response_outcome_of(status_t st);

/* "success", "invalid", "queue_full", ... */
const char *response_outcome_name(response_outcome_t outcome);

/* Counts one infer request answered with st after us microseconds of server time. */
void response_durations_add(response_durations_t *d, status_t st, int64_t us);

/* HTTP statuses the server answers with; anything else counts as "other". */
#define RESPONSE_HTTP_CODES 9
extern const unsigned response_http_codes[RESPONSE_HTTP_CODES];
/* gRPC status codes 0 .. 16 (GRPC_STATUS_OK .. GRPC_STATUS_UNAUTHENTICATED). */
#define RESPONSE_GRPC_CODES 17

typedef struct response_counts {
    _Atomic uint64_t http[RESPONSE_HTTP_CODES + 1]; /* the last slot: any other status */
    _Atomic uint64_t grpc[RESPONSE_GRPC_CODES + 1]; /* the last slot: a code out of range */
} response_counts_t;

void response_count_http(response_counts_t *c, unsigned status);
void response_count_grpc(response_counts_t *c, int code);

#endif
