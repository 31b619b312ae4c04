#include "repository.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

/* Versions of one model a scan considers. */
#define REPOSITORY_MAX_VERSIONS 256
/* The version the single-model layout serves its file as. */
#define SINGLE_MODEL_VERSION 1
/* A version folder's model file is this stem plus a backend's suffix: model.onnx, model.om. */
#define MODEL_FILE_STEM "model"

/* A tracked model version: loading, ready, or failed with a reason. */
typedef struct slot {
    bool used;
    char name[MODEL_NAME_MAX];
    int64_t version; /* -1: the model as a whole */
    model_state_t state;
    char reason[REPOSITORY_REASON_MAX];
    served_model_t *model; /* set when ready; holds one reference */
} slot_t;

/*
 * What the repository root holds, read by one scan: model folders
 * (DIR/<model>/<version>/model.onnx or model.om), or the single-model
 * layout, exactly one DIR/<file>.onnx (or .om) served as one model. Owned
 * by the caller of scan_layout; names has room for REPOSITORY_MAX_SLOTS.
 */
typedef struct layout {
    char (*names)[MODEL_NAME_MAX]; /* the model folders, or the single model's name */
    int n;
    char single_file[PATH_MAX]; /* the single model's file; "" for model folders */
} layout_t;

/* Where one model's files are. */
typedef struct model_files {
    char config_path[PATH_MAX];
    char dir[PATH_MAX];      /* a model folder: its versions are dir/<n>/model.<suffix> */
    const char *single_file; /* or the single-model layout's file, version 1 (NULL) */
} model_files_t;

struct repository {
    const server_config_t *cfg;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_mutex_t sync_lock; /* one scan or explicit load/unload at a time */
    slot_t slots[REPOSITORY_MAX_SLOTS];
    /*
     * Every slot ever used is below it (it never shrinks): lookups, one per
     * inference request and under the lock, stop there instead of reading
     * all REPOSITORY_MAX_SLOTS slots.
     */
    int n_slots;
    served_model_t *retired; /* released by the repository, waiting for their last request */
    bool stopping;
    bool draining;
    pthread_t thread;
    bool thread_started;
};

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* The slot of (name, version), or NULL. Called with the lock held. */
static slot_t *find_slot(repository_t *repo, const char *name, int64_t version)
{
    for (int i = 0; i < repo->n_slots; i++)
        if (repo->slots[i].used && repo->slots[i].version == version &&
            strcmp(repo->slots[i].name, name) == 0)
            return &repo->slots[i];
    return NULL;
}

/* The slot of (name, version), created if missing; NULL when the table is full. */
static slot_t *get_slot(repository_t *repo, const char *name, int64_t version)
{
    slot_t *s = find_slot(repo, name, version);

    for (int i = 0; !s && i < REPOSITORY_MAX_SLOTS; i++)
        if (!repo->slots[i].used) {
            s = &repo->slots[i];
            memset(s, 0, sizeof *s);
            s->used = true;
            snprintf(s->name, sizeof s->name, "%s", name);
            s->version = version;
            if (i >= repo->n_slots)
                repo->n_slots = i + 1;
        }
    return s;
}

static void set_state(repository_t *repo, const char *name, int64_t version, model_state_t state,
                      const char *reason)
{
    slot_t *s;

    pthread_mutex_lock(&repo->lock);
    s = get_slot(repo, name, version);
    if (s) {
        s->state = state;
        snprintf(s->reason, sizeof s->reason, "%s", reason);
    }
    pthread_mutex_unlock(&repo->lock);
}

/* Frees a version nobody uses any more (batcher first: it drains its workers). */
static void free_served(served_model_t *m)
{
    if (!m)
        return;
    batcher_free(m->batcher);
    backend_model_free(m->backend);
    model_labels_free(m->labels);
    free(m);
}

void repository_release(repository_t *repo, served_model_t *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    /* The last reference: the repository's thread frees it, never a worker or HTTP thread. */
    pthread_mutex_lock(&repo->lock);
    m->next_retired = repo->retired;
    repo->retired = m;
    pthread_cond_signal(&repo->wake);
    pthread_mutex_unlock(&repo->lock);
}

/* Takes a ready version out of service; it is freed when its last request ends. */
static void retire_slot(repository_t *repo, slot_t *s, const char *reason)
{
    served_model_t *m = s->model;

    s->model = NULL;
    s->state = MODEL_STATE_UNAVAILABLE;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    if (m) {
        log_info("model %s version %lld: %s", m->name, (long long)m->version, reason);
        pthread_mutex_unlock(&repo->lock);
        repository_release(repo, m);
        pthread_mutex_lock(&repo->lock);
    }
}

