/*
 * ascend_sim.c - a simulated libascendcl.so for inferd's tests: the subset
 * of AscendCL that inferd calls (engine/ascend_acl.h, whose function list
 * declares every export here, so the signatures are AscendCL's), with its
 * enum values and error codes, run on the host.
 *
 * What it checks, as the real runtime would or stricter:
 *   - nothing but aclInit works before aclInit; a second aclInit answers
 *     ACL_ERROR_REPEAT_INITIALIZE;
 *   - "device" memory is host memory the simulator hands out and tags: a
 *     copy must name device memory on its device side and host memory on
 *     the other, within the allocation, and a model runs only on device
 *     buffers at least as large as its inputs and outputs;
 *   - contexts are per thread: memory, streams, loads, executions and
 *     unloads need a current context, and a model runs and unloads only in
 *     the context it was loaded in;
 *   - teardown order: a context is destroyed only without streams and
 *     models, a device is reset only without contexts;
 *   - a model with batch gears runs only after aclmdlSetDynamicBatchSize
 *     named one of them, and its ascend_mbatch_shape_data buffer must still
 *     hold what that call put there (the caller never writes it).
 * A breach fails the call with AscendCL's error code and a message for
 * aclGetRecentErrMsg, and is counted as a violation in the report.
 *
 * Its .om files are a valid 256-byte ATC header followed by a text
 * description (tests/ascend_sim/make_om.py writes them):
 *
 *   inferd-ascend-sim 1
 *   gears 1 2 4 8                     batch gears (optional)
 *   hw 224 224 448 448                image-size gears (optional; inferd refuses them)
 *   input NAME DTYPE RANK DIMS...     -1 for the batch dim of a gear model
 *   output NAME DTYPE RANK DIMS... affine BIAS COEF INPUT [COEF INPUT]...
 *   output NAME DTYPE RANK DIMS... rowsum BIAS COEF INPUT
 *
 * affine: each output element is BIAS + the sum of COEF * the same element
 * of each INPUT (same elements per row); rowsum: each row's one element is
 * BIAS + COEF * the sum of that row of INPUT. Computed in double, rounded
 * to the nearest for integer outputs. DTYPE is float, double, int8, uint8,
 * int32 or int64. Every row of the gear runs, padding included.
 *
 * Environment:
 *   ASCEND_SIM_DEVICES      devices the runtime has (default 2)
 *   ASCEND_SIM_FAULTS       faults to inject, comma-separated: init (aclInit
 *                           fails), load (aclmdlLoadFromMem fails), oom
 *                           (aclrtMalloc fails), execute (the run fails: an
 *                           AI Core exception reported at stream sync)
 *   ASCEND_SIM_FAULT_FILE   a file holding the same list, read at each call
 *                           that can fail, so a test can switch faults on
 *                           and off while a server runs
 *   ASCEND_SIM_EXECUTE_US   how long each execution keeps its stream busy
 *                           (aclrtSynchronizeStream waits it out, without
 *                           holding up other streams), default 0
 *   ASCEND_SIM_REPORT       where aclFinalize writes a JSON report: what is
 *                           still live (device memory, models, streams,
 *                           contexts, devices set, descriptions, datasets,
 *                           data buffers), executions by device and by batch,
 *                           violations and the first messages
 *
 * Built twice: libascendcl.so, and with ASCEND_SIM_OMIT_SET_DYNAMIC_BATCH a
 * copy lacking aclmdlSetDynamicBatchSize, for the missing-symbol test.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ascend_acl.h"

#define DECLARE(ret, name, params) __attribute__((visibility("default"))) ret name params;
ASCEND_ACL_FUNCTIONS(DECLARE)
#undef DECLARE

#define SIM_HEADER_BYTES 256
#define SIM_MAGIC        "inferd-ascend-sim 1"
#define SIM_MAX_IO       16
#define SIM_MAX_RANK     8
#define SIM_MAX_GEARS    64
#define SIM_MAX_TERMS    8
#define SIM_MAX_MODELS   1024
#define SIM_MAX_DEVICES  64
#define SIM_MAX_BATCH    4096
#define SIM_MAX_ELEMENTS (1 << 26)
#define SIM_MAX_DATASET  (SIM_MAX_IO + 1)
#define SIM_NAME_MAX     ACL_MAX_TENSOR_NAME_LEN
#define SIM_MESSAGES     8
#define SIM_MESSAGE_MAX  256
/* What fresh device memory holds: it is not zeroed, and padding rows must not matter. */
#define SIM_FILL 0xA5

typedef struct sim_term {
    double coef;
    int input;
} sim_term_t;

typedef struct sim_tensor {
    char name[SIM_NAME_MAX];
    acl_data_type_t dtype;
    int rank;
    int64_t dims[SIM_MAX_RANK]; /* -1: the batch dim of a gear model */
    bool rowsum;                /* outputs: rowsum, else affine */
    double bias;
    sim_term_t terms[SIM_MAX_TERMS];
    int n_terms;
} sim_tensor_t;

/* A parsed model description. */
typedef struct sim_om {
    sim_tensor_t inputs[SIM_MAX_IO];
    int n_inputs;
    sim_tensor_t outputs[SIM_MAX_IO];
    int n_outputs;
    uint64_t gears[SIM_MAX_GEARS];
    int n_gears;
    uint64_t hw[SIM_MAX_GEARS][2];
    int n_hw;
} sim_om_t;

typedef struct sim_context {
    struct sim_context *next;
    int device;
    int streams, models;
} sim_context_t;

typedef struct sim_stream {
    struct sim_stream *next;
    sim_context_t *context;
    acl_error_t pending; /* an execution's failure, reported at synchronisation */
    long busy_us;        /* how long the device works on what was queued (ASCEND_SIM_EXECUTE_US) */
} sim_stream_t;

typedef struct sim_alloc {
    struct sim_alloc *next;
    char *base;
    size_t size;
} sim_alloc_t;

typedef struct sim_model {
    bool used;
    sim_om_t om;
    sim_context_t *context;
} sim_model_t;

struct acl_mdl_desc {
    sim_om_t om;
    bool filled;
};

struct acl_data_buffer {
    void *data;
    size_t size;
};

