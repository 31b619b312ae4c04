/*
 * test_perf.c - `inferd perf` against a real server on the example
 * repository (model mlp): each protocol and both loops for about two
 * seconds, checking the JSON report against the server's own count of
 * successful requests (inferd_request_success_total must grow by exactly
 * the requests perf made); bad arguments; a server that is down, one that
 * never answers, and one that stops in the middle of a run.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define WATCHDOG_SECS 120
/*
 * Longest a perf run may take beyond its --duration and --warmup: it only
 * tells a hang from a slow start. An open-loop run connects 32 clients
 * before its clock starts and closes them after; under ASan on a loaded
 * 2-core machine that once took more than 8 s (3 s is usual there).
 */
#define PERF_GRACE_MS 20000
/* Arguments one perf run takes. */
#define PERF_MAX_ARGS 32
/* How long the success counter may lag behind the last answer. */
#define METRIC_SETTLE_MS 3000
#define SUCCESS_METRIC   "inferd_request_success_total"
#define MLP_LABELS       "model=\"mlp\",version=\"1\""

/* A finished perf run. */
typedef struct perf_run {
    int exit_code; /* -1: killed after the time limit */
    char *out;     /* stdout and stderr, NUL-terminated */
    char *err;
    json_t *report; /* the --output-json line, or NULL */
    double ms;      /* wall time */
} perf_run_t;

/* A started perf run. */
typedef struct perf_child {
    pid_t pid;
    char *dir, *out_path, *err_path;
    double start_ms;
} perf_child_t;

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size;

    if (!f)
        return harness_format("%s", "");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = calloc(1, (size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, f) != (size_t)size)
        abort();
    fclose(f);
    return text;
}

/* Starts `inferd perf args...` with stdout and stderr going to files. */
static perf_child_t perf_start(const char *const *args)
{
    const char *argv[PERF_MAX_ARGS + 3];
    perf_child_t c = {0};
    int n = 0;

    argv[n++] = getenv("INFERD_BINARY");
    argv[n++] = "perf";
    for (int i = 0; args[i]; i++) {
        if (i == PERF_MAX_ARGS)
            abort();
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    c.dir = harness_temp_dir();
    if (!argv[0] || !c.dir)
        abort();
    c.out_path = harness_format("%s/stdout", c.dir);
    c.err_path = harness_format("%s/stderr", c.dir);
    c.start_ms = harness_now_ms();
    c.pid = fork();
    if (c.pid == 0) {
        int out = open(c.out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(c.err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (c.pid < 0)
        abort();
    return c;
}

/* Waits up to limit_ms for the run, kills it after that, and collects its output. */
static perf_run_t perf_wait(perf_child_t *c, int limit_ms)
{
    perf_run_t r = {.exit_code = -1};
    int status;
    pid_t done = 0;

    while ((done = waitpid(c->pid, &status, WNOHANG)) == 0 &&
           harness_now_ms() - c->start_ms < limit_ms)
        harness_sleep_ms(20);
    if (done == 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, &status, 0);
        fprintf(stderr, "perf did not finish within %d ms\n", limit_ms);
    } else if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "perf died of signal %d\n", WTERMSIG(status));
    }
    r.ms = harness_now_ms() - c->start_ms;
    r.out = read_all(c->out_path);
    r.err = read_all(c->err_path);
    r.report = json_loads(r.out, JSON_DISABLE_EOF_CHECK, NULL);
    harness_remove_tree(c->dir);
    free(c->dir);
    free(c->out_path);
    free(c->err_path);
    return r;
}

static perf_run_t perf_run(const char *const *args, int limit_ms)
{
    perf_child_t c = perf_start(args);
    return perf_wait(&c, limit_ms);
}

static void perf_run_free(perf_run_t *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->report);
}

static double report_number(const perf_run_t *r, const char *key)
{
    return json_number_value(json_object_get(r->report, key));
}

static double success_count(harness_server_t *s)
{
    return harness_scrape(s, SUCCESS_METRIC, MLP_LABELS);
}

/* Waits for the success counter to reach expected (answers may be counted just after). */
static double settled_success_count(harness_server_t *s, double expected)
{
    double start = harness_now_ms(), v;

    while ((v = success_count(s)) != expected && harness_now_ms() - start < METRIC_SETTLE_MS)
        harness_sleep_ms(50);
    return v;
}

