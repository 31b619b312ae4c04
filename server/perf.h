/*
 * perf.h - `inferd perf`, a KServe v2 load generator in the spirit of
 * Triton's perf_analyzer: what its files share.
 *
 *   perf.c         the command: options -> metadata -> inputs -> load -> report
 *   perf_args.c    command-line options
 *   perf_model.c   the model's inputs: shapes from metadata and flags, data
 *   perf_stats.c   latency histogram and counters the workers share
 *   perf_load.c    closed-loop (concurrency) and open-loop (rate) workers
 *   perf_report.c  the progress line, the final table and the JSON line
 *   perf_httpc.c   a minimal HTTP/1.1 keep-alive client over a socket
 *   perf_http.c    KServe v2 over HTTP: metadata, JSON and binary requests
 *   perf_grpc.c    KServe v2 over gRPC: ModelMetadata, ModelInfer (raw contents)
 */
#ifndef INFERD_PERF_H
#define INFERD_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest host name, and port text, of the target. */
#define PERF_HOST_MAX 256
#define PERF_PORT_MAX 16
/* Longest model, tensor or datatype name kept from the metadata. */
#define PERF_NAME_MAX     256
#define PERF_DATATYPE_MAX 16
/* Inputs and outputs a model may declare. */
#define PERF_MAX_TENSORS 64
/* Rank of a tensor. */
#define PERF_MAX_RANK 8
/* Repeated --shape flags. */
#define PERF_MAX_SHAPE_FLAGS 64
/* Bytes of generated input data per request, all inputs together. */
#define PERF_MAX_INPUT_BYTES ((size_t)256 << 20)
/* Room for one error message. */
#define PERF_ERROR_MAX 512
/* Room for one error kind ("http 503", "UNAVAILABLE", "timeout"). */
#define PERF_KIND_MAX 48

typedef enum perf_protocol {
    PERF_HTTP_JSON,
    PERF_HTTP_BINARY,
    PERF_GRPC,
} perf_protocol_t;

/* The send schedule of the open loop. */
typedef enum perf_distribution {
    PERF_CONSTANT, /* every 1/R seconds */
    PERF_POISSON,  /* exponential gaps with mean 1/R */
} perf_distribution_t;

typedef struct perf_options {
    perf_protocol_t protocol;
    char host[PERF_HOST_MAX];
    char port[PERF_PORT_MAX];
    const char *model;
    const char *model_version; /* NULL: the server picks */
    int concurrency;           /* closed loop: workers; 0 in the open loop */
    double request_rate;       /* open loop: requests/s; 0 in the closed loop */
    perf_distribution_t distribution;
    int max_in_flight; /* open loop: clients, so requests outstanding at once */
    int threads;       /* asynchronous transports: threads sharing the clients */
    double duration_s;
    double warmup_s;
    int64_t batch;
    const char *shapes[PERF_MAX_SHAPE_FLAGS]; /* "NAME=d0,d1,..." */
    int n_shapes;
    int timeout_ms; /* one request, connect included */
    bool output_json;
} perf_options_t;

typedef struct perf_input {
    char name[PERF_NAME_MAX];
    char datatype[PERF_DATATYPE_MAX];
    int64_t dims[PERF_MAX_RANK]; /* -1: dynamic, until perf_model_resolve */
    int rank;
    unsigned char *data; /* little-endian, row-major; owned by the model */
    size_t size;
} perf_input_t;

typedef struct perf_model {
    perf_input_t inputs[PERF_MAX_TENSORS];
    int n_inputs;
    char outputs[PERF_MAX_TENSORS][PERF_NAME_MAX];
    int n_outputs;
    int64_t rows; /* inferences one request carries */
} perf_model_t;

/* How one request ended. */
typedef enum perf_outcome {
    PERF_OK,
    PERF_FAILED,      /* an error status, a timeout or a broken answer */
    PERF_UNREACHABLE, /* no connection: the worker backs off before its next try */
} perf_outcome_t;