struct acl_dataset {
    acl_data_buffer_t *buffers[SIM_MAX_DATASET];
    size_t n;
    uint64_t batch; /* set by aclmdlSetDynamicBatchSize; 0: none */
};

static pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local sim_context_t *current;
static _Thread_local char recent[SIM_MESSAGE_MAX];
static _Thread_local char recent_out[SIM_MESSAGE_MAX];
static bool initialized;
static int inits, finalizes;
static sim_context_t *contexts;
static sim_stream_t *streams;
static sim_alloc_t *allocs;
static sim_model_t models[SIM_MAX_MODELS];
static int device_refs[SIM_MAX_DEVICES];
static long live_descs, live_datasets, live_buffers, live_models;
static long executions_by_device[SIM_MAX_DEVICES];
static long executions_by_batch[SIM_MAX_BATCH + 1];
static long violations;
static char messages[SIM_MESSAGES][SIM_MESSAGE_MAX];
static int n_messages;

/* Sets the thread's recent message; returns code. Lock may or may not be held. */
static acl_error_t fail(acl_error_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static acl_error_t fail(acl_error_t code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(recent, sizeof recent, fmt, ap);
    va_end(ap);
    return code;
}

/* A breach of the API's rules: failed like fail(), and counted. Lock held. */
static acl_error_t violate(acl_error_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static acl_error_t violate(acl_error_t code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(recent, sizeof recent, fmt, ap);
    va_end(ap);
    violations++;
    if (n_messages < SIM_MESSAGES)
        snprintf(messages[n_messages++], SIM_MESSAGE_MAX, "%s", recent);
    return code;
}

/* Whether the named fault is asked for, in ASCEND_SIM_FAULTS or the fault file. */
static bool fault(const char *name)
{
    char text[256] = "";
    const char *env = getenv("ASCEND_SIM_FAULTS");
    const char *file = getenv("ASCEND_SIM_FAULT_FILE");
    size_t n = strlen(name);

    if (env)
        snprintf(text, sizeof text, "%s", env);
    if (file) {
        FILE *f = fopen(file, "r");
        if (f) {
            size_t len = strlen(text);
            if (len < sizeof text - 1)
                text[len++] = ',';
            text[len + fread(text + len, 1, sizeof text - 1 - len, f)] = '\0';
            fclose(f);
        }
    }
    for (const char *p = text; (p = strstr(p, name)); p += n) {
        bool start = p == text || p[-1] == ',' || isspace((unsigned char)p[-1]);
        bool end = p[n] == '\0' || p[n] == ',' || isspace((unsigned char)p[n]);
        if (start && end)
            return true;
    }
    return false;
}

static int device_count(void)
{
    const char *env = getenv("ASCEND_SIM_DEVICES");
    int n = env ? atoi(env) : 2;
    return n < 0 ? 0 : n > SIM_MAX_DEVICES ? SIM_MAX_DEVICES : n;
}

static size_t dtype_bytes(acl_data_type_t t)
{
    switch (t) {
    case ACL_INT8:
    case ACL_UINT8:
        return 1;
    case ACL_FLOAT:
    case ACL_INT32:
        return 4;
    case ACL_DOUBLE:
    case ACL_INT64:
        return 8;
    default:
        return 0;
    }
}

static bool parse_dtype(const char *s, acl_data_type_t *out)
{
    static const struct {
        const char *name;
        acl_data_type_t t;
    } names[] = {{"float", ACL_FLOAT}, {"double", ACL_DOUBLE}, {"int8", ACL_INT8},
                 {"uint8", ACL_UINT8}, {"int32", ACL_INT32},   {"int64", ACL_INT64}};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].t;
            return true;
        }
    return false;
}

/* Elements of a tensor at batch rows (a gear model's -1 dim), or per row when rows is 1. */
static int64_t tensor_numel(const sim_tensor_t *t, uint64_t rows)
{
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++)
        n *= t->dims[d] < 0 ? (int64_t)rows : t->dims[d];
    return n;
}

static uint64_t max_gear(const sim_om_t *om)
{
    uint64_t g = 0;
    for (int i = 0; i < om->n_gears; i++)
        if (om->gears[i] > g)
            g = om->gears[i];
    return g;
}

/* The rows the tensor's first dim holds at gear (static: its own first dim). */
static int64_t rows_of(const sim_tensor_t *t, uint64_t gear)
{
    if (t->rank == 0)
        return 1;
    return t->dims[0] < 0 ? (int64_t)gear : t->dims[0];
}

static int find_input(const sim_om_t *om, const char *name)
{
    for (int i = 0; i < om->n_inputs; i++)
        if (strcmp(om->inputs[i].name, name) == 0)
            return i;
    return -1;
}

/* Reads "NAME DTYPE RANK DIMS..." at *p into t. */
static bool parse_tensor(char **save, sim_tensor_t *t)
{
    char *tok = strtok_r(NULL, " \t", save);

    if (!tok || strlen(tok) >= SIM_NAME_MAX)
        return false;
    snprintf(t->name, sizeof t->name, "%s", tok);
    tok = strtok_r(NULL, " \t", save);
    if (!tok || !parse_dtype(tok, &t->dtype))
        return false;
    tok = strtok_r(NULL, " \t", save);
    if (!tok)
        return false;
    t->rank = atoi(tok);
    if (t->rank < 0 || t->rank > SIM_MAX_RANK)
        return false;
    for (int d = 0; d < t->rank; d++) {
        tok = strtok_r(NULL, " \t", save);
        if (!tok)
            return false;
        t->dims[d] = strtoll(tok, NULL, 10);
        if (t->dims[d] < -1 || t->dims[d] > SIM_MAX_ELEMENTS)
            return false;
    }
    return true;
}