/* Runs each warmup of cfg through a scratch context: plans exist before the first request. */
static status_t warm_up(served_model_t *m, error_t *err)
{
    const model_config_t *cfg = &m->config;
    const backend_instance_t instance = {.threads = cfg->batching.threads_per_instance,
                                         .device = cfg->batching.instance_devices[0]};
    backend_context_t *ctx = NULL;
    tensor_t inputs[MODEL_CONFIG_MAX_IO];
    arena_t arena;
    status_t st = STATUS_OK;

    arena_init(&arena);
    if (cfg->n_warmup)
        st = backend_context_create(m->backend, &instance, &ctx, err);
    for (int w = 0; !st && w < cfg->n_warmup; w++) {
        const warmup_config_t *wc = &cfg->warmup[w];
        const tensor_t *outputs;
        for (int i = 0; !st && i < cfg->n_inputs; i++) {
            const model_tensor_config_t *in = &cfg->inputs[i];
            const model_tensor_config_t *dims = in;
            tensor_t *t = &inputs[i];
            for (int k = 0; k < wc->n_inputs; k++)
                if (strcmp(wc->inputs[k].name, in->name) == 0 && wc->inputs[k].rank >= 0)
                    dims = &wc->inputs[k];
            t->dtype = in->dtype;
            t->rank = 0;
            if (cfg->max_batch_size > 0)
                t->dims[t->rank++] = wc->batch_size;
            for (int d = 0; d < dims->rank && t->rank < TENSOR_MAX_RANK; d++)
                t->dims[t->rank++] = dims->dims[d];
            for (int d = 0; d < t->rank; d++)
                if (t->dims[d] < 0)
                    st = error_set(err, STATUS_INVALID_ARGUMENT,
                                   "warmup %d: input '%s' has a variable dim; give its dims", w,
                                   in->name);
            if (!st && !shape_valid(t->rank, t->dims, NULL))
                st = error_set(err, STATUS_INVALID_ARGUMENT, "warmup %d: input '%s' is too large",
                               w, in->name);
            if (!st && !(t->data = arena_alloc(&arena, tensor_bytes(t) + 1)))
                st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        }
        for (int it = 0; !st && it < wc->iterations; it++)
            st = backend_context_run(ctx, inputs, cfg->n_inputs, &outputs, err);
    }
    backend_context_free(ctx);
    arena_release(&arena);
    return st;
}

/*
 * Loads one version completely: engine, completed config, labels (from
 * model_dir), batcher, warmup.
 */
static status_t load_version(repository_t *repo, const char *name, int64_t version,
                             const model_config_t *base, const backend_ops_t *ops,
                             const char *model_dir, const char *model_path,
                             const struct stat *model_st, int64_t config_mtime,
                             served_model_t **out, error_t *err)
{
    served_model_t *m = calloc(1, sizeof *m);
    engine_model_options_t options = {0};
    status_t st;

    *out = NULL;
    if (!m)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    snprintf(m->name, sizeof m->name, "%s", name);
    m->version = version;
    /* Once here: glibc's snprintf of an int64 was ~1 % of a worker's CPU per answer. */
    snprintf(m->version_text, sizeof m->version_text, "%lld", (long long)version);
    m->config = *base;
    /* The workers' thread names: as much of the model's name as fits. */
    snprintf(m->config.batching.thread_name, sizeof m->config.batching.thread_name, "%.*s",
             (int)sizeof m->config.batching.thread_name - 1, name);
    atomic_init(&m->refs, 1);
    m->model_mtime_ns = mtime_ns(model_st);
    m->model_size = (int64_t)model_st->st_size;
    m->config_mtime_ns = config_mtime;
    m->config_override = config_mtime < 0;
    options.precision = base->precision;
    st = backend_model_load(ops, model_path, &options, &m->backend, err);
    if (!st)
        st = model_config_complete(&m->config, m->backend, err);
    if (!st)
        st = model_labels_load(model_dir, &m->config, &m->labels, err);
    if (!st)
        st = warm_up(m, err);
    if (!st)
        st = batcher_create(m->backend, &m->config.batching, &m->batcher, err);
    if (st) {
        free_served(m);
        return st;
    }
    *out = m;
    return STATUS_OK;
}

static int compare_versions(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * The model files of version folder dir/<version> (model.onnx, model.om,
 * one per backend that has one there): fills ops[] (room for every
 * backend) and returns the count.
 */
static int version_files(const char *dir, const char *version, const backend_ops_t **ops)
{
    const backend_ops_t *const *list;
    int n_backends, n = 0;

    list = backend_list(&n_backends);
    for (int i = 0; i < n_backends; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s/%s%s", dir, version, MODEL_FILE_STEM,
                 list[i]->file_suffix);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            ops[n++] = list[i];
    }
    return n;
}

