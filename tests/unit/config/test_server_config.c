/*
 * server_config: defaults, precedence of the sources (defaults < config
 * file < environment < flags), every validation error naming its setting
 * and value, and a --help that lists every setting.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "server_config.h"
#include "tensor.h"

/* Every setting: its flag without dashes and its environment variable. */
static const char *const names[][2] = {
    {"model-repository", "INFERD_MODEL_REPOSITORY"},
    {"model-name", "INFERD_MODEL_NAME"},
    {"config-file", "INFERD_CONFIG_FILE"},
    {"bind-address", "INFERD_BIND_ADDRESS"},
    {"http-port", "INFERD_HTTP_PORT"},
    {"grpc-port", "INFERD_GRPC_PORT"},
    {"metrics-port", "INFERD_METRICS_PORT"},
    {"http-threads", "INFERD_HTTP_THREADS"},
    {"max-body-bytes", "INFERD_MAX_BODY_BYTES"},
    {"max-tensor-elements", "INFERD_MAX_TENSOR_ELEMENTS"},
    {"max-connections", "INFERD_MAX_CONNECTIONS"},
    {"idle-timeout-secs", "INFERD_IDLE_TIMEOUT_SECS"},
    {"log-level", "INFERD_LOG_LEVEL"},
    {"log-format", "INFERD_LOG_FORMAT"},
    {"model-control-mode", "INFERD_MODEL_CONTROL_MODE"},
    {"repository-poll-secs", "INFERD_REPOSITORY_POLL_SECS"},
    {"drain-delay-secs", "INFERD_DRAIN_DELAY_SECS"},
    {"exit-timeout-secs", "INFERD_EXIT_TIMEOUT_SECS"},
    {"tls-cert-file", "INFERD_TLS_CERT_FILE"},
    {"tls-key-file", "INFERD_TLS_KEY_FILE"},
    {"tls-ca-file", "INFERD_TLS_CA_FILE"},
    {"tls-client-auth", "INFERD_TLS_CLIENT_AUTH"},
    {"metrics-tls", "INFERD_METRICS_TLS"},
    {"http-restricted-api", "INFERD_HTTP_RESTRICTED_API"},
    {"grpc-restricted-protocol", "INFERD_GRPC_RESTRICTED_PROTOCOL"},
};
#define N_NAMES  (int)(sizeof names / sizeof names[0])
#define MAX_ARGS 12

static char tmp_dir[] = "/tmp/inferd-config-test-XXXXXX";

static void clear_env(void)
{
    for (int i = 0; i < N_NAMES; i++)
        unsetenv(names[i][1]);
}

/* Writes text to tmp_dir/file and returns the path (static buffer). */
static const char *write_file(const char *file, const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", tmp_dir, file);
    /* A new file, not a truncated one: ext4 flushes on truncate-and-rewrite. */
    unlink(path);
    f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    return path;
}

/* Parses a NULL-terminated argument list. */
static status_t parse(server_config_t *cfg, error_t *err, ...) __attribute__((sentinel));

