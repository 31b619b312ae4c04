/*
 * harness.h - what the integration tests share: starting the real inferd
 * binary on ephemeral loopback ports and stopping it, HTTP calls with
 * libcurl, Prometheus scrapes, temporary model repositories and a
 * watchdog. Every wait is bounded.
 *
 * The tests read two environment variables (set by tests/CMakeLists.txt):
 * INFERD_BINARY, the inferd executable, and INFERD_EXAMPLE_REPOSITORY, the
 * folder scripts/make_example_models.py wrote.
 */
#ifndef INFERD_TEST_HARNESS_H
#define INFERD_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Longest a server may take to print its ready line. */
#define HARNESS_START_TIMEOUT_MS 30000
/* Longest a server may take to exit after SIGTERM before it is killed. */
#define HARNESS_STOP_TIMEOUT_MS 30000
/* Longest one HTTP call may take unless the call says otherwise. */
#define HARNESS_HTTP_TIMEOUT_MS 20000
/* Extra arguments harness_start passes on. */
#define HARNESS_MAX_ARGS 32
/* Servers one test process may run at once. */
#define HARNESS_MAX_SERVERS 8

/* A running `inferd serve`. */
typedef struct harness_server harness_server_t;

/*
 * Arms a watchdog: if the test is still running after seconds, every
 * server it started is killed and the test exits with status 2. Also
 * starts libcurl. Call first thing in main.
 */
void harness_init(int seconds);

/* The INFERD_EXAMPLE_REPOSITORY folder (the process aborts when unset). */
const char *harness_example_repository(void);

/*
 * Starts `inferd serve --model-repository repository --http-port 0
 * --metrics-port 0 --grpc-port 0 --bind-address 127.0.0.1
 * --drain-delay-secs 0 --exit-timeout-secs 5` followed by extra_args
 * (NULL-terminated, may be NULL; a flag given again there wins) and waits
 * for its ready line. Returns NULL, after printing the server's log, when
 * the server exits or is not ready within HARNESS_START_TIMEOUT_MS. The
 * caller owns the server (harness_stop). Call from the main thread: the
 * server is killed when the thread that started it ends.
 */
harness_server_t *harness_start(const char *repository, const char *const *extra_args);

int harness_http_port(const harness_server_t *s);
int harness_metrics_port(const harness_server_t *s);
pid_t harness_pid(const harness_server_t *s);

/* The gRPC port from the server's "grpc on 127.0.0.1:PORT" log line; -1 when absent. */
int harness_grpc_port(harness_server_t *s);

/* Sends sig to the server without waiting. */
void harness_signal(harness_server_t *s, int sig);

/*
 * Waits up to timeout_ms for the server to exit. Returns its exit code,
 * 128 + signal number when a signal ended it, or -1 when it is still
 * running.
 */
int harness_wait_exit(harness_server_t *s, int timeout_ms);

/*
 * Stops the server (SIGTERM, then SIGKILL after HARNESS_STOP_TIMEOUT_MS)
 * unless it has exited already, and frees s (NULL: returns 0). Returns
 * the exit code as harness_wait_exit does, but 1 at least when the log
 * holds a sanitizer report. Prints the log when the result is not 0,
 * print_log is set, or INFERD_TEST_PRINT_LOG is in the environment.
 */
int harness_stop(harness_server_t *s, bool print_log);

/* harness_stop that prints the log when a CHECK of the calling test has failed (needs check.h). */
#define HARNESS_STOP(s) harness_stop((s), check_failures > 0)

/* Whether the server's log (its stderr so far) contains needle. */
bool harness_log_contains(harness_server_t *s, const char *needle);

/* Times needle occurs in the server's log so far. */
int harness_log_count(harness_server_t *s, const char *needle);

/* Waits up to timeout_ms for needle to appear in the server's log. */
bool harness_wait_log(harness_server_t *s, const char *needle, int timeout_ms);

/* Writes the server's log so far to stderr. */
void harness_print_log(harness_server_t *s);

