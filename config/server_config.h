/*
 * server_config.h - the settings of `inferd serve`. Each comes, in rising
 * precedence, from its default, the JSON config file (--config-file), an
 * environment variable INFERD_<NAME>, and a command-line flag --<name>.
 */
#ifndef INFERD_SERVER_CONFIG_H
#define INFERD_SERVER_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "restricted_api.h"
#include "status.h"

/* Longest model name + 1; equals MODEL_NAME_MAX (checked in server_config.c). */
#define SERVER_CONFIG_NAME_MAX 128

typedef enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format_t;
typedef enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;

typedef enum model_control_mode {
    MODEL_CONTROL_NONE = 0, /* load everything at start, never change */
    MODEL_CONTROL_POLL,     /* also rescan the repository every poll interval */
    MODEL_CONTROL_EXPLICIT, /* load and unload only through the repository API */
} model_control_mode_t;

/* Whether TLS clients must show a certificate that chains to --tls-ca-file. */
typedef enum tls_client_auth {
    TLS_CLIENT_AUTH_NONE = 0, /* none asked for */
    TLS_CLIENT_AUTH_REQUEST,  /* asked for; one that is shown must verify */
    TLS_CLIENT_AUTH_REQUIRE,  /* a verified certificate or no connection */
} tls_client_auth_t;

typedef struct server_config {
    char model_repository[PATH_MAX];
    char model_name[SERVER_CONFIG_NAME_MAX]; /* the single-model layout's name; "" = the file's */
    char bind_address[64];
    int http_port; /* 0 picks a free port (logged at start) */
    int grpc_port;
    int metrics_port; /* 0 picks a free port; -1 disables metrics */
    int http_threads; /* threads serving HTTP connections */
    size_t max_body_bytes;
    size_t body_memory_limit; /* all request bodies together; 0 = body_budget_default_limit */
    int64_t max_tensor_elements;
    int max_connections;
    int idle_timeout_secs;
    int request_timeout_secs; /* most time one HTTP request may take to arrive; 0 = no limit */
    log_level_t log_level;
    log_format_t log_format;
    model_control_mode_t model_control_mode;
    int repository_poll_secs;
    int drain_delay_secs;  /* readiness is false this long before we stop accepting */
    int exit_timeout_secs; /* most time in-flight work gets after that */
    char config_file[PATH_MAX];
    char ascend_library[PATH_MAX]; /* libascendcl.so for .om models; "" searches (ascend_runtime.h)
                                    */
    /* TLS on the HTTP and gRPC ports when tls_cert_file is set (the metrics port: metrics_tls). */
    char tls_cert_file[PATH_MAX]; /* PEM chain, the server's certificate first */
    char tls_key_file[PATH_MAX];  /* its PEM private key, unencrypted */
    char tls_ca_file[PATH_MAX];   /* PEM CAs client certificates must chain to */
    tls_client_auth_t tls_client_auth;
    bool metrics_tls;
    restricted_api_t http_restricted_api;      /* categories and their headers (values secret) */
    restricted_api_t grpc_restricted_protocol; /* the same for gRPC metadata */
} server_config_t;

/*
 * Fills *out from defaults, the config file, the environment and argv
 * (the arguments after "serve": argv[0] is the first flag, not a program
 * or command name). On --help prints the usage to stdout and returns
 * STATUS_OK with *help set. The caller owns *out (plain data).
 */
status_t server_config_parse(int argc, char **argv, server_config_t *out, bool *help, error_t *err);

/*
 * Prints every setting with its flag, environment variable and default
 * (never a restricted-API value: they have no default).
 */
void server_config_usage(FILE *out);

#endif
