/*
 * http.h - the REST front end on libmicrohttpd: KServe v2, and the TF
 * Serving and MindSpore Serving REST APIs on the same port.
 *
 * Handler threads never wait for inference: an infer request's connection
 * is suspended when it is queued and resumed by the batcher's completion,
 * so far more connections than workers can be in flight.
 */
#ifndef INFERD_HTTP_H
#define INFERD_HTTP_H

#include "repository.h"
#include "server_config.h"
#include "server_state.h"
#include "tls.h"

typedef struct http_server http_server_t;

/*
 * Starts serving on cfg->bind_address:cfg->http_port (0: any free port),
 * over TLS from tls unless it is NULL. cfg, repo, state and tls must
 * outlive the server. The caller owns *out.
 */
status_t http_server_start(const server_config_t *cfg, repository_t *repo, server_state_t *state,
                           tls_store_t *tls, http_server_t **out, error_t *err);

/* The port actually bound. */
int http_server_port(const http_server_t *server);

/* Stops accepting new connections; open ones are still served. */
void http_server_quiesce(http_server_t *server);

/* Stops the daemon (every suspended connection must have resumed) and frees; NULL is a no-op. */
void http_server_stop(http_server_t *server);

#endif
