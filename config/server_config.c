/*
 * server_config.c - the settings of `inferd serve`, driven by one table.
 *
 * Each row names a setting once, by its flag ("http-port"); the environment
 * variable (INFERD_HTTP_PORT) and the config-file key (http_port) are
 * derived from that name. Defaults are text and go through the same parser
 * as every other source, so a default cannot escape validation.
 *
 * The restricted-API settings are lists: the flag may repeat, the
 * environment variable holds entries separated by white space, the config
 * file a string or an array of strings. The entries of one source replace
 * those of a lower one as a whole. Their values are secrets, so no message
 * quotes them.
 */
#include "server_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "model_config.h"
#include "tensor.h"

/* Largest --config-file read. */
#define SERVER_CONFIG_FILE_MAX_BYTES (1 << 20)
#define SERVER_CONFIG_ENV_PREFIX     "INFERD_"
/* Longest environment variable or key name built from a setting name. */
#define SETTING_NAME_MAX 64
/* Column where the usage text puts the environment variable and default. */
#define USAGE_COLUMN 42
/* Longest description of where a value came from, for messages. */
#define SOURCE_MAX (PATH_MAX + 128)

#define PORT_MAX         65535
#define HTTP_THREADS_MAX 1024
/* Request bodies are held in memory whole; beyond this a value is surely a typo. */
#define BODY_BYTES_LIMIT  (INT64_C(1) << 36)
#define CONNECTIONS_LIMIT (1 << 20)
/* A day: longer waits and intervals are surely typos. */
#define SECONDS_LIMIT 86400

#define DEFAULT_MAX_TENSOR_ELEMENTS 268435456
_Static_assert(DEFAULT_MAX_TENSOR_ELEMENTS <= TENSOR_MAX_ELEMENTS,
               "the default tensor element limit must not exceed the engine's");
_Static_assert(SERVER_CONFIG_NAME_MAX == MODEL_NAME_MAX,
               "--model-name must hold exactly the names a model may have");
/* Enum settings are stored through an int. */
_Static_assert(sizeof(log_level_t) == sizeof(int) && sizeof(log_format_t) == sizeof(int) &&
                   sizeof(model_control_mode_t) == sizeof(int) &&
                   sizeof(tls_client_auth_t) == sizeof(int),
               "enums must be int-sized");

#define TEXT_(x) #x
#define TEXT(x)  TEXT_(x)

typedef enum setting_kind {
    SETTING_INT,
    SETTING_INT64,
    SETTING_SIZE,
    SETTING_STRING,
    SETTING_ADDRESS, /* a string holding a numeric IPv4 or IPv6 address */
    SETTING_ENUM,
    SETTING_BOOL,       /* "true" or "false" (a JSON boolean in the config file) */
    SETTING_RESTRICTED, /* restricted-API entries, a list (restricted_api.h) */
} setting_kind_t;

/* Where a value came from, in rising precedence. */
typedef enum source_rank {
    RANK_DEFAULT = 0,
    RANK_FILE,
    RANK_ENV,
    RANK_FLAG,
} source_rank_t;

typedef struct setting {
    const char *name; /* the flag without its dashes */
    setting_kind_t kind;
    size_t offset; /* of the field in server_config_t */
    size_t size;   /* of the field; bounds string lengths */
    const char *metavar;
    const char *default_text; /* NULL: no default, the field stays empty */
    bool required;
    bool locates_file;          /* --config-file: read before the others, never from the file */
    int64_t min, max;           /* numeric kinds */
    const char *const *choices; /* SETTING_ENUM: NULL-terminated, index = enum value */
    restricted_api_protocol_t protocol; /* SETTING_RESTRICTED */
    const char *help;
} setting_t;

