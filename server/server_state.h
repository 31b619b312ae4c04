/*
 * server_state.h - what the front ends and the lifecycle share: whether the
 * server is ready, whether it is draining, and how many requests are in
 * flight (accepted and not yet answered), what they answered, and the
 * registered shared memory regions.
 */
#ifndef INFERD_SERVER_STATE_H
#define INFERD_SERVER_STATE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "body_budget.h"
#include "http_watch.h"
#include "response_stats.h"
#include "shm_registry.h"

typedef struct server_state {
    atomic_bool ready;               /* startup finished and not draining */
    atomic_bool draining;            /* a stop signal arrived */
    atomic_bool closing;             /* past the drain delay: new requests are refused */
    atomic_int in_flight;            /* requests accepted and not yet answered */
    response_counts_t responses;     /* answers by HTTP status and gRPC code */
    http_watch_counts_t http_closed; /* HTTP connections the server closed, by reason */
    body_budget_t bodies;            /* the request bodies held (body_budget.h) */
    shm_registry_t *shm;             /* system shared memory regions, owned by the lifecycle */
} server_state_t;

#endif
