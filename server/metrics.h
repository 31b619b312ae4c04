/*
 * metrics.h - Prometheus metrics (text exposition format) on their own
 * port: per model and version, request outcomes by reason, inferences and
 * executions, a batch-size histogram, queue and compute time, pending
 * requests, the server time of infer requests by outcome; server wide,
 * answers by HTTP status and gRPC code; and the process's CPU time and
 * resident memory.
 */
#ifndef INFERD_METRICS_H
#define INFERD_METRICS_H

#include "repository.h"
#include "server_config.h"
#include "server_state.h"
#include "tls.h"

typedef struct metrics_server metrics_server_t;

/*
 * Renders the whole exposition text, with state's response counts unless
 * state is NULL; malloc'd, the caller frees it. NULL when out of memory.
 */
char *metrics_render(repository_t *repo, server_state_t *state);

/*
 * Serves GET /metrics on cfg->bind_address:cfg->metrics_port (0: any free
 * port), over TLS from tls unless it is NULL; repo, state and tls must
 * outlive the server.
 */
status_t metrics_server_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                              tls_store_t *tls, metrics_server_t **out, error_t *err);
int metrics_server_port(const metrics_server_t *server);
void metrics_server_stop(metrics_server_t *server);

#endif