static status_t parse(server_config_t *cfg, error_t *err, ...)
{
    char *argv[MAX_ARGS];
    int argc = 0;
    bool help;
    va_list ap;

    va_start(ap, err);
    for (const char *a = va_arg(ap, const char *); a && argc < MAX_ARGS;
         a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    memset(err, 0, sizeof *err);
    return server_config_parse(argc, argv, cfg, &help, err);
}

static void test_defaults(void)
{
    server_config_t c;
    error_t err;

    clear_env();
    CHECK(parse(&c, &err, "--model-repository", "/models", NULL) == STATUS_OK);
    CHECK(strcmp(c.model_repository, "/models") == 0);
    CHECK(c.model_name[0] == '\0');
    CHECK(strcmp(c.bind_address, "0.0.0.0") == 0);
    CHECK(c.http_port == 8000 && c.grpc_port == 8001 && c.metrics_port == 8002);
    CHECK(c.http_threads == 4);
    CHECK(c.max_body_bytes == 64u << 20);
    CHECK(c.max_tensor_elements == INT64_C(1) << 28);
    CHECK(c.max_tensor_elements <= TENSOR_MAX_ELEMENTS);
    CHECK(c.max_connections == 1024 && c.idle_timeout_secs == 60);
    CHECK(c.request_timeout_secs == 60);
    CHECK(c.log_level == LOG_INFO && c.log_format == LOG_FORMAT_TEXT);
    CHECK(c.model_control_mode == MODEL_CONTROL_NONE);
    CHECK(c.repository_poll_secs == 15 && c.drain_delay_secs == 5 && c.exit_timeout_secs == 30);
    CHECK(c.config_file[0] == '\0');
    CHECK(c.tls_cert_file[0] == '\0' && c.tls_key_file[0] == '\0' && c.tls_ca_file[0] == '\0');
    CHECK(c.tls_client_auth == TLS_CLIENT_AUTH_NONE && !c.metrics_tls);
    for (int k = RESTRICTED_API_UNSET; k < RESTRICTED_API_CATEGORY_COUNT; k++) {
        CHECK(!restricted_api_header(&c.http_restricted_api, (restricted_api_category_t)k));
        CHECK(!restricted_api_header(&c.grpc_restricted_protocol, (restricted_api_category_t)k));
    }
}

static void test_precedence(void)
{
    server_config_t c;
    error_t err;
    const char *file =
        write_file("server.json", "{\"http_port\": 9000, \"grpc_port\": 9001,"
                                  " \"metrics_port\": 9002, \"log_level\": \"debug\","
                                  " \"model_control_mode\": \"poll\","
                                  " \"model_repository\": \"/from-file\"}");
    char path[256];

    snprintf(path, sizeof path, "%s", file);
    clear_env();
    /* file < env < flag, setting by setting */
    setenv("INFERD_GRPC_PORT", "7001", 1);
    setenv("INFERD_METRICS_PORT", "7002", 1);
    setenv("INFERD_LOG_FORMAT", "json", 1);
    CHECK(parse(&c, &err, "--config-file", path, "--metrics-port=-1", "--http-threads", "2",
                NULL) == STATUS_OK);
    CHECK(c.http_port == 9000);
    CHECK(c.grpc_port == 7001);
    CHECK(c.metrics_port == -1);
    CHECK(c.log_level == LOG_DEBUG && c.log_format == LOG_FORMAT_JSON);
    CHECK(c.model_control_mode == MODEL_CONTROL_POLL);
    CHECK(c.http_threads == 2);
    CHECK(strcmp(c.model_repository, "/from-file") == 0);
    CHECK(strcmp(c.config_file, path) == 0);

    /* the environment names the file and the repository; a flag beats both */
    setenv("INFERD_CONFIG_FILE", path, 1);
    setenv("INFERD_MODEL_REPOSITORY", "/from-env", 1);
    CHECK(parse(&c, &err, NULL) == STATUS_OK);
    CHECK(c.http_port == 9000 && c.grpc_port == 7001 && c.metrics_port == 7002);
    CHECK(strcmp(c.model_repository, "/from-env") == 0);
    CHECK(parse(&c, &err, "--model-repository=/from-flag", "--http-port", "0", NULL) == STATUS_OK);
    CHECK(strcmp(c.model_repository, "/from-flag") == 0 && c.http_port == 0);
    setenv("INFERD_MODEL_NAME", "from-env", 1);
    CHECK(parse(&c, &err, NULL) == STATUS_OK && strcmp(c.model_name, "from-env") == 0);
    CHECK(parse(&c, &err, "--model-name", "from-flag", NULL) == STATUS_OK);
    CHECK(strcmp(c.model_name, "from-flag") == 0);

    /* --config-file beats INFERD_CONFIG_FILE; the last flag wins */
    write_file("other.json", "{\"http_port\": 9100}");
    snprintf(path, sizeof path, "%s/other.json", tmp_dir);
    CHECK(parse(&c, &err, "--config-file", "/nonexistent.json", "--config-file", path, NULL) ==
          STATUS_OK);
    CHECK(c.http_port == 9100 && strcmp(c.config_file, path) == 0);
    CHECK(parse(&c, &err, "--http-port", "1", "--http-port", "2", NULL) == STATUS_OK);
    CHECK(c.http_port == 2);
    clear_env();

    /* limits at their edges */
    CHECK(parse(&c, &err, "--model-repository", "m", "--bind-address", "::1",
                "--max-tensor-elements", "4294967296", NULL) == STATUS_OK);
    CHECK(strcmp(c.bind_address, "::1") == 0 && c.max_tensor_elements == TENSOR_MAX_ELEMENTS);
    CHECK(parse(&c, &err, "--model-repository", "m", "--http-port", "65535", "--drain-delay-secs",
                "0", NULL) == STATUS_OK);
    CHECK(c.http_port == 65535 && c.drain_delay_secs == 0);
}

typedef struct bad_case {
    const char *args[MAX_ARGS];
    const char *env_name, *env_value; /* optional */
    const char *file_text;            /* optional: passed as --config-file */
    const char *expect[3];            /* substrings of the message */
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {{"--http-port", "70000"}, NULL, NULL, NULL, {"--http-port", "70000", "0..65535"}},
    {{"--http-port", "abc"}, NULL, NULL, NULL, {"--http-port", "\"abc\""}},
    {{"--http-port", "80 "}, NULL, NULL, NULL, {"--http-port", "\"80 \""}},
    {{"--http-port", ""}, NULL, NULL, NULL, {"--http-port", "\"\""}},
    {{"--grpc-port", "-1"}, NULL, NULL, NULL, {"--grpc-port", "-1"}},
    {{"--metrics-port=-2"}, NULL, NULL, NULL, {"--metrics-port", "-2", "-1..65535"}},
    {{"--http-threads", "0"}, NULL, NULL, NULL, {"--http-threads", "\"0\""}},
    {{"--max-body-bytes", "0"}, NULL, NULL, NULL, {"--max-body-bytes", "\"0\""}},
    {{"--max-body-bytes", "99999999999999999999"},
     NULL,
     NULL,
     NULL,
     {"--max-body-bytes", "99999999999999999999"}},
    {{"--max-tensor-elements", "4294967297"},
     NULL,
     NULL,
     NULL,
     {"--max-tensor-elements", "4294967297"}},
    {{"--max-connections", "-5"}, NULL, NULL, NULL, {"--max-connections", "-5"}},
    {{"--idle-timeout-secs", "0"}, NULL, NULL, NULL, {"--idle-timeout-secs", "\"0\""}},
    {{"--repository-poll-secs", "0"}, NULL, NULL, NULL, {"--repository-poll-secs", "\"0\""}},
    {{"--drain-delay-secs", "-1"}, NULL, NULL, NULL, {"--drain-delay-secs", "-1"}},
    {{"--exit-timeout-secs", "1.5"}, NULL, NULL, NULL, {"--exit-timeout-secs", "1.5"}},
    {{"--log-level", "verbose"}, NULL, NULL, NULL, {"--log-level", "verbose", "debug"}},
    {{"--log-format", "xml"}, NULL, NULL, NULL, {"--log-format", "xml", "json"}},
    {{"--model-control-mode", "auto"},
     NULL,
     NULL,
     NULL,
     {"--model-control-mode", "auto", "explicit"}},
    {{"--bind-address", "localhost"}, NULL, NULL, NULL, {"--bind-address", "localhost"}},
    {{"--model-repository="}, NULL, NULL, NULL, {"--model-repository", "empty"}},
    {{"--model-name", ""}, NULL, NULL, NULL, {"--model-name", "empty"}},
    {{"--model-name",
      "a-name-of-128-bytes-is-one-too-long-for-a-model-name-"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
     NULL,
     NULL,
     NULL,
     {"--model-name", "longer than 127 bytes"}},
    {{"--no-such-flag", "1"}, NULL, NULL, NULL, {"--no-such-flag", "unknown"}},
    {{"--http-port"}, NULL, NULL, NULL, {"--http-port", "needs a value"}},
    {{"serve"}, NULL, NULL, NULL, {"serve", "unexpected"}},
    {{"--http_port", "1"}, NULL, NULL, NULL, {"--http_port", "unknown"}},
    {{"--http-port", "1"}, "INFERD_HTTP_PORT", "bad", NULL, {"INFERD_HTTP_PORT", "\"bad\""}},
    {{NULL}, "INFERD_LOG_LEVEL", "loud", NULL, {"INFERD_LOG_LEVEL", "loud", "--log-level"}},
    {{NULL}, NULL, NULL, "{\"bogus_key\": 1}", {"bogus_key", "unknown key", ".json"}},
    {{NULL}, NULL, NULL, "{\"config_file\": \"x\"}", {"config_file", "unknown key"}},
    {{NULL}, NULL, NULL, "{\"http_port\": \"9000\"}", {"http_port", "integer", "a string"}},
    {{NULL}, NULL, NULL, "{\"http_port\": 90000}", {"--http-port", "90000", ".json"}},
    {{NULL}, NULL, NULL, "{\"http_port\": 1.5}", {"http_port", "a real number"}},
    {{NULL}, NULL, NULL, "{\"log_level\": 3}", {"log_level", "a string"}},
    {{NULL}, NULL, NULL, "{\"http_port\": 9000", {"server.json", "invalid JSON"}},
    {{NULL}, NULL, NULL, "[1, 2]", {"server.json", "object"}},
    {{NULL}, NULL, NULL, "", {"server.json", "invalid JSON"}},
    {{NULL}, NULL, NULL, "{\"http_port\": 1, \"http_port\": 2}", {"server.json", "http_port"}},
    {{"--config-file", "/nonexistent/x.json"},
     NULL,
     NULL,
     NULL,
     {"/nonexistent/x.json", "cannot open"}},
    /* TLS settings that only work together */
    {{"--tls-cert-file", "c.pem"}, NULL, NULL, NULL, {"--tls-key-file", "go together"}},
    {{"--tls-key-file", "k.pem"}, NULL, NULL, NULL, {"--tls-cert-file", "go together"}},
    {{"--tls-client-auth", "require", "--tls-ca-file", "ca.pem"},
     NULL,
     NULL,
     NULL,
     {"--tls-client-auth require", "needs TLS"}},
    {{"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem", "--tls-client-auth", "request"},
     NULL,
     NULL,
     NULL,
     {"--tls-client-auth request", "--tls-ca-file"}},
    {{"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem", "--tls-ca-file", "ca.pem"},
     NULL,
     NULL,
     NULL,
     {"--tls-ca-file", "--tls-client-auth", "none"}},
    {{"--metrics-tls", "true"}, NULL, NULL, NULL, {"--metrics-tls", "--tls-cert-file"}},
    {{"--metrics-tls", "yes"}, NULL, NULL, NULL, {"--metrics-tls", "\"yes\"", "false, true"}},
    {{"--tls-client-auth", "optional"},
     NULL,
     NULL,
     NULL,
     {"--tls-client-auth", "none, request, require"}},
    {{NULL}, NULL, NULL, "{\"metrics_tls\": 1}", {"metrics_tls", "true or false"}},
    /* restricted APIs: each source names itself and never the value */
    {{"--http-restricted-api", "trace:k=v4lue"},
     NULL,
     NULL,
     NULL,
     {"--http-restricted-api (from flag", "unknown category 'trace'"}},
    {{"--http-restricted-api", "inference:a=v4lue", "--http-restricted-api", "inference:b=v4lue"},
     NULL,
     NULL,
     NULL,
     {"--http-restricted-api", "entries 1 and 2"}},
    {{NULL},
     "INFERD_GRPC_RESTRICTED_PROTOCOL",
     "inference:grpc-key=v4lue",
     NULL,
     {"environment variable INFERD_GRPC_RESTRICTED_PROTOCOL", "reserved"}},
    {{NULL},
     NULL,
     NULL,
     "{\"http_restricted_api\": [\"health:k=v4lue\", 7]}",
     {"http_restricted_api", "item 1", "an integer"}},
    {{NULL}, NULL, NULL, "{\"http_restricted_api\": []}", {"http_restricted_api", "non-empty"}},
    {{NULL},
     NULL,
     NULL,
     "{\"grpc_restricted_protocol\": \"health=v4lue\"}",
     {"--grpc-restricted-protocol (from config file", "no ':'"}},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case_t *b = &bad_cases[i];
        char *argv[MAX_ARGS + 4];
        int argc = 0;
        server_config_t c;
        error_t err = {0};
        bool help;
        status_t st;

        clear_env();
        argv[argc++] = "--model-repository";
        argv[argc++] = "/models";
        for (int j = 0; b->args[j]; j++)
            argv[argc++] = (char *)b->args[j];
        if (b->file_text) {
            argv[argc++] = "--config-file";
            argv[argc++] = (char *)write_file("server.json", b->file_text);
        }
        if (b->env_name)
            setenv(b->env_name, b->env_value, 1);
        st = server_config_parse(argc, argv, &c, &help, &err);
        CHECK(st != STATUS_OK);
        /* restricted-API values are secrets: no message quotes them */
        CHECK(!strstr(err.message, "v4lue"));
        for (int j = 0; j < 3 && b->expect[j]; j++) {
            if (!strstr(err.message, b->expect[j])) {
                fprintf(stderr, "case %zu: \"%s\" not in: %s\n", i, b->expect[j], err.message);
                CHECK(strstr(err.message, b->expect[j]));
            }
        }
    }
    clear_env();
}

/* TLS settings and restricted-API lists from every source. */
static void test_tls_and_restricted(void)
{
    server_config_t c;
    error_t err;
    char path[256];

    clear_env();
    CHECK(parse(&c, &err, "--model-repository", "m", "--tls-cert-file", "/c.pem", "--tls-key-file",
                "/k.pem", "--tls-ca-file", "/ca.pem", "--tls-client-auth", "require",
                "--metrics-tls=true", NULL) == STATUS_OK);
    CHECK(strcmp(c.tls_cert_file, "/c.pem") == 0 && strcmp(c.tls_key_file, "/k.pem") == 0);
    CHECK(strcmp(c.tls_ca_file, "/ca.pem") == 0);
    CHECK(c.tls_client_auth == TLS_CLIENT_AUTH_REQUIRE && c.metrics_tls);

    snprintf(path, sizeof path, "%s",
             write_file("tls.json",
                        "{\"tls_cert_file\": \"/f.pem\", \"tls_key_file\": \"/fk.pem\","
                        " \"metrics_tls\": true,"
                        " \"http_restricted_api\": [\"model-repository:k=1\","
                        " \"inference:i=2\"],"
                        " \"grpc_restricted_protocol\": \"health:h=3 statistics:s=4\"}"));
    CHECK(parse(&c, &err, "--model-repository", "m", "--config-file", path, NULL) == STATUS_OK);
    CHECK(strcmp(c.tls_cert_file, "/f.pem") == 0 && c.metrics_tls);
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_MODEL_REPOSITORY, "1", 1));
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_INFERENCE, "2", 1));
    CHECK(restricted_api_allows(&c.grpc_restricted_protocol, RESTRICTED_API_HEALTH, "3", 1));
    CHECK(restricted_api_allows(&c.grpc_restricted_protocol, RESTRICTED_API_STATISTICS, "4", 1));
    CHECK(!restricted_api_header(&c.grpc_restricted_protocol, RESTRICTED_API_INFERENCE));

    /* the environment's entries replace the file's as a whole; flags replace both */
    setenv("INFERD_HTTP_RESTRICTED_API", "statistics:e=5 metadata:e=5", 1);
    setenv("INFERD_METRICS_TLS", "false", 1);
    CHECK(parse(&c, &err, "--model-repository", "m", "--config-file", path, NULL) == STATUS_OK);
    CHECK(!c.metrics_tls);
    CHECK(!restricted_api_header(&c.http_restricted_api, RESTRICTED_API_MODEL_REPOSITORY));
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_STATISTICS, "5", 1));
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_METADATA, "5", 1));
    /* the gRPC list, not in the environment, keeps the file's */
    CHECK(restricted_api_allows(&c.grpc_restricted_protocol, RESTRICTED_API_HEALTH, "3", 1));
    CHECK(parse(&c, &err, "--model-repository", "m", "--config-file", path, "--http-restricted-api",
                "health:f=6", "--http-restricted-api=logging:g=7", NULL) == STATUS_OK);
    CHECK(!restricted_api_header(&c.http_restricted_api, RESTRICTED_API_STATISTICS));
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_HEALTH, "6", 1));
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_LOGGING, "7", 1));
    CHECK(c.http_restricted_api.entries == 2);
    /* a category the environment restricts may be restricted again by a flag */
    CHECK(parse(&c, &err, "--model-repository", "m", "--http-restricted-api", "statistics:x=8",
                NULL) == STATUS_OK);
    CHECK(restricted_api_allows(&c.http_restricted_api, RESTRICTED_API_STATISTICS, "8", 1));
    clear_env();
}