static const char *const log_level_names[] = {
    [LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug", NULL,
};
static const char *const log_format_names[] = {
    [LOG_FORMAT_TEXT] = "text",
    [LOG_FORMAT_JSON] = "json",
    NULL,
};
static const char *const client_auth_names[] = {
    [TLS_CLIENT_AUTH_NONE] = "none",
    [TLS_CLIENT_AUTH_REQUEST] = "request",
    [TLS_CLIENT_AUTH_REQUIRE] = "require",
    NULL,
};
static const char *const bool_names[] = {"false", "true", NULL};
static const char *const control_mode_names[] = {
    [MODEL_CONTROL_NONE] = "none",
    [MODEL_CONTROL_POLL] = "poll",
    [MODEL_CONTROL_EXPLICIT] = "explicit",
    NULL,
};

#define FIELD(f) .offset = offsetof(server_config_t, f), .size = sizeof(((server_config_t *)0)->f)

static const setting_t settings[] = {
    {.name = "model-repository",
     .kind = SETTING_STRING,
     FIELD(model_repository),
     .metavar = "DIR",
     .required = true,
     .help = "DIR/<model>/<version>/model.onnx or model.om [DIR/<model>/config.json], or one "
             "DIR/<name>.onnx or .om [DIR/config.json]"},
    {.name = "model-name",
     .kind = SETTING_STRING,
     FIELD(model_name),
     .metavar = "NAME",
     .help = "name of the model of a single-model DIR, served as version 1; unset: the file name "
             "without .onnx"},
    {.name = "config-file",
     .kind = SETTING_STRING,
     FIELD(config_file),
     .metavar = "PATH",
     .locates_file = true,
     .help = "JSON object of settings, keys as below with underscores (\"http_port\": 9000)"},
    {.name = "bind-address",
     .kind = SETTING_ADDRESS,
     FIELD(bind_address),
     .metavar = "ADDR",
     .default_text = "0.0.0.0",
     .help = "numeric IPv4 or IPv6 address the HTTP, gRPC and metrics ports listen on"},
    {.name = "http-port",
     .kind = SETTING_INT,
     FIELD(http_port),
     .metavar = "N",
     .default_text = "8000",
     .min = 0,
     .max = PORT_MAX,
     .help = "KServe v2 REST port; 0 picks a free port"},
    {.name = "grpc-port",
     .kind = SETTING_INT,
     FIELD(grpc_port),
     .metavar = "N",
     .default_text = "8001",
     .min = 0,
     .max = PORT_MAX,
     .help = "KServe v2 gRPC port; 0 picks a free port"},
    {.name = "metrics-port",
     .kind = SETTING_INT,
     FIELD(metrics_port),
     .metavar = "N",
     .default_text = "8002",
     .min = -1,
     .max = PORT_MAX,
     .help = "Prometheus metrics port; 0 picks a free port, -1 disables metrics"},
    {.name = "http-threads",
     .kind = SETTING_INT,
     FIELD(http_threads),
     .metavar = "N",
     .default_text = "4",
     .min = 1,
     .max = HTTP_THREADS_MAX,
     .help = "threads serving HTTP connections"},
    {.name = "max-body-bytes",
     .kind = SETTING_SIZE,
     FIELD(max_body_bytes),
     .metavar = "N",
     .default_text = "67108864",
     .min = 1,
     .max = BODY_BYTES_LIMIT,
     .help = "largest request body accepted, in bytes"},
    {.name = "body-memory-limit",
     .kind = SETTING_SIZE,
     FIELD(body_memory_limit),
     .metavar = "N",
     .default_text = "0",
     .min = 0,
     .max = INT64_MAX,
     .help = "bytes all request bodies may hold at once (at least --max-body-bytes); a body over "
             "it is refused 503 / UNAVAILABLE; 0: a quarter of the memory the server may use"},
    {.name = "max-tensor-elements",
     .kind = SETTING_INT64,
     FIELD(max_tensor_elements),
     .metavar = "N",
     .default_text = TEXT(DEFAULT_MAX_TENSOR_ELEMENTS),
     .min = 1,
     .max = TENSOR_MAX_ELEMENTS,
     .help = "most elements of one request tensor"},
    {.name = "max-connections",
     .kind = SETTING_INT,
     FIELD(max_connections),
     .metavar = "N",
     .default_text = "1024",
     .min = 1,
     .max = CONNECTIONS_LIMIT,
     .help = "most open HTTP connections; one more is closed at once"},
    {.name = "idle-timeout-secs",
     .kind = SETTING_INT,
     FIELD(idle_timeout_secs),
     .metavar = "S",
     .default_text = "60",
     .min = 1,
     .max = SECONDS_LIMIT,
     .help = "idle connections are closed after this many seconds"},
    {.name = "request-timeout-secs",
     .kind = SETTING_INT,
     FIELD(request_timeout_secs),
     .metavar = "S",
     .default_text = "60",
     .min = 0,
     .max = SECONDS_LIMIT,
     .help = "an HTTP connection whose request takes longer to arrive, from its first byte to "
             "its last, is closed; 0: no limit"},
    {.name = "log-level",
     .kind = SETTING_ENUM,
     FIELD(log_level),
     .default_text = "info",
     .choices = log_level_names,
     .help = "least severe log messages written"},
    {.name = "log-format",
     .kind = SETTING_ENUM,
     FIELD(log_format),
     .default_text = "text",
     .choices = log_format_names,
     .help = "log lines as plain text or as one JSON object each"},
    {.name = "model-control-mode",
     .kind = SETTING_ENUM,
     FIELD(model_control_mode),
     .default_text = "none",
     .choices = control_mode_names,
     .help = "none: load all at start; poll: also rescan; explicit: only via the repository API"},
    {.name = "repository-poll-secs",
     .kind = SETTING_INT,
     FIELD(repository_poll_secs),
     .metavar = "S",
     .default_text = "15",
     .min = 1,
     .max = SECONDS_LIMIT,
     .help = "seconds between repository scans in poll mode"},
    {.name = "drain-delay-secs",
     .kind = SETTING_INT,
     FIELD(drain_delay_secs),
     .metavar = "S",
     .default_text = "5",
     .min = 0,
     .max = SECONDS_LIMIT,
     .help = "on SIGTERM, seconds readiness reports false before new requests are refused"},
    {.name = "exit-timeout-secs",
     .kind = SETTING_INT,
     FIELD(exit_timeout_secs),
     .metavar = "S",
     .default_text = "30",
     .min = 0,
     .max = SECONDS_LIMIT,
     .help = "then, most seconds in-flight requests get to finish"},
    {.name = "ascend-library",
     .kind = SETTING_STRING,
     FIELD(ascend_library),
     .metavar = "PATH",
     .help = "libascendcl.so that runs .om models; unset: $ASCEND_HOME_PATH/lib64, "
             "$ASCEND_TOOLKIT_HOME/lib64, then the loader path"},
    {.name = "tls-cert-file",
     .kind = SETTING_STRING,
     FIELD(tls_cert_file),
     .metavar = "PATH",
     .help = "PEM chain, server certificate first: HTTPS and gRPC TLS (reread on SIGHUP)"},
    {.name = "tls-key-file",
     .kind = SETTING_STRING,
     FIELD(tls_key_file),
     .metavar = "PATH",
     .help = "its PEM private key, unencrypted (reread on SIGHUP)"},
    {.name = "tls-ca-file",
     .kind = SETTING_STRING,
     FIELD(tls_ca_file),
     .metavar = "PATH",
     .help = "PEM CAs that client certificates must chain to (reread on SIGHUP)"},
    {.name = "tls-client-auth",
     .kind = SETTING_ENUM,
     FIELD(tls_client_auth),
     .default_text = "none",
     .choices = client_auth_names,
     .help = "client certificates: none; request (one shown must verify); require"},
    {.name = "metrics-tls",
     .kind = SETTING_BOOL,
     FIELD(metrics_tls),
     .default_text = "false",
     .choices = bool_names,
     .help = "serve the metrics port over TLS too, with the same certificate and client auth"},
    {.name = "http-restricted-api",
     .kind = SETTING_RESTRICTED,
     FIELD(http_restricted_api),
     .metavar = "CATEGORIES:HEADER=VALUE",
     .protocol = RESTRICTED_API_HTTP,
     .help = "requests to these categories need this header, else 403 (repeatable)"},
    {.name = "grpc-restricted-protocol",
     .kind = SETTING_RESTRICTED,
     FIELD(grpc_restricted_protocol),
     .metavar = "CATEGORIES:KEY=VALUE",
     .protocol = RESTRICTED_API_GRPC,
     .help = "calls to these categories need this metadata key, else PERMISSION_DENIED "
             "(repeatable)"},
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* "http-port" -> "INFERD_HTTP_PORT" */
static void env_name(const setting_t *s, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s%s", SERVER_CONFIG_ENV_PREFIX, s->name);
    for (size_t i = 0; i < n && i < size; i++)
        out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

/* "http-port" -> "http_port" */
static void key_name(const setting_t *s, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s", s->name);
    for (size_t i = 0; i < n && i < size; i++)
        out[i] = out[i] == '-' ? '_' : out[i];
}

static void *field_of(const setting_t *s, server_config_t *cfg)
{
    return (char *)cfg + s->offset;
}

static status_t parse_integer(const setting_t *s, const char *text, const char *source,
                              int64_t *out, error_t *err)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (text[0] == '\0' || isspace((unsigned char)text[0]) || *end != '\0' || errno == ERANGE ||
        v < s->min || v > s->max)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "invalid value \"%s\" for --%s (from %s): expected an integer in "
                         "%lld..%lld",
                         text, s->name, source, (long long)s->min, (long long)s->max);
    *out = v;
    return STATUS_OK;
}

static status_t parse_choice(const setting_t *s, const char *text, const char *source, int *out,
                             error_t *err)
{
    char allowed[128] = "";

    for (int i = 0; s->choices[i]; i++) {
        if (strcmp(text, s->choices[i]) == 0) {
            *out = i;
            return STATUS_OK;
        }
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", i ? ", " : "",
                 s->choices[i]);
    }
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "invalid value \"%s\" for --%s (from %s): expected one of %s", text, s->name,
                     source, allowed);
}