/* Numeric subfolders of dir that hold a model file, ascending. */
static int list_versions(const char *dir, int64_t *versions, int max)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max) {
        const backend_ops_t *ops[BACKEND_LIST_MAX];
        char *end;
        long long v = strtoll(e->d_name, &end, 10);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end || v < 0)
            continue;
        if (version_files(dir, e->d_name, ops) > 0)
            versions[n++] = v;
    }
    closedir(d);
    qsort(versions, (size_t)n, sizeof *versions, compare_versions);
    return n;
}

/* The versions of a model that have a model file, ascending. */
static int model_versions(const model_files_t *files, int64_t *versions, int max)
{
    struct stat st;

    if (!files->single_file)
        return list_versions(files->dir, versions, max);
    if (max < 1 || stat(files->single_file, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    versions[0] = SINGLE_MODEL_VERSION;
    return 1;
}

/*
 * The model file of one version and the backend to load it with: the one
 * config.json names, else the one its file implies. A version folder with
 * files for several backends needs "backend" in config.json.
 */
static status_t version_path(const model_files_t *files, int64_t version, const model_config_t *cfg,
                             char *path, size_t size, const backend_ops_t **out, error_t *err)
{
    const backend_ops_t *ops[BACKEND_LIST_MAX];
    char number[32];
    int n;

    *out = cfg->backend[0] ? backend_find(cfg->backend) : NULL;
    if (files->single_file) {
        snprintf(path, size, "%s", files->single_file);
        return STATUS_OK;
    }
    snprintf(number, sizeof number, "%lld", (long long)version);
    if (*out) {
        snprintf(path, size, "%s/%s/%s%s", files->dir, number, MODEL_FILE_STEM,
                 (*out)->file_suffix);
        return STATUS_OK;
    }
    n = version_files(files->dir, number, ops);
    if (n > 1)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s/%s holds %s%s and %s%s: say which to serve with \"backend\" in "
                         "config.json",
                         files->dir, number, MODEL_FILE_STEM, ops[0]->file_suffix, MODEL_FILE_STEM,
                         ops[1]->file_suffix);
    snprintf(path, size, "%s/%s/%s%s", files->dir, number, MODEL_FILE_STEM,
             n ? ops[0]->file_suffix : backend_cpu_ops.file_suffix);
    return STATUS_OK;
}

/* Keeps the versions the policy selects, in place; returns how many remain. */
static int apply_policy(const version_policy_t *p, int64_t *versions, int n)
{
    int kept = 0;

    if (p->kind == VERSION_POLICY_ALL)
        return n;
    if (p->kind == VERSION_POLICY_LATEST) {
        int first = n > p->latest_n ? n - p->latest_n : 0;
        memmove(versions, versions + first, (size_t)(n - first) * sizeof *versions);
        return n - first;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < p->n_versions; k++)
            if (versions[i] == p->versions[k]) {
                versions[kept++] = versions[i];
                break;
            }
    return kept;
}

/*
 * Records why a version cannot load. A version already serving keeps
 * serving: only one not loaded yet becomes unavailable.
 */
static void version_failed(repository_t *repo, const char *name, int64_t version,
                           const char *reason)
{
    slot_t *s;
    bool serving;

    log_error("model %s version %lld failed to load: %s", name, (long long)version, reason);
    pthread_mutex_lock(&repo->lock);
    s = find_slot(repo, name, version);
    serving = s && s->model;
    pthread_mutex_unlock(&repo->lock);
    if (!serving)
        set_state(repo, name, version, MODEL_STATE_UNAVAILABLE, reason);
}

/*
 * Brings one version in line with the files: load it, reload it if changed
 * (always, when its config is an override: config_mtime < 0), or keep it.
 * Fails when the version does not load; a version already serving then
 * keeps serving.
 */
static status_t sync_version(repository_t *repo, const char *name, const model_files_t *files,
                             int64_t version, const model_config_t *cfg, int64_t config_mtime,
                             error_t *err)
{
    char path[PATH_MAX];
    struct stat st;
    served_model_t *fresh = NULL, *current = NULL;
    const backend_ops_t *ops;
    slot_t *s;

    if (version_path(files, version, cfg, path, sizeof path, &ops, err) != STATUS_OK) {
        version_failed(repo, name, version, err->message);
        return err->code;
    }
    if (stat(path, &st) != 0) {
        /* Only a backend named in the config can point at a file that is not there. */
        error_set(err, STATUS_NOT_FOUND, "%s: no such file%s%s%s", path,
                  cfg->backend[0] ? " (the config names backend \"" : "", cfg->backend,
                  cfg->backend[0] ? "\")" : "");
        version_failed(repo, name, version, err->message);
        return err->code;
    }
    pthread_mutex_lock(&repo->lock);
    s = find_slot(repo, name, version);
    current = s ? s->model : NULL;
    if (current && current->model_mtime_ns == mtime_ns(&st) &&
        current->model_size == (int64_t)st.st_size && current->config_mtime_ns == config_mtime &&
        config_mtime >= 0) {
        pthread_mutex_unlock(&repo->lock);
        return STATUS_OK;
    }
    pthread_mutex_unlock(&repo->lock);
    if (!current)
        set_state(repo, name, version, MODEL_STATE_LOADING, "loading");
    log_info("model %s version %lld: %s", name, (long long)version,
             current ? "files changed, reloading" : "loading");
    if (load_version(repo, name, version, cfg, ops,
                     files->single_file ? repo->cfg->model_repository : files->dir, path, &st,
                     config_mtime, &fresh, err) != STATUS_OK) {
        log_error("model %s version %lld failed to load: %s", name, (long long)version,
                  err->message);
        /* A version already serving keeps serving when its replacement fails. */
        if (!current)
            set_state(repo, name, version, MODEL_STATE_UNAVAILABLE, err->message);
        return err->code;
    }
    pthread_mutex_lock(&repo->lock);
    s = get_slot(repo, name, version);
    if (!s) {
        pthread_mutex_unlock(&repo->lock);
        log_error("model %s version %lld: repository table full", name, (long long)version);
        free_served(fresh);
        return error_set(err, STATUS_LIMIT_EXCEEDED,
                         "model '%s' version %lld: the repository tracks %d versions already", name,
                         (long long)version, REPOSITORY_MAX_SLOTS);
    }
    current = s->model;
    s->model = fresh;
    s->state = MODEL_STATE_READY;
    snprintf(s->reason, sizeof s->reason, "%s", "");
    pthread_mutex_unlock(&repo->lock);
    log_info("model %s version %lld: ready", name, (long long)version);
    /* The old version finishes its in-flight requests, then is freed. */
    repository_release(repo, current);
    return STATUS_OK;
}

/* Forgets a model-level failure of name and retires its versions not in versions[0, n). */
static void retire_unwanted(repository_t *repo, const char *name, const int64_t *versions, int n)
{
    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots; i++) {
        slot_t *s = &repo->slots[i];
        bool wanted = false;
        if (!s->used || strcmp(s->name, name) != 0)
            continue;
        for (int k = 0; k < n; k++)
            wanted |= versions[k] == s->version;
        if (s->version < 0 || !wanted) {
            retire_slot(repo, s, "unloaded: no longer in the repository or version policy");
            s->used = false;
        }
    }
    pthread_mutex_unlock(&repo->lock);
}

