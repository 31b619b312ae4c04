/*
 * tls.c - loading, checking and reloading the TLS material, and the
 * GnuTLS hooks libmicrohttpd's daemons use: a certificate retrieval
 * callback that hands every handshake its own copy of the current chain
 * and key (GnuTLS frees them with the session), and, with client
 * authentication, a per-session verification of the client's chain
 * against the current CAs.
 */
#include "tls.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"

/*
 * Largest certificate, key or CA file read. A chain is a few KB; a CA
 * bundle of every public root is about 200 KB.
 */
#define TLS_FILE_MAX_BYTES (1 << 20)
/* Most certificates in the server's chain, and in a client's: real chains have 2-4. */
#define TLS_CHAIN_MAX 16
/* Room for a certificate's subject in log lines. */
#define TLS_SUBJECT_MAX 256
/* TLS 1.2 and 1.3 only: the older versions are deprecated (RFC 8996). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* Key ids compared to match the key to the certificate: SHA-256. */
#define TLS_KEY_ID_MAX 64

/* One generation of material; immutable once built, freed with its last reference. */
typedef struct tls_material {
    atomic_int refs;
    uint64_t generation;
    char *cert_pem; /* the files as read, NUL-terminated (gRPC takes PEM) */
    char *key_pem;
    char *ca_pem; /* NULL without client authentication */
    size_t key_pem_len;
    gnutls_datum_t chain[TLS_CHAIN_MAX]; /* DER, leaf first (handshakes import these) */
    unsigned n_chain;
    gnutls_datum_t key;             /* key_pem, checked (handshakes import it) */
    gnutls_x509_trust_list_t trust; /* the client CAs; NULL without client authentication */
    char subject[TLS_SUBJECT_MAX];
    time_t not_after;
} tls_material_t;

struct tls_store {
    char cert_path[PATH_MAX];
    char key_path[PATH_MAX];
    char ca_path[PATH_MAX]; /* "" without client authentication */
    tls_client_auth_t client_auth;
    pthread_mutex_t lock;    /* guards current */
    tls_material_t *current; /* one reference held by the store */
    atomic_uint_fast64_t generation;
};

/* The store libmicrohttpd's daemons serve (see tls.h): GnuTLS's callbacks have no user pointer. */
static _Atomic(tls_store_t *) mhd_store;

/* ---- material ---- */

static void wipe_free(char *text, size_t len)
{
    if (text)
        gnutls_memset(text, 0, len);
    free(text);
}

static void material_free(tls_material_t *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->n_chain; i++)
        gnutls_free(m->chain[i].data);
    if (m->trust)
        gnutls_x509_trust_list_deinit(m->trust, 1);
    free(m->cert_pem);
    wipe_free(m->key_pem, m->key_pem_len);
    free(m->ca_pem);
    free(m);
}

static void material_release(tls_material_t *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        material_free(m);
}

/* The current generation with a reference the caller releases. */
static tls_material_t *material_acquire(tls_store_t *store)
{
    tls_material_t *m;

    pthread_mutex_lock(&store->lock);
    m = store->current;
    atomic_fetch_add(&m->refs, 1);
    pthread_mutex_unlock(&store->lock);
    return m;
}

/* Reads a whole file of at most TLS_FILE_MAX_BYTES into a NUL-terminated buffer. */
static status_t read_file(const char *what, const char *path, char **out, size_t *len, error_t *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;
    status_t rc = STATUS_OK;

    *out = NULL;
    *len = 0;
    if (!f)
        return error_set(err, STATUS_IO, "cannot open the %s %s: %s", what, path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = error_set(err, STATUS_IO, "the %s %s is not a regular file", what, path);
        goto cleanup;
    }
    if (st.st_size > TLS_FILE_MAX_BYTES) {
        rc = error_set(err, STATUS_LIMIT_EXCEEDED, "the %s %s is over %d bytes", what, path,
                       TLS_FILE_MAX_BYTES);
        goto cleanup;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory reading %s", path);
        goto cleanup;
    }
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f) || *len != (size_t)st.st_size) {
        rc = error_set(err, STATUS_IO, "cannot read the %s %s", what, path);
        goto cleanup;
    }
    buf[*len] = '\0';
    *out = buf;
    buf = NULL;