static status_t parse_string(const setting_t *s, const char *text, const char *source, char *out,
                             error_t *err)
{
    unsigned char addr[sizeof(struct in6_addr)];

    if (text[0] == '\0')
        return error_set(err, STATUS_INVALID_ARGUMENT, "empty value for --%s (from %s)", s->name,
                         source);
    if (strlen(text) >= s->size)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "value \"%.64s...\" for --%s (from %s) is longer than %zu bytes", text,
                         s->name, source, s->size - 1);
    if (s->kind == SETTING_ADDRESS && inet_pton(AF_INET, text, addr) != 1 &&
        inet_pton(AF_INET6, text, addr) != 1)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "invalid value \"%s\" for --%s (from %s): expected a numeric IPv4 or "
                         "IPv6 address",
                         text, s->name, source);
    memcpy(out, text, strlen(text) + 1);
    return STATUS_OK;
}

/*
 * Adds restricted-API entries; the first from a higher-ranked source drops
 * those of lower ones. The message never quotes text: it holds secrets.
 */
static status_t apply_restricted(const setting_t *s, const char *text, const char *source,
                                 source_rank_t rank, restricted_api_t *r, error_t *err)
{
    status_t st;

    if ((int)rank > r->source_rank) {
        restricted_api_clear(r);
        r->source_rank = (int)rank;
    }
    st = restricted_api_add(r, s->protocol, text, err);
    if (st != STATUS_OK)
        error_prefix(err, "--%s (from %s)", s->name, source);
    return st;
}