/* Where model name's files are in layout. */
static status_t locate_model(const server_config_t *cfg, const layout_t *layout, const char *name,
                             model_files_t *out, error_t *err)
{
    struct stat st;

    memset(out, 0, sizeof *out);
    if (layout->single_file[0]) {
        if (strcmp(name, layout->names[0]) != 0)
            return error_set(err, STATUS_NOT_FOUND,
                             "model '%s' is not in the repository (it holds the single model '%s')",
                             name, layout->names[0]);
        out->single_file = layout->single_file;
        snprintf(out->config_path, sizeof out->config_path, "%s/config.json",
                 cfg->model_repository);
        return STATUS_OK;
    }
    snprintf(out->dir, sizeof out->dir, "%s/%s", cfg->model_repository, name);
    if (stat(out->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set(err, STATUS_NOT_FOUND, "model '%s' is not in the repository", name);
    snprintf(out->config_path, sizeof out->config_path, "%s/config.json", out->dir);
    return STATUS_OK;
}

/*
 * Loads what the policy selects for one model of layout, then retires its
 * other versions. override, when not NULL, is the configuration's text
 * (len bytes) to use instead of config.json.
 */
static status_t sync_model(repository_t *repo, const layout_t *layout, const char *name,
                           const char *override, size_t len, error_t *err)
{
    model_files_t files;
    int64_t versions[REPOSITORY_MAX_VERSIONS];
    model_config_t *cfg = calloc(1, sizeof *cfg);
    struct stat st;
    int64_t config_mtime = 0;
    int n;
    status_t rc = STATUS_OK;

    if (!cfg)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    rc = locate_model(repo->cfg, layout, name, &files, err);
    if (rc)
        goto cleanup;
    if (stat(files.config_path, &st) == 0)
        config_mtime = mtime_ns(&st);
    if (override) {
        /* An invalid override changes nothing: what serves keeps serving, as it was. */
        rc = model_config_parse(override, len, "the load request's config", name, cfg, err);
        if (rc)
            goto cleanup;
        config_mtime = -1;
    } else {
        rc = model_config_load(files.config_path, name, cfg, err);
    }
    if (rc) {
        log_error("model %s: %s", name, err->message);
        set_state(repo, name, -1, MODEL_STATE_UNAVAILABLE, err->message);
        goto cleanup;
    }
    n = apply_policy(&cfg->version_policy, versions,
                     model_versions(&files, versions, REPOSITORY_MAX_VERSIONS));
    if (n == 0) {
        retire_unwanted(repo, name, versions, n);
        if (files.single_file)
            rc = error_set(err, STATUS_NOT_FOUND,
                           "model '%s': its version policy does not select version %d, the only "
                           "version of a single-model repository",
                           name, SINGLE_MODEL_VERSION);
        else
            rc = error_set(err, STATUS_NOT_FOUND,
                           "model '%s' has no version folder with a model file (model.onnx, "
                           "model.om) that its version policy selects",
                           name);
        set_state(repo, name, -1, MODEL_STATE_UNAVAILABLE, err->message);
        goto cleanup;
    }
    for (int k = 0; k < n; k++) {
        error_t version_err = {0};
        status_t vst =
            sync_version(repo, name, &files, versions[k], cfg, config_mtime, &version_err);
        if (vst && !rc)
            rc = error_set(err, vst == STATUS_OUT_OF_MEMORY ? vst : STATUS_INVALID_ARGUMENT,
                           "model '%s' version %lld failed to load: %s", name,
                           (long long)versions[k], version_err.message);
    }
    /* Only now: until the new versions are ready, the old ones keep answering. */
    retire_unwanted(repo, name, versions, n);
    pthread_mutex_lock(&repo->lock);
    for (int k = 0; k < n && !rc; k++) {
        slot_t *s = find_slot(repo, name, versions[k]);
        if (s && s->state != MODEL_STATE_READY)
            rc = error_set(err, STATUS_INVALID_ARGUMENT, "model '%s' version %lld: %s", name,
                           (long long)versions[k], s->reason);
    }
    pthread_mutex_unlock(&repo->lock);
cleanup:
    free(cfg);
    return rc;
}

/*
 * Reads the root of cfg's repository into *out (out->names must have room
 * for REPOSITORY_MAX_SLOTS). Hidden entries are skipped. A root without a
 * .onnx file is a repository of model folders: each subfolder is a model.
 * A root with exactly one is the single-model layout: that file is version
 * 1 of the model named by --model-name (default: the file name without
 * .onnx), DIR/config.json is its configuration, and subfolders are not
 * models. More than one .onnx file, or one beside a subfolder laid out as a
 * model (holding <number>/model.onnx), is ambiguous: an error naming them,
 * and out->n is 0.
 */
static status_t scan_layout(const server_config_t *cfg, layout_t *out, error_t *err)
{
    const char *root = cfg->model_repository;
    char files[2][NAME_MAX + 1] = {"", ""};
    char path[PATH_MAX];
    int n_files = 0;
    size_t stem;
    DIR *d;
    struct dirent *e;

    out->n = 0;
    out->single_file[0] = '\0';
    d = opendir(root);
    if (!d)
        return error_set(err, STATUS_NOT_FOUND, "cannot read the model repository '%s': %s", root,
                         strerror(errno));
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) && backend_for_path(e->d_name)) {
            if (n_files < 2)
                snprintf(files[n_files], sizeof files[n_files], "%s", e->d_name);
            n_files++;
        } else if (S_ISDIR(st.st_mode) && strlen(e->d_name) < MODEL_NAME_MAX &&
                   out->n < REPOSITORY_MAX_SLOTS) {
            snprintf(out->names[out->n++], MODEL_NAME_MAX, "%s", e->d_name);
        }
    }
    closedir(d);
    if (n_files == 0)
        return STATUS_OK;
    if (n_files > 1) {
        const backend_ops_t *first = backend_for_path(files[0]);
        out->n = 0;
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model repository '%s' is ambiguous: it holds %d %s files (%s, %s%s); a "
                         "single-model repository holds exactly one, a repository of several "
                         "models keeps each in <model>/<version>/model.onnx (or model.om)",
                         root, n_files,
                         first == backend_for_path(files[1]) ? first->file_suffix : "model",
                         files[0], files[1], n_files > 2 ? ", ..." : "");
    }
    for (int i = 0; i < out->n; i++) {
        int64_t versions[REPOSITORY_MAX_VERSIONS];
        snprintf(path, sizeof path, "%s/%s", root, out->names[i]);
        if (list_versions(path, versions, REPOSITORY_MAX_VERSIONS) > 0) {
            const char *folder = out->names[i];
            out->n = 0;
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "model repository '%s' is ambiguous: it holds the model file %s and "
                             "the model folder %s/; keep either model folders "
                             "(<model>/<version>/model.onnx) or one model file",
                             root, files[0], folder);
        }
    }
    stem = strlen(files[0]) - strlen(backend_for_path(files[0])->file_suffix);
    if (!cfg->model_name[0] && stem >= MODEL_NAME_MAX) {
        out->n = 0;
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "model file name %s is too long for a model name; give --model-name",
                         files[0]);
    }
    if (cfg->model_name[0])
        snprintf(out->names[0], MODEL_NAME_MAX, "%s", cfg->model_name);
    else
        snprintf(out->names[0], MODEL_NAME_MAX, "%.*s", (int)stem, files[0]);
    out->n = 1;
    snprintf(out->single_file, sizeof out->single_file, "%s/%s", root, files[0]);
    return STATUS_OK;
}