/* One HTTP call to 127.0.0.1. */
typedef struct harness_request {
    const char *method; /* "GET", "POST" ... */
    int port;
    const char *path;
    const void *body; /* NULL: no body */
    size_t size;
    const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
    long timeout_ms;            /* 0: HARNESS_HTTP_TIMEOUT_MS */
} harness_request_t;

/* What came back. The caller frees it with harness_response_free. */
typedef struct harness_response {
    long status; /* 0: no response (refused, reset or timed out; see error) */
    char *body;  /* NUL-terminated after size bytes */
    size_t size;
    char *headers;   /* the raw header lines, NUL-terminated */
    double start_ms; /* harness_now_ms() when the call began and ended */
    double end_ms;
    long connects; /* connections opened for this call: 0 when one was reused */
    char error[256];
} harness_response_t;

harness_response_t harness_http(const harness_request_t *r);

/*
 * A client that keeps its connection open between calls (HTTP/1.1
 * keep-alive), as real clients do. One thread at a time.
 */
typedef struct harness_session harness_session_t;

harness_session_t *harness_session_new(void);
harness_response_t harness_session_http(harness_session_t *session, const harness_request_t *r);
void harness_session_free(harness_session_t *session);

/* GET path. */
harness_response_t harness_get(int port, const char *path);

/* POST path with a JSON body (NULL: an empty body). */
harness_response_t harness_post(int port, const char *path, const char *json);

void harness_response_free(harness_response_t *r);

/* Copies the value of header name (case-insensitive) into value; false when absent. */
bool harness_header(const harness_response_t *r, const char *name, char *value, size_t size);

/*
 * Parses the JSON part of the body: the first Inference-Header-Content-
 * Length bytes when the response has that header, else all of it. NULL
 * when it is not JSON. The caller owns the result (json_decref).
 */
json_t *harness_json(const harness_response_t *r);

/* The binary part of a response (after the JSON header); *size its length. */
const unsigned char *harness_binary(const harness_response_t *r, size_t *size);

/*
 * The value of the sample `name{labels}` in a Prometheus text body, or -1
 * when absent. labels is written as the server renders them, e.g.
 * model="mlp",version="1".
 */
double harness_metric(const char *text, const char *name, const char *labels);

/* Scrapes the server's metrics port and returns harness_metric of it (-1 on failure). */
double harness_scrape(harness_server_t *s, const char *name, const char *labels);

/* Runs fn(i, arg) for i in 0..n-1, each on its own thread, and waits for all of them. */
void harness_parallel(int n, void (*fn)(int i, void *arg), void *arg);

/* Monotonic milliseconds. */
double harness_now_ms(void);

void harness_sleep_ms(int ms);

/* A new empty folder under $TMPDIR (or /tmp); malloc'd path, NULL on failure. */
char *harness_temp_dir(void);

/* Removes path and everything below it; NULL is a no-op. */
void harness_remove_tree(const char *path);

/* Creates path and its missing parents. */
bool harness_mkdirs(const char *path);

/*
 * Writes data to path atomically (a sibling temporary file, then rename),
 * creating missing parent folders.
 */
bool harness_write_file(const char *path, const void *data, size_t size);

/* Copies a file (atomically, creating missing parent folders). */
bool harness_copy_file(const char *from, const char *to);

/* Copies model folder `model` of the example repository to repository/as_name. */
bool harness_copy_example(const char *repository, const char *model, const char *as_name);

/* Writes repository/model/config.json (atomically). */
bool harness_write_config(const char *repository, const char *model, const char *json);

/*
 * Writes, atomically, an ONNX model (opset 13) with input "x" FP32 [batch,
 * 4] and outputs "y" = x * scale + bias and "z" = -x, both [batch, 4]: its
 * results are known exactly. Needs /usr/bin/python3 with the onnx package.
 */
bool harness_make_affine_model(const char *path, int scale, int bias);

/* Formats into a malloc'd string (aborts when out of memory). */
char *harness_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