/*
 * Parses text for s and stores it in cfg; source says where text came
 * from, rank how it ranks.
 */
static status_t setting_apply(const setting_t *s, const char *text, const char *source,
                              source_rank_t rank, server_config_t *cfg, error_t *err)
{
    void *field = field_of(s, cfg);
    int64_t v = 0;
    int choice = 0;
    status_t st;

    switch (s->kind) {
    case SETTING_INT:
    case SETTING_INT64:
    case SETTING_SIZE:
        st = parse_integer(s, text, source, &v, err);
        if (st != STATUS_OK)
            return st;
        if (s->kind == SETTING_INT)
            *(int *)field = (int)v;
        else if (s->kind == SETTING_INT64)
            *(int64_t *)field = v;
        else
            *(size_t *)field = (size_t)v;
        return STATUS_OK;
    case SETTING_ENUM:
        return parse_choice(s, text, source, (int *)field, err);
    case SETTING_BOOL:
        st = parse_choice(s, text, source, &choice, err);
        if (st == STATUS_OK)
            *(bool *)field = choice != 0;
        return st;
    case SETTING_RESTRICTED:
        return apply_restricted(s, text, source, rank, field, err);
    case SETTING_STRING:
    case SETTING_ADDRESS:
        return parse_string(s, text, source, field, err);
    }
    return error_set(err, STATUS_INTERNAL, "--%s: unknown setting kind", s->name);
}