/* Whether layout lists model name: never a path outside the root ("..", "a/b"). */
static bool layout_has(const layout_t *layout, const char *name)
{
    for (int i = 0; i < layout->n; i++)
        if (strcmp(layout->names[i], name) == 0)
            return true;
    return false;
}

/* Unloads the models layout no longer holds. Called with the sync lock held. */
static void retire_absent(repository_t *repo, const layout_t *layout)
{
    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots; i++) {
        slot_t *s = &repo->slots[i];
        bool present = false;
        for (int k = 0; s->used && k < layout->n; k++)
            present |= strcmp(layout->names[k], s->name) == 0;
        if (s->used && !present) {
            retire_slot(repo, s, "unloaded: removed from the repository");
            s->used = false;
        }
    }
    pthread_mutex_unlock(&repo->lock);
}

void repository_poll(repository_t *repo)
{
    layout_t layout = {.names = calloc(REPOSITORY_MAX_SLOTS, MODEL_NAME_MAX)};
    error_t err = {0};

    if (!layout.names)
        return;
    pthread_mutex_lock(&repo->sync_lock);
    if (scan_layout(repo->cfg, &layout, &err) != STATUS_OK) {
        /* What is loaded keeps serving until the root can be read and is unambiguous again. */
        log_error("%s", err.message);
        goto cleanup;
    }
    for (int i = 0; i < layout.n; i++) {
        error_t model_err;
        sync_model(repo, &layout, layout.names[i], NULL, 0, &model_err);
    }
    retire_absent(repo, &layout);
cleanup:
    pthread_mutex_unlock(&repo->sync_lock);
    free(layout.names);
}