static void test_required(void)
{
    server_config_t c;
    error_t err;

    clear_env();
    CHECK(parse(&c, &err, "--http-port", "1", NULL) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "--model-repository") && strstr(err.message, "required"));
    CHECK(strstr(err.message, "INFERD_MODEL_REPOSITORY"));
}

static void test_help(void)
{
    char *argv[] = {"--http-port", "1", "--help", "--bogus"};
    server_config_t c;
    error_t err;
    bool help = false;
    FILE *f = tmpfile();
    char text[16384];
    size_t n;

    clear_env();
    /* --help needs no repository and stops before later arguments */
    CHECK(server_config_parse(4, argv, &c, &help, &err) == STATUS_OK && help);
    CHECK(server_config_parse(1, (char *[]){"-h"}, &c, &help, &err) == STATUS_OK && help);
    CHECK(server_config_parse(2, (char *[]){"--model-repository", "m"}, &c, &help, &err) ==
              STATUS_OK &&
          !help);
    if (!f) {
        CHECK(f);
        return;
    }
    server_config_usage(f);
    rewind(f);
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    for (int i = 0; i < N_NAMES; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s ", names[i][0]);
        if (!strstr(text, flag) || !strstr(text, names[i][1])) {
            fprintf(stderr, "usage misses %s / %s\n", flag, names[i][1]);
            CHECK(0);
        }
    }
    CHECK(strstr(text, "default 8000") && strstr(text, "default 67108864"));
    CHECK(strstr(text, "none|poll|explicit") && strstr(text, "error|warn|info|debug"));
    CHECK(strstr(text, "required") && strstr(text, "--help"));
}

int main(void)
{
    char cmd[600];

    if (!mkdtemp(tmp_dir))
        return 1;
    test_defaults();
    test_precedence();
    test_errors();
    test_tls_and_restricted();
    test_required();
    test_help();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    CHECK_DONE();
}