cleanup:
    if (buf)
        wipe_free(buf, (size_t)st.st_size + 1);
    fclose(f);
    return rc;
}

/* Parses the chain: 1..TLS_CHAIN_MAX certificates, kept as DER; notes the leaf's subject. */
static status_t load_chain(tls_material_t *m, const char *path, error_t *err)
{
    gnutls_datum_t pem = {(unsigned char *)m->cert_pem, (unsigned)strlen(m->cert_pem)};
    gnutls_x509_crt_t *crts = NULL;
    unsigned n = 0;
    gnutls_datum_t dn = {NULL, 0};
    status_t rc = STATUS_OK;
    int ret = gnutls_x509_crt_list_import2(&crts, &n, &pem, GNUTLS_X509_FMT_PEM, 0);

    if (ret < 0 || n == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "the certificate file %s holds no PEM certificate (%s)", path,
                         ret < 0 ? gnutls_strerror(ret) : "none found");
    if (n > TLS_CHAIN_MAX) {
        rc = error_set(err, STATUS_LIMIT_EXCEEDED,
                       "the certificate file %s holds %u certificates, over %d", path, n,
                       TLS_CHAIN_MAX);
        goto cleanup;
    }
    for (unsigned i = 0; i < n; i++) {
        ret = gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &m->chain[i]);
        if (ret < 0) {
            rc = error_set(err, STATUS_INVALID_ARGUMENT, "%s: certificate %u: %s", path, i + 1,
                           gnutls_strerror(ret));
            goto cleanup;
        }
        m->n_chain = i + 1;
    }
    m->not_after = gnutls_x509_crt_get_expiration_time(crts[0]);
    if (gnutls_x509_crt_get_dn3(crts[0], &dn, 0) >= 0) {
        snprintf(m->subject, sizeof m->subject, "%.*s", (int)dn.size, (const char *)dn.data);
        gnutls_free(dn.data);
    }
cleanup:
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    return rc;
}

/* Parses the key (unencrypted PEM) and checks it is the leaf certificate's. */
static status_t load_key(tls_material_t *m, const char *cert_path, const char *key_path,
                         error_t *err)
{
    gnutls_datum_t pem = {(unsigned char *)m->key_pem, (unsigned)m->key_pem_len};
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t leaf = NULL;
    unsigned char key_id[TLS_KEY_ID_MAX], cert_id[TLS_KEY_ID_MAX];
    size_t key_id_len = sizeof key_id, cert_id_len = sizeof cert_id;
    status_t rc = STATUS_OK;
    int ret;

    if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&leaf) < 0) {
        rc = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory reading %s", key_path);
        goto cleanup;
    }
    ret = gnutls_x509_privkey_import2(key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0) {
        rc = error_set(err, STATUS_INVALID_ARGUMENT,
                       "cannot read the private key %s (%s); it must be PEM and unencrypted",
                       key_path, gnutls_strerror(ret));
        goto cleanup;
    }
    ret = gnutls_x509_crt_import(leaf, &m->chain[0], GNUTLS_X509_FMT_DER);
    if (ret >= 0)
        ret = gnutls_x509_crt_get_key_id(leaf, GNUTLS_KEYID_USE_SHA256, cert_id, &cert_id_len);
    if (ret >= 0)
        ret = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_len);
    if (ret < 0) {
        rc = error_set(err, STATUS_INVALID_ARGUMENT, "cannot compare %s with %s: %s", key_path,
                       cert_path, gnutls_strerror(ret));
        goto cleanup;
    }
    if (key_id_len != cert_id_len || memcmp(key_id, cert_id, key_id_len) != 0) {
        rc = error_set(err, STATUS_INVALID_ARGUMENT,
                       "the private key %s is not the key of the first certificate in %s", key_path,
                       cert_path);
        goto cleanup;
    }
    m->key = pem;
