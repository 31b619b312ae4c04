/*
 * repository.h - the model repository: DIR/<model>/config.json (optional)
 * and DIR/<model>/<version>/model.onnx. Loads the versions each model's
 * version policy selects, serves them by name and version, reloads changed
 * files and unloads removed ones (poll mode), or loads and unloads on
 * request (explicit mode).
 *
 * The single-model layout (what KServe's storage initializer leaves in
 * /mnt/models) is also a repository: a DIR holding exactly one .onnx file,
 * optionally with DIR/config.json, serves it as version 1 of the model
 * named by --model-name (default: the file name without .onnx). A DIR with
 * several .onnx files, or with one beside a model folder, is ambiguous: the
 * server does not start, and a later poll that finds it changes nothing.
 *
 * Requests hold a reference to the version they use (repository_acquire /
 * repository_release). A version that is replaced or removed stops being
 * handed out at once, keeps serving the requests that hold it, and is freed
 * by the repository's thread when the last one lets go, so a reload never
 * fails a request in flight. A model that fails to load is reported and
 * never affects the others.
 */
#ifndef INFERD_REPOSITORY_H
#define INFERD_REPOSITORY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "batcher.h"
#include "backend.h"
#include "model_config.h"
#include "model_labels.h"
#include "response_stats.h"
#include "server_config.h"

/* Model versions the repository tracks at once (loaded, loading or failed). */
#define REPOSITORY_MAX_SLOTS  1024
#define REPOSITORY_REASON_MAX 512

typedef enum model_state {
    MODEL_STATE_LOADING = 0,
    MODEL_STATE_READY,
    MODEL_STATE_UNAVAILABLE, /* failed to load, or unloaded: see the reason */
} model_state_t;

/* One loaded model version: immutable once ready, shared by its requests. */
/* A version in decimal with its terminator: 20 characters for INT64_MIN. */
#define MODEL_VERSION_TEXT_MAX 24

typedef struct served_model {
    char name[MODEL_NAME_MAX];
    int64_t version;
    char version_text[MODEL_VERSION_TEXT_MAX]; /* version in decimal, as answers carry it */
    model_config_t config;
    model_labels_t *labels; /* its outputs' class labels; NULL: none */
    backend_model_t *backend;
    batcher_t *batcher;
    atomic_int refs;
    _Atomic int64_t last_inference_ms; /* wall clock of the last success, 0 = none */
    _Atomic uint64_t rejected;         /* requests refused before queueing (malformed) */
    response_durations_t durations;    /* server time of its infer requests, by outcome */
    int64_t model_mtime_ns;            /* to notice changed files */
    int64_t model_size;
    int64_t config_mtime_ns;
    bool config_override; /* its config came with the load request, not config.json */
    struct served_model *next_retired;
} served_model_t;

/* One line of the repository index. */
typedef struct repository_entry {
    char name[MODEL_NAME_MAX];
    int64_t version; /* -1: the model as a whole (e.g. its config is broken) */
    model_state_t state;
    char reason[REPOSITORY_REASON_MAX];
} repository_entry_t;

typedef struct repository repository_t;

/*
 * Creates the repository for cfg->model_repository and, unless the mode is
 * explicit, loads every model in it; starts the thread that frees retired
 * versions and, in poll mode, rescans. cfg must outlive the repository.
 */
status_t repository_create(const server_config_t *cfg, repository_t **out, error_t *err);

/* Unloads everything (waiting for in-flight requests) and frees; NULL is a no-op. */
void repository_free(repository_t *repo);

/*
 * The ready version `version` of model `name` (version -1: the highest
 * ready one), with a reference the caller must give back with
 * repository_release. NOT_FOUND for an unknown model or version,
 * UNAVAILABLE for one that is not ready: loading, failed, unloaded, or in
 * the repository but never loaded (explicit mode).
 */
status_t repository_acquire(repository_t *repo, const char *name, int64_t version,
                            served_model_t **out, error_t *err);
void repository_release(repository_t *repo, served_model_t *model);

/*
 * Explicit mode: (re)load or unload every version of a model (one the root
 * holds). config, when not NULL, is a configuration's JSON text (len
 * bytes) that replaces the model's config.json for this load (Triton's
 * override): validated as config.json is, and every selected version is
 * reloaded with it. A later load without one goes back to config.json.
 * Fails, naming the version, when a version does not load (one already
 * serving then keeps serving).
 */
status_t repository_load(repository_t *repo, const char *name, const char *config, size_t len,
                         error_t *err);
status_t repository_unload(repository_t *repo, const char *name, error_t *err);

/* Rescans the whole repository now (what poll mode does periodically). */
void repository_poll(repository_t *repo);

/*
 * Fills entries (at most max) with every model folder and tracked version;
 * returns the count.
 */
int repository_index(repository_t *repo, repository_entry_t *entries, int max);

/*
 * References to every ready version (at most max), for statistics and
 * metrics; give each back with repository_release. Returns the count.
 */
int repository_snapshot(repository_t *repo, served_model_t **models, int max);

/* Versions of name that are ready, ascending; returns the count. */
int repository_versions(repository_t *repo, const char *name, int64_t *versions, int max);

/* Every batcher runs what it holds at once, without waiting for company (batcher_hurry). */
void repository_hurry(repository_t *repo);

/* Stops serving: drains every batcher (queued requests still complete). */
void repository_drain(repository_t *repo);

#endif