static const setting_t *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
            return &settings[i];
    return NULL;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/*
 * Reads the flag at argv[*i] ("--name VALUE" or "--name=VALUE") and moves
 * *i past it and its value.
 */
static status_t next_flag(int argc, char **argv, int *i, const setting_t **s, const char **value,
                          error_t *err)
{
    const char *arg = argv[*i];
    const char *eq;
    size_t len;

    if (strncmp(arg, "--", 2) != 0)
        return error_set(err, STATUS_INVALID_ARGUMENT, "unexpected argument \"%s\" (see --help)",
                         arg);
    eq = strchr(arg + 2, '=');
    len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
    *s = find_flag(arg + 2, len);
    if (!*s)
        return error_set(err, STATUS_INVALID_ARGUMENT, "unknown flag --%.*s (see --help)", (int)len,
                         arg + 2);
    if (eq) {
        *value = eq + 1;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        return error_set(err, STATUS_INVALID_ARGUMENT, "--%s needs a value", (*s)->name);
    }
    ++*i;
    return STATUS_OK;
}

/* Applies every flag of argv except --config-file, which was read first. */
static status_t apply_flags(int argc, char **argv, server_config_t *cfg, error_t *err)
{
    const setting_t *s;
    const char *value;
    char source[SOURCE_MAX];
    status_t st;

    for (int i = 0; i < argc;) {
        st = next_flag(argc, argv, &i, &s, &value, err);
        if (st != STATUS_OK)
            return st;
        if (s->locates_file)
            continue;
        snprintf(source, sizeof source, "flag --%s", s->name);
        st = setting_apply(s, value, source, RANK_FLAG, cfg, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

static status_t apply_env(server_config_t *cfg, error_t *err)
{
    char name[SETTING_NAME_MAX];
    char source[SOURCE_MAX];
    const char *value;
    status_t st;

    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (settings[i].locates_file)
            continue;
        env_name(&settings[i], name, sizeof name);
        value = getenv(name);
        if (!value)
            continue;
        snprintf(source, sizeof source, "environment variable %s", name);
        st = setting_apply(&settings[i], value, source, RANK_ENV, cfg, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

static const setting_t *find_key(const char *key)
{
    char name[SETTING_NAME_MAX];

    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (settings[i].locates_file)
            continue;
        key_name(&settings[i], name, sizeof name);
        if (strcmp(name, key) == 0)
            return &settings[i];
    }
    return NULL;
}

/* A restricted-API key of the config file: a string, or an array of strings. */
static status_t apply_file_list(const setting_t *s, const char *path, const char *key,
                                const json_t *value, const char *source, server_config_t *cfg,
                                error_t *err)
{
    size_t i;
    const json_t *item;
    status_t st;

    if (json_is_string(value))
        return setting_apply(s, json_string_value(value), source, RANK_FILE, cfg, err);
    if (!json_is_array(value) || json_array_size(value) == 0)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "config file %s: key \"%s\" must be a string or a non-empty array of "
                         "strings, not %s",
                         path, key, config_json_type_name(value));
    json_array_foreach(value, i, item)
    {
        if (!json_is_string(item))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "config file %s: key \"%s\": item %zu must be a string, not %s", path,
                             key, i, config_json_type_name(item));
        st = setting_apply(s, json_string_value(item), source, RANK_FILE, cfg, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

static status_t apply_file_value(const char *path, const char *key, const json_t *value,
                                 server_config_t *cfg, error_t *err)
{
    const setting_t *s = find_key(key);
    bool numeric;
    char text[32];
    char source[SOURCE_MAX];

    if (!s)
        return error_set(err, STATUS_INVALID_ARGUMENT, "config file %s: unknown key \"%s\"", path,
                         key);
    snprintf(source, sizeof source, "config file %s", path);
    if (s->kind == SETTING_RESTRICTED)
        return apply_file_list(s, path, key, value, source, cfg, err);
    if (s->kind == SETTING_BOOL && json_is_boolean(value))
        return setting_apply(s, json_is_true(value) ? "true" : "false", source, RANK_FILE, cfg,
                             err);
    numeric = s->kind == SETTING_INT || s->kind == SETTING_INT64 || s->kind == SETTING_SIZE;
    if (numeric ? !json_is_integer(value) : !json_is_string(value))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "config file %s: key \"%s\" must be %s, not %s", path, key,
                         numeric                   ? "an integer"
                         : s->kind == SETTING_BOOL ? "true or false"
                                                   : "a string",
                         config_json_type_name(value));
    if (!numeric)
        return setting_apply(s, json_string_value(value), source, RANK_FILE, cfg, err);
    snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    return setting_apply(s, text, source, RANK_FILE, cfg, err);
}

static status_t apply_file(const char *path, server_config_t *cfg, error_t *err)
{
    json_t *root = NULL;
    const char *key;
    json_t *value;
    status_t st;

    st = config_json_load(path, SERVER_CONFIG_FILE_MAX_BYTES, &root, err);
    if (st != STATUS_OK) {
        error_prefix(err, "config file");
        goto cleanup;
    }
    json_object_foreach(root, key, value)
    {
        st = apply_file_value(path, key, value, cfg, err);
        if (st != STATUS_OK)
            goto cleanup;
    }
cleanup:
    json_decref(root);
    return st;
}

/*
 * Finds the config file: the last --config-file flag, else the environment.
 * Also checks the syntax of every flag, so a typo is reported before the
 * file is read, and stops at --help.
 */
static status_t locate_file(int argc, char **argv, server_config_t *cfg, bool *help, error_t *err)
{
    const setting_t *file_setting = NULL;
    const char *path = NULL;
    char source[SOURCE_MAX];
    char env[SETTING_NAME_MAX];
    const setting_t *s;
    const char *value;
    status_t st;

    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].locates_file)
            file_setting = &settings[i];
    env_name(file_setting, env, sizeof env);
    snprintf(source, sizeof source, "environment variable %s", env);
    path = getenv(env);
    for (int i = 0; i < argc;) {
        if (is_help(argv[i])) {
            *help = true;
            return STATUS_OK;
        }
        st = next_flag(argc, argv, &i, &s, &value, err);
        if (st != STATUS_OK)
            return st;
        if (s->locates_file) {
            path = value;
            snprintf(source, sizeof source, "flag --%s", s->name);
        }
    }
    if (!path)
        return STATUS_OK;
    return setting_apply(file_setting, path, source, RANK_FLAG, cfg, err);
}

/* The TLS settings that only make sense together. */
static status_t check_tls(const server_config_t *cfg, error_t *err)
{
    bool cert = cfg->tls_cert_file[0], key = cfg->tls_key_file[0], ca = cfg->tls_ca_file[0];

    if (cert != key)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--tls-cert-file and --tls-key-file go together: %s is set, %s is not",
                         cert ? "--tls-cert-file" : "--tls-key-file",
                         cert ? "--tls-key-file" : "--tls-cert-file");
    if (cfg->tls_client_auth != TLS_CLIENT_AUTH_NONE && !cert)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--tls-client-auth %s needs TLS: set --tls-cert-file and --tls-key-file",
                         client_auth_names[cfg->tls_client_auth]);
    if (cfg->tls_client_auth != TLS_CLIENT_AUTH_NONE && !ca)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--tls-client-auth %s needs --tls-ca-file, the CAs client certificates "
                         "must chain to",
                         client_auth_names[cfg->tls_client_auth]);
    if (ca && cfg->tls_client_auth == TLS_CLIENT_AUTH_NONE)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--tls-ca-file only verifies client certificates: set --tls-client-auth "
                         "request or require (it is none)");
    if (cfg->metrics_tls && !cert)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--metrics-tls needs --tls-cert-file and --tls-key-file");
    return STATUS_OK;
}