/* Frees retired versions as their last request ends; rescans in poll mode. */
static void *repository_thread(void *arg)
{
    repository_t *repo = arg;
    int64_t next_poll = request_now_us() + (int64_t)repo->cfg->repository_poll_secs * 1000000;

    prctl(PR_SET_NAME, "repository");

    pthread_mutex_lock(&repo->lock);
    while (!repo->stopping) {
        served_model_t *retired = repo->retired;
        repo->retired = NULL;
        if (retired) {
            pthread_mutex_unlock(&repo->lock);
            while (retired) {
                served_model_t *next = retired->next_retired;
                free_served(retired);
                retired = next;
            }
            pthread_mutex_lock(&repo->lock);
            continue;
        }
        if (repo->cfg->model_control_mode == MODEL_CONTROL_POLL && !repo->draining &&
            request_now_us() >= next_poll) {
            pthread_mutex_unlock(&repo->lock);
            repository_poll(repo);
            next_poll = request_now_us() + (int64_t)repo->cfg->repository_poll_secs * 1000000;
            pthread_mutex_lock(&repo->lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&repo->wake, &repo->lock, &until);
    }
    pthread_mutex_unlock(&repo->lock);
    return NULL;
}

status_t repository_create(const server_config_t *cfg, repository_t **out, error_t *err)
{
    repository_t *repo = calloc(1, sizeof *repo);
    layout_t layout = {.names = calloc(REPOSITORY_MAX_SLOTS, MODEL_NAME_MAX)};
    struct stat st;
    status_t rc;

    *out = NULL;
    if (!repo || !layout.names) {
        rc = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if (stat(cfg->model_repository, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = error_set(err, STATUS_NOT_FOUND, "model repository '%s' is not a folder",
                       cfg->model_repository);
        goto fail;
    }
    /* An ambiguous root stops the start; later, a poll that finds one changes nothing. */
    rc = scan_layout(cfg, &layout, err);
    if (rc)
        goto fail;
    free(layout.names);
    repo->cfg = cfg;
    pthread_mutex_init(&repo->lock, NULL);
    pthread_mutex_init(&repo->sync_lock, NULL);
    pthread_cond_init(&repo->wake, NULL);
    if (cfg->model_control_mode != MODEL_CONTROL_EXPLICIT)
        repository_poll(repo);
    if (pthread_create(&repo->thread, NULL, repository_thread, repo) != 0) {
        repository_free(repo);
        return error_set(err, STATUS_INTERNAL, "cannot start the repository thread");
    }
    repo->thread_started = true;
    *out = repo;
    return STATUS_OK;
fail:
    free(layout.names);
    free(repo);
    return rc;
}

void repository_hurry(repository_t *repo)
{
    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots; i++)
        if (repo->slots[i].used && repo->slots[i].model)
            batcher_hurry(repo->slots[i].model->batcher);
    pthread_mutex_unlock(&repo->lock);
}

void repository_drain(repository_t *repo)
{
    pthread_mutex_lock(&repo->lock);
    repo->draining = true;
    for (int i = 0; i < repo->n_slots; i++)
        if (repo->slots[i].used && repo->slots[i].model)
            batcher_drain(repo->slots[i].model->batcher);
    pthread_mutex_unlock(&repo->lock);
}

void repository_free(repository_t *repo)
{
    if (!repo)
        return;
    /*
     * The thread stops first: a poll it is running would otherwise load
     * versions into slots already emptied, and nothing would free them.
     */
    pthread_mutex_lock(&repo->lock);
    repo->stopping = true;
    pthread_cond_signal(&repo->wake);
    pthread_mutex_unlock(&repo->lock);
    if (repo->thread_started)
        pthread_join(repo->thread, NULL);
    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots; i++)
        if (repo->slots[i].used)
            retire_slot(repo, &repo->slots[i], "unloaded: server stopping");
    pthread_mutex_unlock(&repo->lock);
    /* What was retired, now or before the thread stopped: every request has ended by now. */
    while (repo->retired) {
        served_model_t *next = repo->retired->next_retired;
        free_served(repo->retired);
        repo->retired = next;
    }
    pthread_cond_destroy(&repo->wake);
    pthread_mutex_destroy(&repo->sync_lock);
    pthread_mutex_destroy(&repo->lock);
    free(repo);
}

/*
 * Whether the repository's root holds model name (a model folder, or the
 * single model): what a scan would load, loaded or not. Reads the root, so
 * only answers that are failures anyway ask it.
 */
static bool in_repository(const repository_t *repo, const char *name)
{
    layout_t layout = {.names = calloc(REPOSITORY_MAX_SLOTS, MODEL_NAME_MAX)};
    error_t err;
    bool found = false;

    if (layout.names && scan_layout(repo->cfg, &layout, &err) == STATUS_OK)
        found = layout_has(&layout, name);
    free(layout.names);
    return found;
}

status_t repository_acquire(repository_t *repo, const char *name, int64_t version,
                            served_model_t **out, error_t *err)
{
    slot_t *best = NULL;
    bool known = false, version_known = false;
    status_t st = STATUS_OK;

    *out = NULL;
    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots; i++) {
        slot_t *s = &repo->slots[i];
        if (!s->used || strcmp(s->name, name) != 0)
            continue;
        known = true;
        if (version >= 0 && s->version != version)
            continue;
        version_known |= s->version >= 0;
        if (s->state == MODEL_STATE_READY && (!best || s->version > best->version))
            best = s;
    }
    if (best) {
        atomic_fetch_add(&best->model->refs, 1);
        *out = best->model;
    } else if (!known) {
        st = STATUS_NOT_FOUND;
    } else if (version >= 0 && !version_known) {
        st = error_set(err, STATUS_NOT_FOUND, "model '%s' has no version %lld", name,
                       (long long)version);
    } else {
        st = error_set(err, STATUS_UNAVAILABLE, "model '%s' is not ready", name);
    }
    pthread_mutex_unlock(&repo->lock);
    /* Never loaded (explicit mode) is not ready, as an unloaded model is; not unknown. */
    if (st == STATUS_NOT_FOUND && !known)
        st = in_repository(repo, name)
                 ? error_set(err, STATUS_UNAVAILABLE,
                             "model '%s' is in the repository but not loaded", name)
                 : error_set(err, STATUS_NOT_FOUND, "unknown model '%s'", name);
    return st;
}

