/*
 * tls.h - the server's TLS material and its use by the front ends.
 *
 * A tls_store_t holds what --tls-cert-file, --tls-key-file and
 * --tls-ca-file name, checked (the chain parses, the key is the leaf's,
 * the CA file holds certificates) and kept as one immutable generation.
 * tls_store_reload reads the files again and swaps in a new generation
 * only if every check passes; handshakes that began with the old one
 * finish with it (each generation is reference-counted), and established
 * connections are never touched, so a reload drops nothing.
 *
 * Both front ends pick the current generation at every handshake:
 * libmicrohttpd (HTTP, metrics) through GnuTLS's certificate retrieval
 * callback, gRPC through its certificate-config fetcher, which sees the
 * generation change. Client certificates are checked against the current
 * generation's CAs too.
 *
 * GnuTLS's callbacks take no user pointer (and libmicrohttpd owns the
 * session's), so the store the daemons serve is recorded once in this
 * module by tls_mhd_options; one store per process.
 */
#ifndef INFERD_TLS_H
#define INFERD_TLS_H

#include <microhttpd.h>
#include <stdint.h>

#include "server_config.h"

typedef struct tls_store tls_store_t;

/*
 * Reads and checks the files cfg names. *out is NULL when TLS is off (no
 * --tls-cert-file); otherwise the caller owns it (tls_store_free), and it
 * must outlive every daemon and gRPC server using it.
 */
status_t tls_store_create(const server_config_t *cfg, tls_store_t **out, error_t *err);

/*
 * Reads the files again. On success new handshakes get the new material;
 * on any failure the current material stays and err says why.
 */
status_t tls_store_reload(tls_store_t *store, error_t *err);

/* One line about the current material (subject, expiry, generation) for the log. */
void tls_store_describe(tls_store_t *store, char *buf, size_t size);

tls_client_auth_t tls_store_client_auth(const tls_store_t *store);

/* Frees the store (the daemons and gRPC server using it must be stopped); NULL is a no-op. */
void tls_store_free(tls_store_t *store);

/* The current generation's PEM texts, for gRPC; copies the caller owns (tls_pem_free). */
typedef struct tls_pem {
    char *cert_chain;
    char *private_key;
    char *client_ca; /* NULL without client authentication */
    uint64_t generation;
} tls_pem_t;

/* Increases by one at every successful reload; starts at 1. */
uint64_t tls_store_generation(tls_store_t *store);

status_t tls_store_pem(tls_store_t *store, tls_pem_t *out, error_t *err);

/* Frees the copies, the key wiped first; a zeroed pem is a no-op. */
void tls_pem_free(tls_pem_t *pem);

/* Room tls_mhd_options needs, MHD_OPTION_END included. */
#define TLS_MHD_OPTIONS_MAX 4

/*
 * What makes a libmicrohttpd daemon serve TLS from store: the flag to add
 * (MHD_USE_TLS, or 0 for a NULL store) and an option list for
 * MHD_OPTION_ARRAY (only MHD_OPTION_END for a NULL store). Fails when the
 * library lacks the certificate callback.
 */
status_t tls_mhd_options(tls_store_t *store, unsigned *flags,
                         struct MHD_OptionItem options[TLS_MHD_OPTIONS_MAX], error_t *err);

#endif
