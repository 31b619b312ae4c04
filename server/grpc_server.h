/*
 * grpc_server.h - the KServe v2 gRPC front end (inference.proto's
 * GRPCInferenceService and grpc.health.v1.Health/Check) on the gRPC C core.
 *
 * A few threads poll one completion queue; every call is a small state
 * machine driven by its completion tags. Handlers never wait for
 * inference: ModelInfer and each ModelStreamInfer message are queued in the
 * same batcher as HTTP requests, and the batcher's completion sends the
 * answer. The prefix is grpc_frontend_ because grpc_server_ belongs to the
 * gRPC library.
 */
#ifndef INFERD_GRPC_SERVER_H
#define INFERD_GRPC_SERVER_H

#include "repository.h"
#include "server_config.h"
#include "server_state.h"
#include "tls.h"

/* Threads polling the completion queue: cfg->http_threads, at most the cores and this many. */
#define GRPC_FRONTEND_MAX_THREADS 16

typedef struct grpc_frontend grpc_frontend_t;

/*
 * Starts serving on cfg->bind_address:cfg->grpc_port (0: any free port),
 * over TLS from tls unless it is NULL (the core asks for the current
 * certificate at every handshake, so reloads apply to new connections),
 * receiving messages of at most cfg->max_body_bytes (larger ones fail with
 * RESOURCE_EXHAUSTED). cfg, repo, state and tls must outlive the front end;
 * every call counts in state->in_flight from its arrival until its last
 * byte is sent. The caller owns *out (grpc_frontend_stop).
 */
status_t grpc_frontend_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                             tls_store_t *tls, grpc_frontend_t **out, error_t *err);

/* The port actually bound. */
int grpc_frontend_port(const grpc_frontend_t *fe);

/*
 * Stops accepting connections (grpc_drain.c, steps 1 to 3): holds answers
 * back until the clients waiting for them have nothing on the wire (at
 * most a second), closes the port, then sends what it held. From then on,
 * the first call on each open connection is still served and later ones
 * are refused (their clients see UNAVAILABLE once grpc_frontend_drain
 * closes the connections). Open streams are still served. Safe to call
 * more than once, from one thread.
 */
void grpc_frontend_quiesce(grpc_frontend_t *fe);

/*
 * Quiesces, then waits at most timeout_ms for every call served to be
 * answered and its answer to reach the client, closes every connection
 * (refused calls and open streams end UNAVAILABLE), shuts the server down
 * and waits for every call to be released. The gRPC core never cancels a
 * call: it is shut down with no connection open. Call it while the
 * batchers still run. True when all of it finished in time.
 */
bool grpc_frontend_drain(grpc_frontend_t *fe, long timeout_ms);

/*
 * Ends what a drain did not (all of it, without one): sends held answers,
 * closes the connections and shuts down at once, waits for every call to
 * be released, stops the threads and frees. Call it only once no batcher
 * completion can still reach a call (after repository_drain). NULL is a
 * no-op.
 */
void grpc_frontend_stop(grpc_frontend_t *fe);

#endif