/*
 * One measured run: exit 0, a JSON report with requests and no errors,
 * and the server counted exactly the requests perf made (warmup included).
 */
static void check_run(harness_server_t *s, const char *what, const char *const *args,
                      double expected_secs, perf_run_t *out)
{
    double before = success_count(s), after, made;
    perf_run_t r = perf_run(args, (int)(expected_secs * 1000) + PERF_GRACE_MS);

    made = report_number(&r, "requests") + report_number(&r, "warmup_requests");
    after = settled_success_count(s, before + made);
    fprintf(stderr, "%s: exit %d, %.0f requests, %.0f errors, %.1f req/s, p50 %.3f ms\n", what,
            r.exit_code, report_number(&r, "requests"), report_number(&r, "errors"),
            report_number(&r, "throughput_rps"),
            json_number_value(json_object_get(json_object_get(r.report, "latency_ms"), "p50")));
    CHECK(r.exit_code == 0);
    CHECK(r.report != NULL);
    CHECK(report_number(&r, "requests") > 0);
    CHECK(report_number(&r, "errors") == 0);
    CHECK(report_number(&r, "warmup_errors") == 0);
    CHECK(report_number(&r, "successes") == report_number(&r, "requests"));
    CHECK(before >= 0);
    CHECK(after - before == made);
    CHECK(json_number_value(json_object_get(json_object_get(r.report, "latency_ms"), "p50")) > 0);
    /* The progress line comes once a second. */
    CHECK(strstr(r.err, "[perf]") != NULL);
    if (check_failures)
        fprintf(stderr, "%s: before %.0f after %.0f made %.0f\nstdout: %s\nstderr: %s\n", what,
                before, after, made, r.out, r.err);
    if (out)
        *out = r;
    else
        perf_run_free(&r);
}

/* A free loopback port (for the gRPC listener, which the harness does not report). */
static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* A listener that accepts connections (the kernel does) and never answers. */
static int silent_listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        abort();
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_http_loops(harness_server_t *s, const char *url)
{
    perf_run_t r;
    const char *json_closed[] = {"--url", url,          "--model", "mlp",           "--concurrency",
                                 "2",     "--duration", "2",       "--output-json", NULL};
    const char *binary_batched[] = {
        "--url",   url, "--model",    "mlp", "--protocol", "binary", "--concurrency", "4",
        "--batch", "3", "--duration", "1.5", "--warmup",   "0.5",    "--output-json", NULL};
    /* A constant schedule of 150/s over 2 s has exactly 300 slots. */
    const char *binary_rate[] = {"--url",      url,      "--model",        "mlp",
                                 "--protocol", "binary", "--request-rate", "150",
                                 "--duration", "2",      "--output-json",  NULL};

    check_run(s, "http-json concurrency 2", json_closed, 2, NULL);

    check_run(s, "http-binary concurrency 4 batch 3 warmup", binary_batched, 2, &r);
    CHECK(report_number(&r, "warmup_requests") > 0);
    CHECK(report_number(&r, "inferences_per_request") == 3);
    CHECK_NEAR(report_number(&r, "inferences_per_s"), 3 * report_number(&r, "throughput_rps"),
               1e-4 * report_number(&r, "inferences_per_s"));
    perf_run_free(&r);

    check_run(s, "http-binary rate 150/s", binary_rate, 2, &r);
    CHECK(report_number(&r, "requests") + report_number(&r, "unsent_requests") == 300);
    CHECK(strcmp(json_string_value(json_object_get(r.report, "mode")), "request_rate") == 0);
    perf_run_free(&r);
}

static void test_grpc(harness_server_t *s, int grpc_port)
{
    char *target = harness_format("127.0.0.1:%d", grpc_port);
    perf_run_t r;
    const char *closed[] = {"--grpc", target,       "--model", "mlp",           "--concurrency",
                            "4",      "--duration", "2",       "--output-json", NULL};
    const char *poisson[] = {"--grpc",
                             target,
                             "--model",
                             "mlp",
                             "--request-rate",
                             "200",
                             "--request-distribution",
                             "poisson",
                             "--duration",
                             "1.5",
                             "--output-json",
                             NULL};

    check_run(s, "grpc concurrency 4", closed, 2, NULL);
    check_run(s, "grpc poisson 200/s", poisson, 1.5, &r);
    CHECK(strcmp(json_string_value(json_object_get(r.report, "protocol")), "grpc") == 0);
    perf_run_free(&r);
    free(target);
}