status_t server_config_parse(int argc, char **argv, server_config_t *out, bool *help, error_t *err)
{
    status_t st;

    memset(out, 0, sizeof *out);
    *help = false;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (!settings[i].default_text)
            continue;
        st = setting_apply(&settings[i], settings[i].default_text, "the default", RANK_DEFAULT, out,
                           err);
        if (st != STATUS_OK)
            return st;
    }
    st = locate_file(argc, argv, out, help, err);
    if (st != STATUS_OK)
        return st;
    if (*help) {
        server_config_usage(stdout);
        return STATUS_OK;
    }
    if (out->config_file[0]) {
        st = apply_file(out->config_file, out, err);
        if (st != STATUS_OK)
            return st;
    }
    st = apply_env(out, err);
    if (st != STATUS_OK)
        return st;
    st = apply_flags(argc, argv, out, err);
    if (st != STATUS_OK)
        return st;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        char env[SETTING_NAME_MAX];
        if (!settings[i].required || ((char *)field_of(&settings[i], out))[0])
            continue;
        env_name(&settings[i], env, sizeof env);
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--%s is required (flag, environment variable %s or config file)",
                         settings[i].name, env);
    }
    if (out->body_memory_limit > 0 && out->body_memory_limit < out->max_body_bytes)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "--body-memory-limit %zu is less than --max-body-bytes %zu: the largest "
                         "request could never be served",
                         out->body_memory_limit, out->max_body_bytes);
    return check_tls(out, err);
}