static bool parse_function(char **save, const sim_om_t *om, sim_tensor_t *t)
{
    char *tok = strtok_r(NULL, " \t", save);

    if (!tok || (strcmp(tok, "affine") != 0 && strcmp(tok, "rowsum") != 0))
        return false;
    t->rowsum = strcmp(tok, "rowsum") == 0;
    tok = strtok_r(NULL, " \t", save);
    if (!tok)
        return false;
    t->bias = strtod(tok, NULL);
    while ((tok = strtok_r(NULL, " \t", save))) {
        char *name = strtok_r(NULL, " \t", save);
        if (!name || t->n_terms == SIM_MAX_TERMS)
            return false;
        t->terms[t->n_terms].coef = strtod(tok, NULL);
        t->terms[t->n_terms].input = find_input(om, name);
        if (t->terms[t->n_terms].input < 0)
            return false;
        t->n_terms++;
    }
    return t->n_terms > 0 && (!t->rowsum || t->n_terms == 1);
}

/* The shapes fit together: a function's inputs have the output's elements per row. */
static bool consistent(const sim_om_t *om)
{
    bool gears = om->n_gears > 0;

    for (int i = 0; i < om->n_inputs + om->n_outputs; i++) {
        const sim_tensor_t *t = i < om->n_inputs ? &om->inputs[i] : &om->outputs[i - om->n_inputs];
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] < 0 && (!gears || d != 0))
                return false;
        if (gears && (t->rank < 1 || t->dims[0] != -1))
            return false;
    }
    for (int k = 0; k < om->n_outputs; k++) {
        const sim_tensor_t *o = &om->outputs[k];
        int64_t per_row = tensor_numel(o, 1) / (o->rank && o->dims[0] > 0 ? o->dims[0] : 1);
        for (int j = 0; j < o->n_terms; j++) {
            const sim_tensor_t *in = &om->inputs[o->terms[j].input];
            if (rows_of(in, 1) != rows_of(o, 1))
                return false;
            if (!o->rowsum && tensor_numel(in, 1) != tensor_numel(o, 1))
                return false;
        }
        if (o->rowsum && per_row != 1)
            return false;
    }
    return om->n_outputs > 0;
}

/* Parses an .om image: the header's magic and length, then the description. */
static acl_error_t parse_om(const void *data, size_t size, sim_om_t *om)
{
    const unsigned char *bytes = data;
    char *text, *line, *save_line = NULL;
    uint64_t declared = 0;
    bool ok = true;

    memset(om, 0, sizeof *om);
    if (!data || size < SIM_HEADER_BYTES || memcmp(bytes, "IMOD", 4) != 0)
        return fail(ACL_ERROR_PARSE_MODEL, "sim: not an .om image");
    for (int i = 7; i >= 0; i--)
        declared = declared << 8 | bytes[184 + i];
    if (declared != size - SIM_HEADER_BYTES)
        return fail(ACL_ERROR_GE_EXEC_MODEL_DATA_SIZE_INVALID, "sim: model length mismatch");
    text = malloc(size - SIM_HEADER_BYTES + 1);
    if (!text)
        return fail(ACL_ERROR_BAD_ALLOC, "sim: out of memory");
    memcpy(text, bytes + SIM_HEADER_BYTES, size - SIM_HEADER_BYTES);
    text[size - SIM_HEADER_BYTES] = '\0';
    line = strtok_r(text, "\n", &save_line);
    if (!line || strcmp(line, SIM_MAGIC) != 0)
        ok = false;
    while (ok && (line = strtok_r(NULL, "\n", &save_line))) {
        char *save = NULL, *kind = strtok_r(line, " \t", &save), *tok;
        if (!kind)
            continue;
        if (strcmp(kind, "gears") == 0) {
            while (ok && (tok = strtok_r(NULL, " \t", &save))) {
                ok = om->n_gears < SIM_MAX_GEARS && atoll(tok) >= 1 && atoll(tok) <= SIM_MAX_BATCH;
                if (ok)
                    om->gears[om->n_gears++] = (uint64_t)atoll(tok);
            }
        } else if (strcmp(kind, "hw") == 0) {
            char *w;
            while (ok && (tok = strtok_r(NULL, " \t", &save))) {
                w = strtok_r(NULL, " \t", &save);
                ok = w && om->n_hw < SIM_MAX_GEARS;
                if (ok) {
                    om->hw[om->n_hw][0] = (uint64_t)atoll(tok);
                    om->hw[om->n_hw++][1] = (uint64_t)atoll(w);
                }
            }
        } else if (strcmp(kind, "input") == 0) {
            ok = om->n_inputs < SIM_MAX_IO && parse_tensor(&save, &om->inputs[om->n_inputs]);
            om->n_inputs += ok;
        } else if (strcmp(kind, "output") == 0) {
            ok = om->n_outputs < SIM_MAX_IO && parse_tensor(&save, &om->outputs[om->n_outputs]) &&
                 parse_function(&save, om, &om->outputs[om->n_outputs]);
            om->n_outputs += ok;
        } else {
            ok = false;
        }
    }
    free(text);
    if (!ok || !consistent(om))
        return fail(ACL_ERROR_PARSE_MODEL, "sim: the model description is malformed");
    return ACL_SUCCESS;
}

/* Whether the model has the gear input (batch or image-size gears). */
static bool has_gear_input(const sim_om_t *om)
{
    return om->n_gears > 0 || om->n_hw > 0;
}

static size_t num_inputs(const sim_om_t *om)
{
    return (size_t)om->n_inputs + has_gear_input(om);
}

/* Bytes of input i (the gear input is the last: one int32). */
static size_t input_size(const sim_om_t *om, size_t i)
{
    if (i == (size_t)om->n_inputs && has_gear_input(om))
        return sizeof(int32_t);
    if (i >= (size_t)om->n_inputs)
        return 0;
    return (size_t)tensor_numel(&om->inputs[i], max_gear(om)) * dtype_bytes(om->inputs[i].dtype);
}

static size_t output_size(const sim_om_t *om, size_t k)
{
    if (k >= (size_t)om->n_outputs)
        return 0;
    return (size_t)tensor_numel(&om->outputs[k], max_gear(om)) * dtype_bytes(om->outputs[k].dtype);
}

/* The allocation holding [p, p + n), or NULL. Lock held. */
static sim_alloc_t *device_range(const void *p, size_t n)
{
    for (sim_alloc_t *a = allocs; a; a = a->next)
        if ((const char *)p >= a->base && (const char *)p <= a->base + a->size &&
            n <= (size_t)(a->base + a->size - (const char *)p))
            return a;
    return NULL;
}