static status_t require_explicit(const repository_t *repo, error_t *err)
{
    if (repo->cfg->model_control_mode != MODEL_CONTROL_EXPLICIT)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "explicit model load and unload need --model-control-mode explicit");
    return STATUS_OK;
}

status_t repository_load(repository_t *repo, const char *name, const char *config, size_t len,
                         error_t *err)
{
    layout_t layout = {.names = NULL};
    status_t st = require_explicit(repo, err);

    if (st)
        return st;
    layout.names = calloc(REPOSITORY_MAX_SLOTS, MODEL_NAME_MAX);
    if (!layout.names)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    pthread_mutex_lock(&repo->sync_lock);
    st = scan_layout(repo->cfg, &layout, err);
    if (!st)
        st = layout_has(&layout, name)
                 ? sync_model(repo, &layout, name, config, len, err)
                 : error_set(err, STATUS_NOT_FOUND, "model '%s' is not in the repository", name);
    pthread_mutex_unlock(&repo->sync_lock);
    free(layout.names);
    return st;
}

status_t repository_unload(repository_t *repo, const char *name, error_t *err)
{
    bool known = false;
    status_t st = require_explicit(repo, err);

    if (st)
        return st;
    pthread_mutex_lock(&repo->sync_lock);
    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots; i++) {
        slot_t *s = &repo->slots[i];
        if (s->used && strcmp(s->name, name) == 0) {
            known = true;
            retire_slot(repo, s, "unloaded");
        }
    }
    pthread_mutex_unlock(&repo->lock);
    pthread_mutex_unlock(&repo->sync_lock);
    if (!known)
        return error_set(err, STATUS_NOT_FOUND, "unknown model '%s'", name);
    return STATUS_OK;
}