/* The table (no --output-json) on stdout. */
static void test_table(const char *url)
{
    const char *args[] = {"--url", url, "--model", "mlp", "--duration", "0.5", NULL};
    perf_run_t r = perf_run(args, PERF_GRACE_MS);

    CHECK(r.exit_code == 0);
    CHECK(r.report == NULL);
    CHECK(strstr(r.out, "throughput") != NULL);
    CHECK(strstr(r.out, "p99") != NULL);
    perf_run_free(&r);
}

/* Every bad argument exits 2 with a message naming it, and sends nothing. */
static void test_bad_arguments(harness_server_t *s, const char *url)
{
    static const char *const cases[][12] = {
        {"--model", "mlp", NULL},
        {"--url", "URL", "--grpc", "127.0.0.1:1", "--model", "mlp", NULL},
        {"--url", "URL", NULL},
        {"--url", "https://127.0.0.1:1", "--model", "mlp", NULL},
        {"--url", "http://127.0.0.1:1/v2", "--model", "mlp", NULL},
        {"--url", "http://127.0.0.1:99999", "--model", "mlp", NULL},
        {"--grpc", "127.0.0.1", "--model", "mlp", NULL},
        {"--grpc", "127.0.0.1:1", "--model", "mlp", "--protocol", "json", NULL},
        {"--url", "URL", "--model", "mlp", "--protocol", "xml", NULL},
        {"--url", "URL", "--model", "mlp", "--concurrency", "0", NULL},
        {"--url", "URL", "--model", "mlp", "--concurrency", "many", NULL},
        {"--url", "URL", "--model", "mlp", "--concurrency", "2", "--request-rate", "5", NULL},
        {"--url", "URL", "--model", "mlp", "--request-rate", "-3", NULL},
        {"--url", "URL", "--model", "mlp", "--request-distribution", "poisson", NULL},
        {"--url", "URL", "--model", "mlp", "--duration", "0", NULL},
        {"--url", "URL", "--model", "mlp", "--duration", "nan", NULL},
        {"--url", "URL", "--model", "mlp", "--batch", "0", NULL},
        {"--url", "URL", "--model", "mlp", "--shape", "input", NULL},
        {"--url", "URL", "--model", "mlp", "--bogus", "1", NULL},
        {"--url", "URL", "--model", "mlp", "--duration", NULL},
        /* These reach the server: the shapes do not fit the model's metadata. */
        {"--url", "URL", "--model", "mlp", "--shape", "nope=1,16", NULL},
        {"--url", "URL", "--model", "mlp", "--shape", "input=1,15", NULL},
        {"--url", "URL", "--model", "mlp", "--shape", "input=1,16,1", NULL},
    };
    double before = success_count(s);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[12];
        perf_run_t r;
        for (int k = 0; k < 12; k++)
            args[k] = cases[i][k] && strcmp(cases[i][k], "URL") == 0 ? url : cases[i][k];
        r = perf_run(args, PERF_GRACE_MS);
        CHECK(r.exit_code == 2);
        CHECK(strstr(r.err, "inferd perf: ") != NULL);
        if (r.exit_code != 2)
            fprintf(stderr, "bad-argument case %zu: exit %d, stderr: %s\n", i, r.exit_code, r.err);
        perf_run_free(&r);
    }
    CHECK(success_count(s) == before);
}