/* Writes "--name VALUE" and returns its length. */
static int usage_flag(FILE *out, const setting_t *s)
{
    int n = fprintf(out, "  --%s ", s->name);

    if (s->kind != SETTING_ENUM && s->kind != SETTING_BOOL)
        return n + fprintf(out, "%s", s->metavar);
    for (int i = 0; s->choices[i]; i++)
        n += fprintf(out, "%s%s", i ? "|" : "", s->choices[i]);
    return n;
}

void server_config_usage(FILE *out)
{
    char env[SETTING_NAME_MAX];

    fputs("usage: inferd serve --model-repository DIR [options]\n"
          "\n"
          "Each setting comes from, in rising precedence: its default, the JSON config file\n"
          "(--config-file; keys are the flag names with underscores, e.g. \"http_port\"), its\n"
          "environment variable, and its flag (--name VALUE or --name=VALUE).\n"
          "The restricted-API settings take several entries: repeat the flag, separate them\n"
          "with spaces in the environment variable, or give an array in the config file.\n"
          "Their categories: " RESTRICTED_API_CATEGORY_LIST ".\n"
          "\n",
          out);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_t *s = &settings[i];
        int n = usage_flag(out, s);

        env_name(s, env, sizeof env);
        fprintf(out, "%*s %s, ", n < USAGE_COLUMN ? USAGE_COLUMN - n : 0, "", env);
        if (s->required)
            fputs("required\n", out);
        else if (s->default_text)
            fprintf(out, "default %s\n", s->default_text);
        else
            fputs("default none\n", out);
        fprintf(out, "      %s\n", s->help);
    }
    fputs("  --help, -h\n      print this help and exit\n", out);
}