/* Whether p is inside any device allocation. Lock held. */
static bool is_device(const void *p)
{
    for (sim_alloc_t *a = allocs; a; a = a->next)
        if ((const char *)p >= a->base && (const char *)p < a->base + a->size)
            return true;
    return false;
}

static bool known_context(const sim_context_t *c)
{
    for (sim_context_t *x = contexts; x; x = x->next)
        if (x == c)
            return true;
    return false;
}

static bool known_stream(const sim_stream_t *s)
{
    for (sim_stream_t *x = streams; x; x = x->next)
        if (x == s)
            return true;
    return false;
}

/* Common entry checks: initialised, and (when needed) a current context. Lock held. */
static acl_error_t enter(const char *call, bool needs_context)
{
    if (!initialized)
        return violate(ACL_ERROR_UNINITIALIZE, "sim: %s before aclInit", call);
    if (needs_context && (!current || !known_context(current)))
        return violate(ACL_ERROR_RT_CONTEXT_NULL, "sim: %s without a current context", call);
    return ACL_SUCCESS;
}

/* ---- init ---- */

acl_error_t aclInit(const char *config_path)
{
    acl_error_t rc = ACL_SUCCESS;

    pthread_mutex_lock(&sim_lock);
    if (fault("init"))
        rc = fail(ACL_ERROR_FAILURE, "sim: injected aclInit failure");
    else if (initialized)
        rc = ACL_ERROR_REPEAT_INITIALIZE;
    else {
        initialized = true;
        inits++;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

static void write_report(void)
{
    const char *path = getenv("ASCEND_SIM_REPORT");
    long memory = 0, n_allocs = 0, n_streams = 0, n_contexts = 0, devices_set = 0;
    FILE *f;

    if (!path)
        return;
    for (sim_alloc_t *a = allocs; a; a = a->next) {
        memory += (long)a->size;
        n_allocs++;
    }
    for (sim_stream_t *s = streams; s; s = s->next)
        n_streams++;
    for (sim_context_t *c = contexts; c; c = c->next)
        n_contexts++;
    for (int d = 0; d < SIM_MAX_DEVICES; d++)
        devices_set += device_refs[d];
    f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f,
            "{\"inits\": %d, \"finalizes\": %d, \"live\": {\"device_bytes\": %ld, "
            "\"allocations\": %ld, \"models\": %ld, \"streams\": %ld, \"contexts\": %ld, "
            "\"devices_set\": %ld, \"descs\": %ld, \"datasets\": %ld, \"buffers\": %ld}, ",
            inits, finalizes, memory, n_allocs, live_models, n_streams, n_contexts, devices_set,
            live_descs, live_datasets, live_buffers);
    fprintf(f, "\"executions_by_device\": {");
    for (int d = 0, first = 1; d < SIM_MAX_DEVICES; d++)
        if (executions_by_device[d]) {
            fprintf(f, "%s\"%d\": %ld", first ? "" : ", ", d, executions_by_device[d]);
            first = 0;
        }
    fprintf(f, "}, \"executions_by_batch\": {");
    for (int b = 0, first = 1; b <= SIM_MAX_BATCH; b++)
        if (executions_by_batch[b]) {
            fprintf(f, "%s\"%d\": %ld", first ? "" : ", ", b, executions_by_batch[b]);
            first = 0;
        }
    fprintf(f, "}, \"violations\": %ld, \"messages\": [", violations);
    for (int i = 0; i < n_messages; i++) {
        fprintf(f, "%s\"", i ? ", " : "");
        for (const char *p = messages[i]; *p; p++)
            fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
        fprintf(f, "\"");
    }
    fprintf(f, "]}\n");
    fclose(f);
}

acl_error_t aclFinalize(void)
{
    acl_error_t rc = ACL_SUCCESS;

    pthread_mutex_lock(&sim_lock);
    if (!initialized) {
        rc = ACL_ERROR_REPEAT_FINALIZE;
    } else {
        initialized = false;
        finalizes++;
        write_report();
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

const char *aclGetRecentErrMsg(void)
{
    /* The message is handed out once: a later, unrelated failure must not show it. */
    if (!recent[0])
        return NULL;
    memcpy(recent_out, recent, sizeof recent_out);
    recent[0] = '\0';
    return recent_out;
}

/* ---- devices, contexts, streams ---- */

acl_error_t aclrtGetDeviceCount(uint32_t *count)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtGetDeviceCount", false);
    if (!rc && !count)
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: NULL count");
    if (!rc)
        *count = (uint32_t)device_count();
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtSetDevice(int32_t device)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtSetDevice", false);
    if (!rc && (device < 0 || device >= device_count()))
        rc = fail(ACL_ERROR_RT_INVALID_DEVICEID, "sim: no device %d", device);
    if (!rc)
        device_refs[device]++;
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtResetDevice(int32_t device)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtResetDevice", false);
    if (!rc && (device < 0 || device >= SIM_MAX_DEVICES || device_refs[device] == 0))
        rc = violate(ACL_ERROR_RT_INVALID_DEVICEID, "sim: reset of device %d, which is not set",
                     device);
    for (sim_context_t *c = contexts; !rc && c; c = c->next)
        if (c->device == device && device_refs[device] == 1)
            rc = violate(ACL_ERROR_RT_PARAM_INVALID,
                         "sim: device %d reset while an explicit context of it lives", device);
    if (!rc)
        device_refs[device]--;
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtGetRunMode(acl_run_mode_t *mode)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtGetRunMode", false);
    if (!rc && !mode)
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: NULL mode");
    if (!rc)
        *mode = ACL_HOST;
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtCreateContext(acl_context_t *context, int32_t device)
{
    sim_context_t *c = NULL;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtCreateContext", false);
    if (!rc && (!context || device < 0 || device >= device_count()))
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: bad context argument or device %d", device);
    if (!rc && device_refs[device] == 0)
        rc = violate(ACL_ERROR_RT_INVALID_DEVICEID,
                     "sim: context on device %d, which aclrtSetDevice did not set", device);
    if (!rc && !(c = calloc(1, sizeof *c)))
        rc = fail(ACL_ERROR_BAD_ALLOC, "sim: out of memory");
    if (!rc) {
        c->device = device;
        c->next = contexts;
        contexts = c;
        current = c;
        *context = c;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtDestroyContext(acl_context_t context)
{
    sim_context_t *c = context;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtDestroyContext", false);
    if (!rc && !known_context(c))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: destroying an unknown context");
    if (!rc && (c->streams || c->models))
        rc = violate(ACL_ERROR_RT_PARAM_INVALID,
                     "sim: context destroyed with %d stream(s) and %d model(s) in it", c->streams,
                     c->models);
    if (!rc) {
        for (sim_context_t **p = &contexts; *p; p = &(*p)->next)
            if (*p == c) {
                *p = c->next;
                break;
            }
        if (current == c)
            current = NULL;
        free(c);
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtSetCurrentContext(acl_context_t context)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtSetCurrentContext", false);
    if (!rc && !known_context(context))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: setting an unknown context");
    if (!rc)
        current = context;
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtCreateStream(acl_stream_t *stream)
{
    sim_stream_t *s = NULL;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtCreateStream", true);
    if (!rc && !stream)
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: NULL stream");
    if (!rc && !(s = calloc(1, sizeof *s)))
        rc = fail(ACL_ERROR_BAD_ALLOC, "sim: out of memory");
    if (!rc) {
        s->context = current;
        current->streams++;
        s->next = streams;
        streams = s;
        *stream = s;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtDestroyStream(acl_stream_t stream)
{
    sim_stream_t *s = stream;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtDestroyStream", false);
    if (!rc && !known_stream(s))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: destroying an unknown stream");
    if (!rc) {
        for (sim_stream_t **p = &streams; *p; p = &(*p)->next)
            if (*p == s) {
                *p = s->next;
                break;
            }
        s->context->streams--;
        free(s);
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtSynchronizeStream(acl_stream_t stream)
{
    sim_stream_t *s = stream;
    long busy_us = 0;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtSynchronizeStream", false);
    if (!rc && !known_stream(s))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: synchronising an unknown stream");
    if (!rc) {
        busy_us = s->busy_us;
        s->busy_us = 0;
    }
    if (!rc && s->pending) {
        rc = fail(s->pending, "sim: injected AI Core exception while executing the model");
        s->pending = ACL_SUCCESS;
    }
    pthread_mutex_unlock(&sim_lock);
    if (busy_us > 0) {
        struct timespec ts = {busy_us / 1000000, (busy_us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    return rc;
}

/* ---- memory ---- */

acl_error_t aclrtMalloc(void **dev_ptr, size_t size, acl_malloc_policy_t policy)
{
    sim_alloc_t *a = NULL;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtMalloc", true);
    if (!rc && (!dev_ptr || size == 0))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: aclrtMalloc of %zu bytes", size);
    if (!rc && fault("oom"))
        rc = fail(ACL_ERROR_RT_MEMORY_ALLOCATION, "sim: injected out of device memory (%zu bytes)",
                  size);
    if (!rc && (a = calloc(1, sizeof *a)) && !(a->base = malloc(size))) {
        free(a);
        a = NULL;
    }
    if (!rc && !a)
        rc = fail(ACL_ERROR_RT_MEMORY_ALLOCATION, "sim: out of memory");
    if (!rc) {
        memset(a->base, SIM_FILL, size);
        a->size = size;
        a->next = allocs;
        allocs = a;
        *dev_ptr = a->base;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtFree(void *dev_ptr)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtFree", false);
    if (!rc) {
        sim_alloc_t **p = &allocs;
        while (*p && (*p)->base != dev_ptr)
            p = &(*p)->next;
        if (!*p) {
            rc = violate(ACL_ERROR_INVALID_PARAM,
                         "sim: aclrtFree of a pointer aclrtMalloc did not return");
        } else {
            sim_alloc_t *a = *p;
            *p = a->next;
            free(a->base);
            free(a);
        }
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclrtMemcpy(void *dst, size_t dest_max, const void *src, size_t count,
                        acl_memcpy_kind_t kind)
{
    bool dst_device = kind == ACL_MEMCPY_HOST_TO_DEVICE || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    bool src_device = kind == ACL_MEMCPY_DEVICE_TO_HOST || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclrtMemcpy", false);
    if (!rc && (!dst || !src || count > dest_max || kind < 0 || kind > ACL_MEMCPY_DEVICE_TO_DEVICE))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: aclrtMemcpy of %zu bytes into %zu, kind %d",
                     count, dest_max, (int)kind);
    if (!rc && dst_device && !device_range(dst, count))
        rc = violate(ACL_ERROR_RT_PARAM_INVALID,
                     "sim: aclrtMemcpy kind %d: destination is not %zu bytes of device memory",
                     (int)kind, count);
    if (!rc && !dst_device && is_device(dst))
        rc = violate(ACL_ERROR_RT_PARAM_INVALID,
                     "sim: aclrtMemcpy kind %d: destination is device memory", (int)kind);
    if (!rc && src_device && !device_range(src, count))
        rc = violate(ACL_ERROR_RT_PARAM_INVALID,
                     "sim: aclrtMemcpy kind %d: source is not %zu bytes of device memory",
                     (int)kind, count);
    if (!rc && !src_device && is_device(src))
        rc = violate(ACL_ERROR_RT_PARAM_INVALID,
                     "sim: aclrtMemcpy kind %d: source is device memory", (int)kind);
    if (!rc)
        memcpy(dst, src, count);
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

/* ---- models ---- */

acl_error_t aclmdlLoadFromMem(const void *model, size_t model_size, uint32_t *model_id)
{
    acl_error_t rc;
    int id = -1;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclmdlLoadFromMem", true);
    if (!rc && (!model || model_size == 0 || !model_id))
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlLoadFromMem without a model");
    if (!rc && fault("load"))
        rc = fail(ACL_ERROR_GE_LOAD_MODEL, "sim: injected model load failure");
    for (int i = 0; !rc && id < 0 && i < SIM_MAX_MODELS; i++)
        if (!models[i].used)
            id = i;
    if (!rc && id < 0)
        rc = fail(ACL_ERROR_GE_LOAD_MODEL, "sim: too many models loaded");
    if (!rc)
        rc = parse_om(model, model_size, &models[id].om);
    if (!rc) {
        models[id].used = true;
        models[id].context = current;
        current->models++;
        live_models++;
        *model_id = (uint32_t)id;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

/* The loaded model id, checked to run in the current context. Lock held. */
static acl_error_t loaded_model(const char *call, uint32_t id, sim_model_t **out)
{
    acl_error_t rc = enter(call, true);

    if (rc)
        return rc;
    if (id >= SIM_MAX_MODELS || !models[id].used)
        return violate(ACL_ERROR_INVALID_MODEL_ID, "sim: %s of model id %u, which is not loaded",
                       call, id);
    if (models[id].context != current)
        return violate(ACL_ERROR_RT_CONTEXT_NULL,
                       "sim: %s of model %u in another context than it was loaded in", call, id);
    *out = &models[id];
    return ACL_SUCCESS;
}

acl_error_t aclmdlUnload(uint32_t model_id)
{
    sim_model_t *m = NULL;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = loaded_model("aclmdlUnload", model_id, &m);
    if (!rc) {
        m->used = false;
        m->context->models--;
        live_models--;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_mdl_desc_t *aclmdlCreateDesc(void)
{
    acl_mdl_desc_t *d = NULL;

    pthread_mutex_lock(&sim_lock);
    if (!enter("aclmdlCreateDesc", false) && (d = calloc(1, sizeof *d)))
        live_descs++;
    pthread_mutex_unlock(&sim_lock);
    return d;
}

acl_error_t aclmdlDestroyDesc(acl_mdl_desc_t *desc)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclmdlDestroyDesc", false);
    if (!rc && !desc)
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: NULL desc");
    if (!rc) {
        free(desc);
        live_descs--;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclmdlGetDesc(acl_mdl_desc_t *desc, uint32_t model_id)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclmdlGetDesc", false);
    if (!rc && !desc)
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: NULL desc");
    if (!rc && (model_id >= SIM_MAX_MODELS || !models[model_id].used))
        rc = violate(ACL_ERROR_INVALID_MODEL_ID, "sim: aclmdlGetDesc of model %u, not loaded",
                     model_id);
    if (!rc) {
        desc->om = models[model_id].om;
        desc->filled = true;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

acl_error_t aclmdlGetDescFromMem(acl_mdl_desc_t *desc, const void *model, size_t model_size)
{
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = enter("aclmdlGetDescFromMem", false);
    if (!rc && !desc)
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: NULL desc");
    if (!rc)
        rc = parse_om(model, model_size, &desc->om);
    if (!rc)
        desc->filled = true;
    pthread_mutex_unlock(&sim_lock);
    return rc;
}

/* The description's model, or NULL when desc is NULL or unfilled. */
static const sim_om_t *om_of(const acl_mdl_desc_t *desc)
{
    return desc && desc->filled ? &desc->om : NULL;
}

size_t aclmdlGetNumInputs(acl_mdl_desc_t *desc)
{
    const sim_om_t *om = om_of(desc);
    return om ? num_inputs(om) : 0;
}

size_t aclmdlGetNumOutputs(acl_mdl_desc_t *desc)
{
    const sim_om_t *om = om_of(desc);
    return om ? (size_t)om->n_outputs : 0;
}

size_t aclmdlGetInputSizeByIndex(acl_mdl_desc_t *desc, size_t index)
{
    const sim_om_t *om = om_of(desc);
    return om ? input_size(om, index) : 0;
}

size_t aclmdlGetOutputSizeByIndex(acl_mdl_desc_t *desc, size_t index)
{
    const sim_om_t *om = om_of(desc);
    return om ? output_size(om, index) : 0;
}

static void fill_dims(const sim_tensor_t *t, bool output_max, uint64_t gear, acl_io_dims_t *dims)
{
    memset(dims, 0, sizeof *dims);
    snprintf(dims->name, sizeof dims->name, "%s", t->name);
    dims->dim_count = (size_t)t->rank;
    for (int d = 0; d < t->rank; d++)
        dims->dims[d] = t->dims[d] < 0 && output_max ? (int64_t)gear : t->dims[d];
}

acl_error_t aclmdlGetInputDims(const acl_mdl_desc_t *desc, size_t index, acl_io_dims_t *dims)
{
    const sim_om_t *om = om_of(desc);

    if (!om || !dims)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlGetInputDims without desc or dims");
    if (index == (size_t)om->n_inputs && has_gear_input(om)) {
        memset(dims, 0, sizeof *dims);
        snprintf(dims->name, sizeof dims->name, "%s", ACL_DYNAMIC_TENSOR_NAME);
        dims->dim_count = 1;
        dims->dims[0] = 1;
        return ACL_SUCCESS;
    }
    if (index >= (size_t)om->n_inputs)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: input index %zu out of range", index);
    fill_dims(&om->inputs[index], false, 0, dims);
    return ACL_SUCCESS;
}

/* Outputs report their largest dims: the batch dim at the largest gear, as AscendCL does. */
acl_error_t aclmdlGetOutputDims(const acl_mdl_desc_t *desc, size_t index, acl_io_dims_t *dims)
{
    const sim_om_t *om = om_of(desc);

    if (!om || !dims || index >= (size_t)om->n_outputs)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlGetOutputDims: bad argument");
    fill_dims(&om->outputs[index], true, max_gear(om), dims);
    return ACL_SUCCESS;
}

const char *aclmdlGetInputNameByIndex(const acl_mdl_desc_t *desc, size_t index)
{
    const sim_om_t *om = om_of(desc);

    if (!om)
        return "";
    if (index == (size_t)om->n_inputs && has_gear_input(om))
        return ACL_DYNAMIC_TENSOR_NAME;
    return index < (size_t)om->n_inputs ? om->inputs[index].name : NULL;
}

const char *aclmdlGetOutputNameByIndex(const acl_mdl_desc_t *desc, size_t index)
{
    const sim_om_t *om = om_of(desc);

    if (!om)
        return "";
    return index < (size_t)om->n_outputs ? om->outputs[index].name : NULL;
}

acl_data_type_t aclmdlGetInputDataType(const acl_mdl_desc_t *desc, size_t index)
{
    const sim_om_t *om = om_of(desc);

    if (om && index == (size_t)om->n_inputs && has_gear_input(om))
        return ACL_INT32;
    return om && index < (size_t)om->n_inputs ? om->inputs[index].dtype : ACL_DT_UNDEFINED;
}

acl_data_type_t aclmdlGetOutputDataType(const acl_mdl_desc_t *desc, size_t index)
{
    const sim_om_t *om = om_of(desc);
    return om && index < (size_t)om->n_outputs ? om->outputs[index].dtype : ACL_DT_UNDEFINED;
}

acl_error_t aclmdlGetInputIndexByName(const acl_mdl_desc_t *desc, const char *name, size_t *index)
{
    const sim_om_t *om = om_of(desc);
    int i;

    if (!om || !name || !index)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlGetInputIndexByName: bad argument");
    if (strcmp(name, ACL_DYNAMIC_TENSOR_NAME) == 0 && has_gear_input(om)) {
        *index = (size_t)om->n_inputs;
        return ACL_SUCCESS;
    }
    i = find_input(om, name);
    if (i < 0)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: no input named %s", name);
    *index = (size_t)i;
    return ACL_SUCCESS;
}

acl_error_t aclmdlGetDynamicBatch(const acl_mdl_desc_t *desc, acl_batch_t *batch)
{
    const sim_om_t *om = om_of(desc);

    if (!om || !batch)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlGetDynamicBatch: bad argument");
    memset(batch, 0, sizeof *batch);
    batch->batch_count = (size_t)om->n_gears;
    for (int i = 0; i < om->n_gears; i++)
        batch->batch[i] = om->gears[i];
    return ACL_SUCCESS;
}

acl_error_t aclmdlGetDynamicHW(const acl_mdl_desc_t *desc, size_t index, acl_hw_t *hw)
{
    const sim_om_t *om = om_of(desc);

    if (!om || !hw)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlGetDynamicHW: bad argument");
    memset(hw, 0, sizeof *hw);
    hw->hw_count = (size_t)om->n_hw;
    for (int i = 0; i < om->n_hw; i++) {
        hw->hw[i][0] = om->hw[i][0];
        hw->hw[i][1] = om->hw[i][1];
    }
    return ACL_SUCCESS;
}

/* What aclmdlSetDynamicBatchSize leaves in the gear input: the gear, with a mark. */
static int32_t gear_mark(uint64_t batch)
{
    return (int32_t)(0x5EA00000u | (uint32_t)batch);
}

#ifndef ASCEND_SIM_OMIT_SET_DYNAMIC_BATCH
acl_error_t aclmdlSetDynamicBatchSize(uint32_t model_id, acl_dataset_t *dataset, size_t index,
                                      uint64_t batch_size)
{
    sim_model_t *m = NULL;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = loaded_model("aclmdlSetDynamicBatchSize", model_id, &m);
    if (!rc && (!dataset || batch_size == 0))
        rc = fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlSetDynamicBatchSize: bad argument");
    if (!rc && m->om.n_gears == 0)
        rc = fail(ACL_ERROR_MODEL_NOT_DYNAMIC, "sim: the model has no batch gears");
    if (!rc &&
        (index != (size_t)m->om.n_inputs || index >= dataset->n || !dataset->buffers[index]->data ||
         !device_range(dataset->buffers[index]->data, sizeof(int32_t))))
        rc = violate(ACL_ERROR_INVALID_PARAM,
                     "sim: aclmdlSetDynamicBatchSize: index %zu is not the gear input's device "
                     "buffer",
                     index);
    if (!rc) {
        bool gear = false;
        for (int i = 0; i < m->om.n_gears; i++)
            gear |= m->om.gears[i] == batch_size;
        if (!gear)
            rc = fail(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID, "sim: batch %llu is not a gear",
                      (unsigned long long)batch_size);
    }
    if (!rc) {
        int32_t mark = gear_mark(batch_size);
        memcpy(dataset->buffers[index]->data, &mark, sizeof mark);
        dataset->batch = batch_size;
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}
#endif

/* ---- data ---- */

acl_data_buffer_t *aclCreateDataBuffer(void *data, size_t size)
{
    acl_data_buffer_t *b = calloc(1, sizeof *b);

    if (!b)
        return NULL;
    b->data = data;
    b->size = size;
    pthread_mutex_lock(&sim_lock);
    live_buffers++;
    pthread_mutex_unlock(&sim_lock);
    return b;
}

acl_error_t aclDestroyDataBuffer(const acl_data_buffer_t *buffer)
{
    if (!buffer)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: NULL data buffer");
    free((void *)buffer);
    pthread_mutex_lock(&sim_lock);
    live_buffers--;
    pthread_mutex_unlock(&sim_lock);
    return ACL_SUCCESS;
}

acl_dataset_t *aclmdlCreateDataset(void)
{
    acl_dataset_t *d = calloc(1, sizeof *d);

    if (!d)
        return NULL;
    pthread_mutex_lock(&sim_lock);
    live_datasets++;
    pthread_mutex_unlock(&sim_lock);
    return d;
}

acl_error_t aclmdlDestroyDataset(const acl_dataset_t *dataset)
{
    if (!dataset)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: NULL dataset");
    free((void *)dataset);
    pthread_mutex_lock(&sim_lock);
    live_datasets--;
    pthread_mutex_unlock(&sim_lock);
    return ACL_SUCCESS;
}

acl_error_t aclmdlAddDatasetBuffer(acl_dataset_t *dataset, acl_data_buffer_t *buffer)
{
    if (!dataset || !buffer)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: aclmdlAddDatasetBuffer: NULL argument");
    if (dataset->n == SIM_MAX_DATASET)
        return fail(ACL_ERROR_INVALID_PARAM, "sim: dataset full");
    dataset->buffers[dataset->n++] = buffer;
    return ACL_SUCCESS;
}

/* ---- execution ---- */

static double load_value(const void *p, acl_data_type_t t, int64_t i)
{
    switch (t) {
    case ACL_FLOAT:
        return ((const float *)p)[i];
    case ACL_DOUBLE:
        return ((const double *)p)[i];
    case ACL_INT8:
        return ((const int8_t *)p)[i];
    case ACL_UINT8:
        return ((const uint8_t *)p)[i];
    case ACL_INT32:
        return ((const int32_t *)p)[i];
    case ACL_INT64:
        return (double)((const int64_t *)p)[i];
    default:
        return 0;
    }
}

/* Nearest integer in [lo, hi]; padding rows' garbage (NaN, huge) lands inside too. */
static double clamp_round(double v, double lo, double hi)
{
    if (!isfinite(v))
        return 0;
    v = nearbyint(v);
    return v < lo ? lo : v > hi ? hi : v;
}

static void store_value(void *p, acl_data_type_t t, int64_t i, double v)
{
    switch (t) {
    case ACL_FLOAT:
        ((float *)p)[i] = (float)v;
        break;
    case ACL_DOUBLE:
        ((double *)p)[i] = v;
        break;
    case ACL_INT8:
        ((int8_t *)p)[i] = (int8_t)clamp_round(v, INT8_MIN, INT8_MAX);
        break;
    case ACL_UINT8:
        ((uint8_t *)p)[i] = (uint8_t)clamp_round(v, 0, UINT8_MAX);
        break;
    case ACL_INT32:
        ((int32_t *)p)[i] = (int32_t)clamp_round(v, INT32_MIN, INT32_MAX);
        break;
    case ACL_INT64:
        ((int64_t *)p)[i] = (int64_t)clamp_round(v, -9.2e18, 9.2e18);
        break;
    default:
        break;
    }
}

/* Runs the description on the datasets at batch rows. Lock held. */
static void compute(const sim_om_t *om, const acl_dataset_t *in, acl_dataset_t *out, uint64_t batch)
{
    for (int k = 0; k < om->n_outputs; k++) {
        const sim_tensor_t *o = &om->outputs[k];
        void *dst = out->buffers[k]->data;
        int64_t n = tensor_numel(o, batch);

        if (o->rowsum) {
            const sim_tensor_t *src = &om->inputs[o->terms[0].input];
            int64_t rows = rows_of(src, batch), per_row = tensor_numel(src, batch) / rows;
            const void *data = in->buffers[o->terms[0].input]->data;
            for (int64_t r = 0; r < rows; r++) {
                double sum = 0;
                for (int64_t e = 0; e < per_row; e++)
                    sum += load_value(data, src->dtype, r * per_row + e);
                store_value(dst, o->dtype, r, o->bias + o->terms[0].coef * sum);
            }
            continue;
        }
        for (int64_t e = 0; e < n; e++) {
            double v = o->bias;
            for (int j = 0; j < o->n_terms; j++) {
                int i = o->terms[j].input;
                v += o->terms[j].coef * load_value(in->buffers[i]->data, om->inputs[i].dtype, e);
            }
            store_value(dst, o->dtype, e, v);
        }
    }
}

/* Every buffer of a dataset is device memory of at least the size the model needs. Lock held. */
static acl_error_t check_dataset(const sim_om_t *om, const acl_dataset_t *d, bool inputs)
{
    size_t want = inputs ? num_inputs(om) : (size_t)om->n_outputs;

    if (!d || d->n != want)
        return violate(ACL_ERROR_MODEL_INPUT_NOT_MATCH,
                       "sim: the %s dataset has %zu buffers, the model %zu",
                       inputs ? "input" : "output", d ? d->n : 0, want);
    for (size_t i = 0; i < want; i++) {
        size_t need = inputs ? input_size(om, i) : output_size(om, i);
        const acl_data_buffer_t *b = d->buffers[i];
        if (!b->data || b->size < need || !device_range(b->data, need))
            return violate(inputs ? ACL_ERROR_MODEL_INPUT_NOT_MATCH
                                  : ACL_ERROR_MODEL_OUTPUT_NOT_MATCH,
                           "sim: %s %zu is not %zu bytes of device memory",
                           inputs ? "input" : "output", i, need);
    }
    return ACL_SUCCESS;
}

acl_error_t aclmdlExecuteAsync(uint32_t model_id, const acl_dataset_t *input, acl_dataset_t *output,
                               acl_stream_t stream)
{
    sim_stream_t *s = stream;
    sim_model_t *m = NULL;
    uint64_t batch = 0;
    acl_error_t rc;

    pthread_mutex_lock(&sim_lock);
    rc = loaded_model("aclmdlExecuteAsync", model_id, &m);
    if (!rc && (!known_stream(s) || s->context != current))
        rc = violate(ACL_ERROR_INVALID_PARAM, "sim: execution on a stream of another context");
    if (!rc)
        rc = check_dataset(&m->om, input, true);
    if (!rc)
        rc = check_dataset(&m->om, output, false);
    if (!rc && m->om.n_gears) {
        int32_t mark;
        batch = input->batch;
        if (batch == 0)
            rc = violate(ACL_ERROR_GE_DYNAMIC_BATCH_SIZE_INVALID,
                         "sim: a model with batch gears ran without aclmdlSetDynamicBatchSize");
        memcpy(&mark, input->buffers[m->om.n_inputs]->data, sizeof mark);
        if (!rc && mark != gear_mark(batch))
            rc = violate(ACL_ERROR_MODEL_INPUT_NOT_MATCH, "sim: %s was overwritten by the caller",
                         ACL_DYNAMIC_TENSOR_NAME);
    } else if (!rc && m->om.n_hw) {
        rc = fail(ACL_ERROR_MODEL_INPUT_NOT_MATCH, "sim: image-size gears are not simulated");
    }
    if (!rc) {
        if (!m->om.n_gears)
            batch = (uint64_t)(m->om.n_inputs ? rows_of(&m->om.inputs[0], 0) : 1);
        compute(&m->om, input, output, batch);
        executions_by_device[s->context->device]++;
        executions_by_batch[batch <= SIM_MAX_BATCH ? batch : 0]++;
        if (fault("execute"))
            s->pending = ACL_ERROR_RT_AICORE_EXCEPTION;
        if (getenv("ASCEND_SIM_EXECUTE_US"))
            s->busy_us = atol(getenv("ASCEND_SIM_EXECUTE_US"));
    }
    pthread_mutex_unlock(&sim_lock);
    return rc;
}