/* Nothing listening, a listener that never answers, and an unknown model: exit 1 quickly. */
static void test_unreachable(const char *url)
{
    int silent_port, silent_fd = silent_listener(&silent_port), closed_port = free_port();
    char *closed_url = harness_format("http://127.0.0.1:%d", closed_port);
    char *closed_grpc = harness_format("127.0.0.1:%d", closed_port);
    char *silent_url = harness_format("http://127.0.0.1:%d", silent_port);
    char *silent_grpc = harness_format("127.0.0.1:%d", silent_port);
    const char *down[] = {"--url", closed_url, "--model", "mlp", NULL};
    const char *down_grpc[] = {"--grpc", closed_grpc, "--model", "mlp", NULL};
    const char *silent[] = {"--url", silent_url, "--model", "mlp", "--timeout-ms", "500", NULL};
    /* perf's gRPC stack has no deadline filter: perf itself must end the metadata call. */
    const char *silent_rpc[] = {"--grpc",       silent_grpc, "--model", "mlp",
                                "--timeout-ms", "500",       NULL};
    const char *unknown[] = {"--url", url, "--model", "nope", NULL};
    perf_run_t r;

    r = perf_run(down, PERF_GRACE_MS);
    CHECK(r.exit_code == 1);
    CHECK(strstr(r.err, "cannot reach") != NULL);
    CHECK(r.ms < 3000);
    perf_run_free(&r);

    r = perf_run(down_grpc, PERF_GRACE_MS);
    CHECK(r.exit_code == 1);
    CHECK(strstr(r.err, "cannot reach") != NULL);
    CHECK(r.ms < 6000);
    perf_run_free(&r);

    r = perf_run(silent, PERF_GRACE_MS);
    CHECK(r.exit_code == 1);
    CHECK(strstr(r.err, "no answer within 500 ms") != NULL);
    CHECK(r.ms < 3000);
    perf_run_free(&r);

    r = perf_run(silent_rpc, PERF_GRACE_MS);
    CHECK(r.exit_code == 1);
    CHECK(strstr(r.err, "DEADLINE_EXCEEDED") != NULL);
    CHECK(r.ms < 3000);
    perf_run_free(&r);

    r = perf_run(unknown, PERF_GRACE_MS);
    CHECK(r.exit_code == 1);
    CHECK(strstr(r.err, "404") != NULL);
    perf_run_free(&r);

    close(silent_fd);
    free(closed_url);
    free(closed_grpc);
    free(silent_url);
    free(silent_grpc);
}

/* The server dies under load: perf counts the failures and ends on time. */
static void test_server_stops(harness_server_t *s, const char *url)
{
    const char *args[] = {"--url",      url, "--model",      "mlp",  "--concurrency", "2",
                          "--duration", "2", "--timeout-ms", "2000", "--output-json", NULL};
    double before = success_count(s);
    perf_child_t c = perf_start(args);
    perf_run_t r;

    /* Under load (or the sanitizers) perf may take a while to read the metadata and start. */
    for (int waited = 0; success_count(s) <= before && waited < PERF_GRACE_MS; waited += 20)
        harness_sleep_ms(20);
    harness_sleep_ms(200);
    /* A crash rather than a drain: a drain may keep serving busy keep-alive connections. */
    harness_signal(s, SIGKILL);
    CHECK(harness_stop(s, false) == 128 + SIGKILL);
    r = perf_wait(&c, 2000 + PERF_GRACE_MS);
    if (r.exit_code != 0)
        fprintf(stderr, "perf after the server died: exit %d\n%s\n", r.exit_code,
                r.err ? r.err : "");
    CHECK(r.exit_code == 0);
    CHECK(report_number(&r, "requests") > 0);
    CHECK(report_number(&r, "errors") > 0);
    CHECK(json_object_size(json_object_get(r.report, "errors_by_kind")) > 0);
    if (check_failures)
        fprintf(stderr, "server stops: stdout: %s\nstderr: %s\n", r.out, r.err);
    perf_run_free(&r);
}

int main(void)
{
    int grpc_port = free_port();
    char *grpc_port_text = harness_format("%d", grpc_port);
    const char *extra[] = {"--grpc-port", grpc_port_text, NULL};
    harness_server_t *s;
    char *url;

    harness_init(WATCHDOG_SECS);
    s = harness_start(harness_example_repository(), extra);
    CHECK(s != NULL);
    if (!s)
        CHECK_DONE();
    url = harness_format("http://127.0.0.1:%d", harness_http_port(s));

    test_http_loops(s, url);
    /* Until the gRPC front end is in `inferd serve`, its log never mentions gRPC. */
    if (harness_log_contains(s, "grpc"))
        test_grpc(s, grpc_port);
    else
        fprintf(stderr, "SKIP gRPC: the server does not serve gRPC yet\n");
    test_table(url);
    test_bad_arguments(s, url);
    test_unreachable(url);
    test_server_stops(s, url);

    free(url);
    free(grpc_port_text);
    CHECK_DONE();
}