/* One request's end, as an asynchronous transport's wait gives it. */
typedef struct perf_completion {
    void *tag; /* what start was given */
    perf_outcome_t outcome;
    char kind[PERF_KIND_MAX]; /* the error's kind unless PERF_OK */
} perf_completion_t;

/*
 * One protocol. A session holds what every loop shares (the address,
 * the prepared request); a client is one connection. Functions that can
 * fail write a message naming the target into err.
 *
 * Transports are asynchronous: a few threads each drive many clients
 * through a loop, so a request costs the client no thread switch of its
 * own. Every request a loop starts ends through its wait; one past its
 * deadline (--timeout-ms) is ended with cancel.
 */
typedef struct perf_transport {
    const char *name; /* "http-json", "http-binary", "grpc" */
    /* A new session, owned by the caller (close); NULL on failure. */
    void *(*open)(const perf_options_t *o, char *err, size_t size);
    /* Adds the model's inputs (dims -1 where dynamic) and outputs to model. */
    bool (*metadata)(void *session, perf_model_t *model, char *err, size_t size);
    /* Serialises the request every worker sends; model must be resolved. */
    bool (*prepare)(void *session, const perf_model_t *model, char *err, size_t size);
    /* A client of loop, owned by the caller (client_free, before loop_free); NULL on failure. */
    void *(*client_create)(void *session, void *loop, char *err, size_t size);
    void (*client_free)(void *client); /* NULL: no-op */
    /* A loop, owned by the caller (loop_free, after its clients); NULL on failure. */
    void *(*loop_create)(void *session, char *err, size_t size);
    /*
     * Starts one request on client, which has none in flight; its end comes
     * back from wait with tag. False (kind set) when it could not start.
     */
    bool (*start)(void *client, void *tag, char *kind, size_t size);
    /*
     * Waits until deadline_ns (perf_now_ns's clock; INT64_MAX: no limit)
     * for requests of loop's clients to end; puts up to max of them in out
     * and returns how many, 0 when the deadline came first.
     */
    int (*wait)(void *loop, int64_t deadline_ns, perf_completion_t *out, int max);
    /*
     * Ends client's request in flight, past its deadline (--timeout-ms,
     * kept by the loop): its end, a failure, comes back from a later wait.
     */
    void (*cancel)(void *client);
    void (*loop_free)(void *loop);
    void (*close)(void *session); /* NULL: no-op */
} perf_transport_t;

extern const perf_transport_t perf_http_json_transport;
extern const perf_transport_t perf_http_binary_transport;
extern const perf_transport_t perf_grpc_transport;

/*
 * Parses the arguments after `perf` into o (which points into argv).
 * Returns 0 to run, 1 when --help was printed, -1 after printing a
 * message on stderr.
 */
int perf_args_parse(int argc, char **argv, perf_options_t *o);

/* "http://HOST:PORT" or "HOST:PORT" into buf, for messages. */
const char *perf_target_text(const perf_options_t *o, char *buf, size_t size);

/* Bytes of one element of datatype (4 for BYTES: each an empty string); 0 if unknown. */
size_t perf_datatype_size(const char *datatype);

/* Appends an input from the metadata; false (err set) if it does not fit or is malformed. */
bool perf_model_add_input(perf_model_t *m, const char *name, const char *datatype,
                          const int64_t *dims, int rank, char *err, size_t size);

/* Appends an output name from the metadata; false (err set) if it does not fit. */
bool perf_model_add_output(perf_model_t *m, const char *name, char *err, size_t size);

/*
 * Fills every dynamic dim (--shape, else the first from --batch), checks
 * each --shape names an input, and generates the data: floating point
 * uniform in [0, 1) from a fixed seed, everything else zero. False (err
 * set) on a bad flag or a dim left dynamic.
 */
bool perf_model_resolve(perf_model_t *m, const perf_options_t *o, char *err, size_t size);

/* Frees the generated data; m itself belongs to the caller. */
void perf_model_free(perf_model_t *m);

#endif