int repository_index(repository_t *repo, repository_entry_t *entries, int max)
{
    layout_t layout = {.names = calloc(REPOSITORY_MAX_SLOTS, MODEL_NAME_MAX)};
    error_t err;
    int n = 0;

    /* An unreadable or ambiguous root lists what is tracked only (layout.n is 0). */
    if (layout.names)
        scan_layout(repo->cfg, &layout, &err);

    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots && n < max; i++) {
        const slot_t *s = &repo->slots[i];
        if (!s->used)
            continue;
        snprintf(entries[n].name, sizeof entries[n].name, "%s", s->name);
        entries[n].version = s->version;
        entries[n].state = s->state;
        snprintf(entries[n].reason, sizeof entries[n].reason, "%s", s->reason);
        n++;
    }
    /* Models with nothing tracked yet (explicit mode before a load). */
    for (int k = 0; k < layout.n && n < max; k++) {
        bool tracked = false;
        for (int i = 0; i < repo->n_slots && !tracked; i++)
            tracked = repo->slots[i].used && strcmp(repo->slots[i].name, layout.names[k]) == 0;
        if (tracked)
            continue;
        snprintf(entries[n].name, sizeof entries[n].name, "%s", layout.names[k]);
        entries[n].version = -1;
        entries[n].state = MODEL_STATE_UNAVAILABLE;
        snprintf(entries[n].reason, sizeof entries[n].reason, "%s", "not loaded");
        n++;
    }
    pthread_mutex_unlock(&repo->lock);
    free(layout.names);
    return n;
}

int repository_snapshot(repository_t *repo, served_model_t **models, int max)
{
    int n = 0;

    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots && n < max; i++)
        if (repo->slots[i].used && repo->slots[i].model) {
            atomic_fetch_add(&repo->slots[i].model->refs, 1);
            models[n++] = repo->slots[i].model;
        }
    pthread_mutex_unlock(&repo->lock);
    return n;
}

int repository_versions(repository_t *repo, const char *name, int64_t *versions, int max)
{
    int n = 0;

    pthread_mutex_lock(&repo->lock);
    for (int i = 0; i < repo->n_slots && n < max; i++)
        if (repo->slots[i].used && repo->slots[i].state == MODEL_STATE_READY &&
            strcmp(repo->slots[i].name, name) == 0)
            versions[n++] = repo->slots[i].version;
    pthread_mutex_unlock(&repo->lock);
    qsort(versions, (size_t)n, sizeof *versions, compare_versions);
    return n;
}