cleanup:
    if (key)
        gnutls_x509_privkey_deinit(key);
    if (leaf)
        gnutls_x509_crt_deinit(leaf);
    return rc;
}

static status_t load_trust(tls_material_t *m, const char *path, error_t *err)
{
    gnutls_datum_t pem = {(unsigned char *)m->ca_pem, (unsigned)strlen(m->ca_pem)};
    int ret = gnutls_x509_trust_list_init(&m->trust, 0);

    if (ret >= 0)
        ret = gnutls_x509_trust_list_add_trust_mem(m->trust, &pem, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
    if (ret <= 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "the CA file %s holds no PEM certificate (%s)", path,
                         ret < 0 ? gnutls_strerror(ret) : "none found");
    return STATUS_OK;
}

/* Reads and checks the store's files into a new generation (no reference taken yet). */
static status_t material_load(const tls_store_t *store, tls_material_t **out, error_t *err)
{
    tls_material_t *m = calloc(1, sizeof *m);
    size_t len;
    status_t rc;

    *out = NULL;
    if (!m)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    atomic_init(&m->refs, 0);
    rc = read_file("certificate file", store->cert_path, &m->cert_pem, &len, err);
    if (!rc)
        rc = load_chain(m, store->cert_path, err);
    if (!rc)
        rc = read_file("private key", store->key_path, &m->key_pem, &m->key_pem_len, err);
    if (!rc)
        rc = load_key(m, store->cert_path, store->key_path, err);
    if (!rc && store->ca_path[0])
        rc = read_file("CA file", store->ca_path, &m->ca_pem, &len, err);
    if (!rc && store->ca_path[0])
        rc = load_trust(m, store->ca_path, err);
    if (rc) {
        material_free(m);
        return rc;
    }
    *out = m;
    return STATUS_OK;
}

/* Warns about a certificate that clients will refuse for its dates. */
static void warn_dates(const tls_material_t *m, const char *path)
{
    time_t now = time(NULL);

    if (m->not_after != (time_t)-1 && m->not_after < now)
        log_warn("tls: the certificate in %s (%s) has expired", path, m->subject);
}

status_t tls_store_create(const server_config_t *cfg, tls_store_t **out, error_t *err)
{
    tls_store_t *store;
    status_t rc;

    *out = NULL;
    if (!cfg->tls_cert_file[0])
        return STATUS_OK;
    store = calloc(1, sizeof *store);
    if (!store)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy(store->cert_path, cfg->tls_cert_file, sizeof store->cert_path);
    memcpy(store->key_path, cfg->tls_key_file, sizeof store->key_path);
    if (cfg->tls_client_auth != TLS_CLIENT_AUTH_NONE)
        memcpy(store->ca_path, cfg->tls_ca_file, sizeof store->ca_path);
    store->client_auth = cfg->tls_client_auth;
    pthread_mutex_init(&store->lock, NULL);
    rc = material_load(store, &store->current, err);
    if (rc) {
        pthread_mutex_destroy(&store->lock);
        free(store);
        return rc;
    }
    atomic_init(&store->generation, 1);
    store->current->generation = 1;
    atomic_init(&store->current->refs, 1);
    warn_dates(store->current, store->cert_path);
    *out = store;
    return STATUS_OK;
}

status_t tls_store_reload(tls_store_t *store, error_t *err)
{
    tls_material_t *fresh, *old;
    status_t rc = material_load(store, &fresh, err);

    if (rc)
        return rc;
    atomic_init(&fresh->refs, 1);
    pthread_mutex_lock(&store->lock);
    old = store->current;
    fresh->generation = old->generation + 1;
    store->current = fresh;
    atomic_store(&store->generation, fresh->generation);
    pthread_mutex_unlock(&store->lock);
    material_release(old);
    warn_dates(fresh, store->cert_path);
    return STATUS_OK;
}

void tls_store_describe(tls_store_t *store, char *buf, size_t size)
{
    tls_material_t *m = material_acquire(store);
    char expiry[32] = "unknown";
    struct tm tm;

    if (m->not_after != (time_t)-1 && gmtime_r(&m->not_after, &tm))
        strftime(expiry, sizeof expiry, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(buf, size, "certificate %s (%s, %u in the chain, expires %s), generation %llu%s%s",
             store->cert_path, m->subject[0] ? m->subject : "no subject", m->n_chain, expiry,
             (unsigned long long)m->generation, store->ca_path[0] ? ", client CAs " : "",
             store->ca_path);
    material_release(m);
}

tls_client_auth_t tls_store_client_auth(const tls_store_t *store)
{
    return store->client_auth;
}

uint64_t tls_store_generation(tls_store_t *store)
{
    return atomic_load(&store->generation);
}

static char *copy_text(const char *text)
{
    return text ? strdup(text) : NULL;
}

status_t tls_store_pem(tls_store_t *store, tls_pem_t *out, error_t *err)
{
    tls_material_t *m = material_acquire(store);

    memset(out, 0, sizeof *out);
    out->cert_chain = copy_text(m->cert_pem);
    out->private_key = copy_text(m->key_pem);
    out->client_ca = copy_text(m->ca_pem);
    out->generation = m->generation;
    material_release(m);
    if (!out->cert_chain || !out->private_key || (store->ca_path[0] && !out->client_ca)) {
        tls_pem_free(out);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    return STATUS_OK;
}

void tls_pem_free(tls_pem_t *pem)
{
    free(pem->cert_chain);
    if (pem->private_key)
        wipe_free(pem->private_key, strlen(pem->private_key));
    free(pem->client_ca);
    memset(pem, 0, sizeof *pem);
}

void tls_store_free(tls_store_t *store)
{
    tls_store_t *expected = store;

    if (!store)
        return;
    atomic_compare_exchange_strong(&mhd_store, &expected, NULL);
    material_release(store->current);
    pthread_mutex_destroy(&store->lock);
    free(store);
}

/* ---- libmicrohttpd ---- */

/*
 * GnuTLS asks for the server's certificate at every handshake: a fresh
 * copy of the current generation's chain and key, which GnuTLS frees with
 * the session (GNUTLS_CERT_RETR_DEINIT_ALL), so no generation is used
 * after its last handshake and a reload needs no coordination with
 * sessions in progress.
 */
static int retrieve_certificate(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                                gnutls_pcert_st **certs, unsigned int *n_certs,
                                gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
                                gnutls_privkey_t *privkey, unsigned int *flags)
{
    tls_store_t *store = atomic_load(&mhd_store);
    tls_material_t *m;
    gnutls_pcert_st *list = NULL;
    gnutls_privkey_t key = NULL;
    unsigned imported = 0;
    int ret = GNUTLS_E_MEMORY_ERROR;

    if (!store)
        return -1;
    m = material_acquire(store);
    list = gnutls_malloc(m->n_chain * sizeof *list);
    if (!list)
        goto cleanup;
    for (; imported < m->n_chain; imported++) {
        ret = gnutls_pcert_import_x509_raw(&list[imported], &m->chain[imported],
                                           GNUTLS_X509_FMT_DER, 0);
        if (ret < 0)
            goto cleanup;
    }
    ret = gnutls_privkey_init(&key);
    if (ret < 0) {
        key = NULL;
        goto cleanup;
    }
    ret = gnutls_privkey_import_x509_raw(key, &m->key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0)
        goto cleanup;
    *certs = list;
    *n_certs = m->n_chain;
    *ocsp = NULL;
    *ocsp_length = 0;
    *privkey = key;
    *flags = GNUTLS_CERT_RETR_DEINIT_ALL;
    list = NULL;
    key = NULL;
    ret = 0;
cleanup:
    if (list) {
        for (unsigned i = 0; i < imported; i++)
            gnutls_pcert_deinit(&list[i]);
        gnutls_free(list);
    }
    if (key)
        gnutls_privkey_deinit(key);
    material_release(m);
    if (ret < 0)
        log_warn("tls: cannot hand the certificate to a handshake: %s", gnutls_strerror(ret));
    return ret < 0 ? -1 : 0;
}

/*
 * The client's chain against the current CAs, for client authentication
 * (TLS web client purpose). 0 accepts; anything else fails the handshake.
 */
static int verify_client(gnutls_session_t session)
{
    tls_store_t *store = atomic_load(&mhd_store);
    unsigned n = 0, status = 0, imported = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
    gnutls_x509_crt_t chain[TLS_CHAIN_MAX];
    gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                     .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT};
    tls_material_t *m = NULL;
    int rc = -1;

    if (!store)
        return -1;
    if (!peers || n == 0) {
        if (store->client_auth == TLS_CLIENT_AUTH_REQUIRE) {
            log_debug("tls: refused a client without a certificate");
            return GNUTLS_E_CERTIFICATE_REQUIRED;
        }
        return 0;
    }
    if (n > TLS_CHAIN_MAX) {
        log_debug("tls: refused a client chain of %u certificates (over %d)", n, TLS_CHAIN_MAX);
        return -1;
    }
    for (; imported < n; imported++) {
        if (gnutls_x509_crt_init(&chain[imported]) < 0)
            goto cleanup;
        if (gnutls_x509_crt_import(chain[imported], &peers[imported], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(chain[imported]);
            goto cleanup;
        }
    }
    m = material_acquire(store);
    if (gnutls_x509_trust_list_verify_crt2(m->trust, chain, n, &purpose, 1, 0, &status, NULL) < 0)
        goto cleanup;
    if (status != 0) {
        gnutls_datum_t why = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) >= 0) {
            log_debug("tls: refused a client certificate: %s", (const char *)why.data);
            gnutls_free(why.data);
        }
        goto cleanup;
    }
    rc = 0;
cleanup:
    for (unsigned i = 0; i < imported; i++)
        gnutls_x509_crt_deinit(chain[i]);
    material_release(m);
    return rc;
}

/*
 * A new connection, before its handshake: ask for a client certificate
 * (or require one) and verify what the client shows with verify_client.
 */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    tls_store_t *store = cls;
    const union MHD_ConnectionInfo *info;
    gnutls_session_t session;

    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!info || !info->tls_session)
        return;
    session = info->tls_session;
    gnutls_certificate_server_set_request(session, store->client_auth == TLS_CLIENT_AUTH_REQUIRE
                                                       ? GNUTLS_CERT_REQUIRE
                                                       : GNUTLS_CERT_REQUEST);
    gnutls_session_set_verify_function(session, verify_client);
}

status_t tls_mhd_options(tls_store_t *store, unsigned *flags,
                         struct MHD_OptionItem options[TLS_MHD_OPTIONS_MAX], error_t *err)
{
    tls_store_t *expected = NULL;
    int n = 0;

    *flags = 0;
    if (store) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
            MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2) != MHD_YES)
            return error_set(err, STATUS_UNSUPPORTED,
                             "this libmicrohttpd cannot serve HTTPS with a certificate callback");
        /* One store per process: the callbacks find it here. */
        if (!atomic_compare_exchange_strong(&mhd_store, &expected, store) && expected != store)
            return error_set(err, STATUS_INTERNAL, "a second TLS store for libmicrohttpd");
        *flags = MHD_USE_TLS;
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK2, 0,
                                               (void *)retrieve_certificate};
        options[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
        if (store->client_auth != TLS_CLIENT_AUTH_NONE)
            options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                                   (intptr_t)on_connection, store};
    }
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    assert(n <= TLS_MHD_OPTIONS_MAX);
    return STATUS_OK;
}
