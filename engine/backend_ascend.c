/*
 * backend_ascend.c - ATC-compiled .om models on Ascend NPUs, through
 * AscendCL (ascend_acl.h), behind backend.h.
 *
 * The model (shared, immutable) is the file's bytes, checked by
 * om_header.h before AscendCL sees them, and what aclmdlGetDescFromMem
 * says about them: names, dtypes, dims, byte sizes and batch gears. The
 * runtime itself never runs a model id on two threads at once without a
 * lock, so each worker context loads its own copy from those bytes, on its
 * own stream, with its own device buffers allocated once at the largest
 * gear; a run copies the inputs in, sets the gear, executes and copies the
 * outputs out.
 *
 * Dynamic batch gears (ATC's --dynamic_batch_size): the model accepts only
 * those batch sizes. A batch of n rows runs at the smallest gear g >= n:
 * only n rows are copied in, the g - n rows of padding hold whatever the
 * buffer held (rows are independent in a batched model, and the padding
 * rows' outputs are never copied out), and the outputs are trimmed to n
 * rows. The extra input ascend_mbatch_shape_data is allocated and handed
 * to the runtime but never written: aclmdlSetDynamicBatchSize fills it.
 * Models with image-size or N-dimensional gears, or range-dynamic shapes,
 * are refused at load with a message saying so.
 *
 * A failed run leaves the worker marked broken: its next run first
 * unloads its model copy and frees its stream and buffers, then builds
 * them again, so one device fault costs one batch, not the worker.
 */
#include "backend.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ascend_runtime.h"
#include "om_header.h"

/* Inputs and outputs one model may have (the gear input not counted). */
#define ASCEND_MAX_IO 64
/*
 * Largest .om file read: the bytes stay in host memory for the workers'
 * loads. Far beyond the models ATC produces for a 32 GiB device.
 */
#define ASCEND_MAX_MODEL_BYTES (UINT64_C(16) << 30)

/* One input or output: as clients see it, and as the runtime sizes it. */
typedef struct ascend_io {
    engine_io_t io;                     /* dims[0] is -1 for a gear model's batch dim */
    char name[ACL_MAX_TENSOR_NAME_LEN]; /* io.name points here */
    size_t index;                       /* the runtime's index */
    size_t max_bytes;                   /* at the largest gear (a static model: its size) */
    size_t row_bytes;                   /* per batch row (a gear model), else max_bytes */
} ascend_io_t;

/* What a model did on one device; atomics, as its workers run concurrently. */
typedef struct device_counters {
    atomic_bool used;
    _Atomic uint64_t executions, compute_us, padded_rows, failures;
} device_counters_t;

typedef struct ascend_model {
    char path[PATH_MAX];
    void *bytes; /* the whole file, loaded once per worker */
    size_t n_bytes;
    const ascend_acl_t *acl;
    ascend_io_t inputs[ASCEND_MAX_IO];
    int n_inputs;
    ascend_io_t outputs[ASCEND_MAX_IO];
    int n_outputs;
    size_t n_runtime_inputs;                /* the runtime's count: the gear input too */
    bool gear_input;                        /* has ascend_mbatch_shape_data */
    size_t gear_index;                      /* its runtime index */
    size_t gear_bytes;                      /* its size */
    int64_t gears[BACKEND_MAX_BATCH_SIZES]; /* ascending; none for a static model */
    int n_gears;
    double load_ms, compile_ms;
    device_counters_t devices[BACKEND_MAX_DEVICES];
} ascend_model_t;

/* One worker: its device reference, stream, model copy and buffers. */
typedef struct ascend_context {
    ascend_model_t *model;
    const ascend_acl_t *acl;
    int device;
    bool device_held;
    ascend_device_t dev;
    acl_stream_t stream;
    bool loaded;
    uint32_t model_id;
    acl_mdl_desc_t *desc;
    acl_dataset_t *in, *out;
    /* Device memory and its data buffers, by runtime index (inputs include the gear input). */
    void *in_mem[ASCEND_MAX_IO + 1];
    acl_data_buffer_t *in_buf[ASCEND_MAX_IO + 1];
    void *out_mem[ASCEND_MAX_IO];
    acl_data_buffer_t *out_buf[ASCEND_MAX_IO];
    void *host_out[ASCEND_MAX_IO]; /* the outputs handed back, valid until the next run */
    tensor_t results[ASCEND_MAX_IO];
    bool broken; /* a run failed: rebuild the runtime state before the next */
} ascend_context_t;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void ascend_configure(const backend_settings_t *settings)
{
    ascend_runtime_set_library(settings ? settings->ascend_library : NULL);
}

static void ascend_shutdown(void)
{
    ascend_runtime_shutdown();
}

/* inferd's dtype for an aclDataType; DTYPE_UNDEFINED for those inferd cannot hold. */
static dtype_t dtype_of(acl_data_type_t t)
{
    switch (t) {
    case ACL_FLOAT:
        return DTYPE_FLOAT;
    case ACL_FLOAT16:
        return DTYPE_FLOAT16;
    case ACL_BF16:
        return DTYPE_BFLOAT16;
    case ACL_DOUBLE:
        return DTYPE_DOUBLE;
    case ACL_INT8:
        return DTYPE_INT8;
    case ACL_INT16:
        return DTYPE_INT16;
    case ACL_INT32:
        return DTYPE_INT32;
    case ACL_INT64:
        return DTYPE_INT64;
    case ACL_UINT8:
        return DTYPE_UINT8;
    case ACL_UINT16:
        return DTYPE_UINT16;
    case ACL_UINT32:
        return DTYPE_UINT32;
    case ACL_UINT64:
        return DTYPE_UINT64;
    case ACL_BOOL:
        return DTYPE_BOOL;
    default:
        return DTYPE_UNDEFINED;
    }
}

/* Reads the whole file at path (its header already checked) into m->bytes. */
static status_t read_file(ascend_model_t *m, const char *path, error_t *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    status_t rc = STATUS_OK;

    if (!f)
        return error_set(err, STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
        (uint64_t)st.st_size > ASCEND_MAX_MODEL_BYTES) {
        rc =
            error_set(err, STATUS_LIMIT_EXCEEDED, "%s: %lld bytes: an .om model may have 1 to %llu",
                      path, (long long)st.st_size, (unsigned long long)ASCEND_MAX_MODEL_BYTES);
        goto cleanup;
    }
    m->n_bytes = (size_t)st.st_size;
    m->bytes = malloc(m->n_bytes);
    if (!m->bytes) {
        rc = error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", path,
                       m->n_bytes);
        goto cleanup;
    }
    if (fread(m->bytes, 1, m->n_bytes, f) != m->n_bytes)
        rc = error_set(err, STATUS_IO, "%s: short read (the file changed while loading?)", path);
cleanup:
    fclose(f);
    return rc;
}

/* The gears of a model with the gear input, or why it is refused. */
static status_t read_gears(ascend_model_t *m, acl_mdl_desc_t *desc, error_t *err)
{
    const ascend_acl_t *acl = m->acl;
    acl_batch_t *batch = calloc(1, sizeof *batch);
    acl_hw_t *hw = NULL;
    acl_error_t rc;
    status_t st = STATUS_OK;

    if (!batch)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    rc = acl->aclmdlGetDynamicBatch(desc, batch);
    if (rc != ACL_SUCCESS) {
        st = ascend_runtime_fail(err, STATUS_INVALID_MODEL, "aclmdlGetDynamicBatch", rc);
        goto cleanup;
    }
    if (batch->batch_count == 0) {
        hw = calloc(1, sizeof *hw);
        rc = hw ? acl->aclmdlGetDynamicHW(desc, (size_t)-1, hw) : ACL_ERROR_BAD_ALLOC;
        st = error_set(err, STATUS_UNSUPPORTED,
                       "the model has %s gears; inferd serves only batch gears "
                       "(ATC --dynamic_batch_size) and static shapes",
                       rc == ACL_SUCCESS && hw->hw_count > 0 ? "image-size (--dynamic_image_size)"
                                                             : "dims (--dynamic_dims)");
        goto cleanup;
    }
    if (batch->batch_count > BACKEND_MAX_BATCH_SIZES || batch->batch_count > ACL_MAX_BATCH_NUM) {
        st = error_set(err, STATUS_LIMIT_EXCEEDED, "the model has %zu batch gears, more than %d",
                       batch->batch_count, BACKEND_MAX_BATCH_SIZES);
        goto cleanup;
    }
    for (size_t i = 0; i < batch->batch_count; i++) {
        uint64_t g = batch->batch[i];
        int at = m->n_gears;
        if (g < 1 || g > INT32_MAX) {
            st = error_set(err, STATUS_INVALID_MODEL, "batch gear %llu is out of range",
                           (unsigned long long)g);
            goto cleanup;
        }
        /* Insertion keeps them ascending and distinct, whatever order the runtime reports. */
        while (at > 0 && m->gears[at - 1] > (int64_t)g)
            at--;
        if (at > 0 && m->gears[at - 1] == (int64_t)g)
            continue;
        memmove(&m->gears[at + 1], &m->gears[at], (size_t)(m->n_gears - at) * sizeof m->gears[0]);
        m->gears[at] = (int64_t)g;
        m->n_gears++;
    }
cleanup:
    free(hw);
    free(batch);
    return st;
}

/*
 * Fills *out for runtime input (or output) index from desc, checking that
 * its size is what its dims and dtype make (at the largest gear).
 */
static status_t read_io(ascend_model_t *m, acl_mdl_desc_t *desc, bool input, size_t index,
                        ascend_io_t *out, error_t *err)
{
    const ascend_acl_t *acl = m->acl;
    const char *kind = input ? "input" : "output";
    const char *name = input ? acl->aclmdlGetInputNameByIndex(desc, index)
                             : acl->aclmdlGetOutputNameByIndex(desc, index);
    acl_data_type_t t = input ? acl->aclmdlGetInputDataType(desc, index)
                              : acl->aclmdlGetOutputDataType(desc, index);
    size_t bytes = input ? acl->aclmdlGetInputSizeByIndex(desc, index)
                         : acl->aclmdlGetOutputSizeByIndex(desc, index);
    int64_t max_gear = m->n_gears ? m->gears[m->n_gears - 1] : 0;
    acl_io_dims_t *dims = malloc(sizeof *dims);
    uint64_t numel = 1;
    acl_error_t rc;
    status_t st = STATUS_OK;

    if (!dims)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    memset(out, 0, sizeof *out);
    out->index = index;
    if (!name || !name[0] || strlen(name) >= sizeof out->name) {
        st = error_set(err, STATUS_INVALID_MODEL, "%s %zu has no usable name", kind, index);
        goto cleanup;
    }
    memcpy(out->name, name, strlen(name) + 1);
    out->io.name = out->name;
    out->io.dtype = dtype_of(t);
    if (out->io.dtype == DTYPE_UNDEFINED || dtype_size(out->io.dtype) == 0) {
        st = error_set(err, STATUS_UNSUPPORTED,
                       "%s \"%s\" has aclDataType %d, which inferd cannot serve", kind, name,
                       (int)t);
        goto cleanup;
    }
    rc = input ? acl->aclmdlGetInputDims(desc, index, dims)
               : acl->aclmdlGetOutputDims(desc, index, dims);
    if (rc != ACL_SUCCESS) {
        st = ascend_runtime_fail(err, STATUS_INVALID_MODEL,
                                 input ? "aclmdlGetInputDims" : "aclmdlGetOutputDims", rc);
        goto cleanup;
    }
    if (dims->dim_count > TENSOR_MAX_RANK) {
        st = error_set(err, STATUS_UNSUPPORTED, "%s \"%s\" has %zu dims, more than %d", kind, name,
                       dims->dim_count, TENSOR_MAX_RANK);
        goto cleanup;
    }
    out->io.rank = (int)dims->dim_count;
    for (int d = 0; d < out->io.rank; d++) {
        int64_t v = dims->dims[d];
        /* A gear model's batch dim: -1, or (outputs report their largest dims) the largest gear. */
        bool batch_dim = max_gear && d == 0 && (v == -1 || (!input && v == max_gear));
        if (batch_dim) {
            out->io.dims[0] = -1;
            numel *= (uint64_t)max_gear;
            continue;
        }
        if (v < 0) {
            st = error_set(err, STATUS_UNSUPPORTED,
                           "%s \"%s\" has a dynamic dim %d outside batch gears (a range-dynamic "
                           "shape), which inferd does not serve",
                           kind, name, d);
            goto cleanup;
        }
        out->io.dims[d] = v;
        numel *= (uint64_t)v;
        if (numel > (uint64_t)TENSOR_MAX_ELEMENTS) {
            st = error_set(err, STATUS_LIMIT_EXCEEDED, "%s \"%s\" has over %lld elements", kind,
                           name, (long long)TENSOR_MAX_ELEMENTS);
            goto cleanup;
        }
    }
    if (max_gear && (out->io.rank < 1 || out->io.dims[0] != -1)) {
        st = error_set(err, STATUS_UNSUPPORTED,
                       "%s \"%s\" has no batch dim first, but the model has batch gears", kind,
                       name);
        goto cleanup;
    }
    if (bytes == 0 || bytes != numel * dtype_size(out->io.dtype)) {
        st = error_set(err, STATUS_UNSUPPORTED,
                       "%s \"%s\": the runtime sizes it at %zu bytes, its dims and dtype make %llu "
                       "(a layout other than its dims, or a range-dynamic shape)",
                       kind, name, bytes, (unsigned long long)(numel * dtype_size(out->io.dtype)));
        goto cleanup;
    }
    out->max_bytes = bytes;
    out->row_bytes = max_gear ? bytes / (size_t)max_gear : bytes;
cleanup:
    free(dims);
    return st;
}

/* Everything the model's description says, from a description of its bytes. */
static status_t describe(ascend_model_t *m, acl_mdl_desc_t *desc, error_t *err)
{
    const ascend_acl_t *acl = m->acl;
    size_t n_in = acl->aclmdlGetNumInputs(desc), n_out = acl->aclmdlGetNumOutputs(desc), index;
    status_t st;

    m->gear_input =
        acl->aclmdlGetInputIndexByName(desc, ACL_DYNAMIC_TENSOR_NAME, &index) == ACL_SUCCESS &&
        index < n_in;
    if (m->gear_input) {
        m->gear_index = index;
        m->gear_bytes = acl->aclmdlGetInputSizeByIndex(desc, index);
        if (m->gear_bytes == 0)
            return error_set(err, STATUS_INVALID_MODEL, "the gear input %s has no size",
                             ACL_DYNAMIC_TENSOR_NAME);
        st = read_gears(m, desc, err);
        if (st)
            return st;
    }
    if (n_out == 0 || n_in - m->gear_input > ASCEND_MAX_IO || n_out > ASCEND_MAX_IO)
        return error_set(err, STATUS_UNSUPPORTED,
                         "the model has %zu inputs and %zu outputs; inferd serves 0 to %d inputs "
                         "and 1 to %d outputs",
                         n_in - m->gear_input, n_out, ASCEND_MAX_IO, ASCEND_MAX_IO);
    m->n_runtime_inputs = n_in;
    for (size_t i = 0; i < n_in; i++) {
        if (m->gear_input && i == m->gear_index)
            continue;
        st = read_io(m, desc, true, i, &m->inputs[m->n_inputs], err);
        if (st)
            return st;
        m->n_inputs++;
    }
    for (size_t i = 0; i < n_out; i++) {
        st = read_io(m, desc, false, i, &m->outputs[m->n_outputs], err);
        if (st)
            return st;
        m->n_outputs++;
    }
    return STATUS_OK;
}

static void ascend_free_model(void *model)
{
    ascend_model_t *m = model;

    if (!m)
        return;
    free(m->bytes);
    free(m);
}

static status_t ascend_load(const char *path, const engine_model_options_t *options, void **out,
                            error_t *err)
{
    ascend_model_t *m = NULL;
    acl_mdl_desc_t *desc = NULL;
    om_header_t header;
    int64_t start = now_us(), described;
    acl_error_t rc;
    status_t st;

    *out = NULL;
    if (options && options->precision != ENGINE_PRECISION_FP32)
        return error_set(
            err, STATUS_UNSUPPORTED,
            "%s: an .om model's precision is fixed when ATC compiles it; \"precision\" "
            "%s cannot apply (leave it out)",
            path, engine_precision_name(options->precision));
    /* A corrupt or truncated file gets inferd's message, not the runtime's code. */
    st = om_header_read_file(path, &header, err);
    if (st)
        return st;
    m = calloc(1, sizeof *m);
    if (!m)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    snprintf(m->path, sizeof m->path, "%s", path);
    st = ascend_runtime_open(&m->acl, err);
    if (!st)
        st = read_file(m, path, err);
    if (st)
        goto cleanup;
    described = now_us();
    desc = m->acl->aclmdlCreateDesc();
    if (!desc) {
        st =
            ascend_runtime_fail(err, STATUS_OUT_OF_MEMORY, "aclmdlCreateDesc", ACL_ERROR_BAD_ALLOC);
        goto cleanup;
    }
    rc = m->acl->aclmdlGetDescFromMem(desc, m->bytes, m->n_bytes);
    if (rc != ACL_SUCCESS) {
        st = ascend_runtime_fail(err, STATUS_INVALID_MODEL, "aclmdlGetDescFromMem", rc);
        goto cleanup;
    }
    st = describe(m, desc, err);
    m->load_ms = (double)(described - start) / 1000.0;
    m->compile_ms = (double)(now_us() - described) / 1000.0;
cleanup:
    if (desc)
        m->acl->aclmdlDestroyDesc(desc);
    if (st) {
        error_prefix(err, "%s", path);
        ascend_free_model(m);
        return st;
    }
    *out = m;
    return STATUS_OK;
}

static int ascend_input_count(const void *model)
{
    return ((const ascend_model_t *)model)->n_inputs;
}

static int ascend_output_count(const void *model)
{
    return ((const ascend_model_t *)model)->n_outputs;
}

static const engine_io_t *ascend_input(const void *model, int index)
{
    return &((const ascend_model_t *)model)->inputs[index].io;
}

static const engine_io_t *ascend_output(const void *model, int index)
{
    return &((const ascend_model_t *)model)->outputs[index].io;
}

static int ascend_batch_sizes(const void *model, const int64_t **sizes)
{
    const ascend_model_t *m = model;

    *sizes = m->n_gears ? m->gears : NULL;
    return m->n_gears;
}

/* Frees a worker's runtime state in the documented order: buffers, datasets, model, desc, stream.
 */
static void worker_teardown(ascend_context_t *c)
{
    const ascend_acl_t *acl = c->acl;

    for (size_t i = 0; i < c->model->n_runtime_inputs; i++) {
        if (c->in_buf[i])
            acl->aclDestroyDataBuffer(c->in_buf[i]);
        if (c->in_mem[i])
            acl->aclrtFree(c->in_mem[i]);
        c->in_buf[i] = NULL;
        c->in_mem[i] = NULL;
    }
    for (int k = 0; k < c->model->n_outputs; k++) {
        if (c->out_buf[k])
            acl->aclDestroyDataBuffer(c->out_buf[k]);
        if (c->out_mem[k])
            acl->aclrtFree(c->out_mem[k]);
        c->out_buf[k] = NULL;
        c->out_mem[k] = NULL;
    }
    if (c->in)
        acl->aclmdlDestroyDataset(c->in);
    if (c->out)
        acl->aclmdlDestroyDataset(c->out);
    c->in = c->out = NULL;
    if (c->loaded)
        acl->aclmdlUnload(c->model_id);
    c->loaded = false;
    if (c->desc)
        acl->aclmdlDestroyDesc(c->desc);
    c->desc = NULL;
    if (c->stream) {
        acl->aclrtSynchronizeStream(c->stream);
        acl->aclrtDestroyStream(c->stream);
    }
    c->stream = NULL;
}

/* Allocates one device buffer of bytes and adds it to dataset. */
static status_t add_buffer(ascend_context_t *c, acl_dataset_t *dataset, size_t bytes, void **mem,
                           acl_data_buffer_t **buf, error_t *err)
{
    const ascend_acl_t *acl = c->acl;
    acl_error_t rc = acl->aclrtMalloc(mem, bytes, ACL_MEM_MALLOC_HUGE_FIRST);

    if (rc != ACL_SUCCESS) {
        *mem = NULL;
        return ascend_runtime_fail(err, STATUS_OUT_OF_MEMORY, "aclrtMalloc", rc);
    }
    *buf = acl->aclCreateDataBuffer(*mem, bytes);
    if (!*buf)
        return ascend_runtime_fail(err, STATUS_OUT_OF_MEMORY, "aclCreateDataBuffer",
                                   ACL_ERROR_BAD_ALLOC);
    rc = acl->aclmdlAddDatasetBuffer(dataset, *buf);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_INTERNAL, "aclmdlAddDatasetBuffer", rc);
    return STATUS_OK;
}

/*
 * Builds a worker's runtime state on its device (whose context is current):
 * stream, its own copy of the model, its description, datasets and device
 * buffers at the largest gear. On failure the caller tears down what exists.
 */
static status_t worker_build(ascend_context_t *c, error_t *err)
{
    const ascend_acl_t *acl = c->acl;
    ascend_model_t *m = c->model;
    acl_error_t rc;
    status_t st;

    rc = acl->aclrtCreateStream(&c->stream);
    if (rc != ACL_SUCCESS) {
        c->stream = NULL;
        return ascend_runtime_fail(err, STATUS_UNAVAILABLE, "aclrtCreateStream", rc);
    }
    rc = acl->aclmdlLoadFromMem(m->bytes, m->n_bytes, &c->model_id);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_UNAVAILABLE, "aclmdlLoadFromMem", rc);
    c->loaded = true;
    c->desc = acl->aclmdlCreateDesc();
    if (!c->desc)
        return ascend_runtime_fail(err, STATUS_OUT_OF_MEMORY, "aclmdlCreateDesc",
                                   ACL_ERROR_BAD_ALLOC);
    rc = acl->aclmdlGetDesc(c->desc, c->model_id);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_INTERNAL, "aclmdlGetDesc", rc);
    /* The loaded copy must be the model that was described: the buffers are sized from that. */
    if (acl->aclmdlGetNumInputs(c->desc) != m->n_runtime_inputs ||
        acl->aclmdlGetNumOutputs(c->desc) != (size_t)m->n_outputs)
        return error_set(err, STATUS_INTERNAL,
                         "the loaded model has %zu inputs and %zu outputs, its description %zu "
                         "and %d",
                         acl->aclmdlGetNumInputs(c->desc), acl->aclmdlGetNumOutputs(c->desc),
                         m->n_runtime_inputs, m->n_outputs);
    c->in = acl->aclmdlCreateDataset();
    c->out = acl->aclmdlCreateDataset();
    if (!c->in || !c->out)
        return ascend_runtime_fail(err, STATUS_OUT_OF_MEMORY, "aclmdlCreateDataset",
                                   ACL_ERROR_BAD_ALLOC);
    /* Buffers are added in runtime index order: that order is the index. */
    for (size_t i = 0; i < m->n_runtime_inputs; i++) {
        size_t bytes = acl->aclmdlGetInputSizeByIndex(c->desc, i);
        st = add_buffer(c, c->in, bytes, &c->in_mem[i], &c->in_buf[i], err);
        if (st)
            return st;
    }
    for (int k = 0; k < m->n_outputs; k++) {
        st = add_buffer(c, c->out, m->outputs[k].max_bytes, &c->out_mem[k], &c->out_buf[k], err);
        if (st)
            return st;
    }
    for (int j = 0; j < m->n_inputs; j++)
        if (acl->aclmdlGetInputSizeByIndex(c->desc, m->inputs[j].index) != m->inputs[j].max_bytes)
            return error_set(err, STATUS_INTERNAL,
                             "input \"%s\": the loaded model sizes it differently from its "
                             "description",
                             m->inputs[j].name);
    return STATUS_OK;
}

static void ascend_context_free(void *ctx)
{
    ascend_context_t *c = ctx;

    if (!c)
        return;
    if (c->device_held) {
        /* Freed from another thread than the one that ran it: make the context current here. */
        c->acl->aclrtSetCurrentContext(c->dev.context);
        worker_teardown(c);
        ascend_runtime_device_release(c->device);
    }
    for (int k = 0; k < c->model->n_outputs; k++)
        free(c->host_out[k]);
    free(c);
}

static status_t ascend_context_create(void *model, const backend_instance_t *instance, void **out,
                                      error_t *err)
{
    ascend_model_t *m = model;
    ascend_context_t *c = calloc(1, sizeof *c);
    status_t st;

    *out = NULL;
    if (!c)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    c->model = m;
    c->acl = m->acl;
    /* No device named (warmup, `inferd run`): the first NPU. */
    c->device = instance->device >= 0 ? instance->device : 0;
    if (c->device >= BACKEND_MAX_DEVICES) {
        st = error_set(err, STATUS_INVALID_ARGUMENT, "NPU device %d is outside 0..%d", c->device,
                       BACKEND_MAX_DEVICES - 1);
        goto cleanup;
    }
    st = ascend_runtime_device_acquire(c->device, &c->dev, err);
    if (st)
        goto cleanup;
    c->device_held = true;
    st = worker_build(c, err);
    for (int k = 0; !st && k < m->n_outputs; k++)
        if (!(c->host_out[k] = malloc(m->outputs[k].max_bytes)))
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for output \"%s\"",
                           m->outputs[k].name);
    if (!st)
        atomic_store(&m->devices[c->device].used, true);
cleanup:
    if (st) {
        error_prefix(err, "%s on NPU %d", m->path, c->device);
        ascend_context_free(c);
        return st;
    }
    *out = c;
    return STATUS_OK;
}

/* The batch's rows (1 for a static model), after checking inputs against the model. */
static status_t check_inputs(const ascend_model_t *m, const tensor_t *inputs, int n_inputs,
                             int64_t *rows, error_t *err)
{
    char got[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];

    if (n_inputs != m->n_inputs)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%d inputs given; the model takes %d",
                         n_inputs, m->n_inputs);
    *rows = m->n_gears && n_inputs > 0 && inputs[0].rank > 0 ? inputs[0].dims[0] : 1;
    for (int i = 0; i < n_inputs; i++) {
        const engine_io_t *io = &m->inputs[i].io;
        const tensor_t *t = &inputs[i];
        bool same = t->dtype == io->dtype && t->rank == io->rank;
        for (int d = 0; same && d < t->rank; d++)
            same = io->dims[d] == -1 ? t->dims[d] == *rows : t->dims[d] == io->dims[d];
        if (!same)
            return error_set(
                err, STATUS_INVALID_ARGUMENT, "input \"%s\": %s %s given, the model takes %s %s%s",
                io->name, dtype_name(t->dtype), shape_format(t->rank, t->dims, got, sizeof got),
                dtype_name(io->dtype), shape_format(io->rank, io->dims, want, sizeof want),
                m->n_gears ? " (-1: the batch, the same for every input)" : "");
    }
    if (m->n_gears && (*rows < 1 || *rows > m->gears[m->n_gears - 1]))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "a batch of %lld rows: the model's batch gears reach %lld",
                         (long long)*rows, (long long)m->gears[m->n_gears - 1]);
    return STATUS_OK;
}

/* Copy in, set the gear, execute on the worker's stream, copy out. */
static status_t execute(ascend_context_t *c, const tensor_t *inputs, int64_t rows, int64_t gear,
                        error_t *err)
{
    const ascend_acl_t *acl = c->acl;
    const ascend_model_t *m = c->model;
    acl_error_t rc;

    for (int i = 0; i < m->n_inputs; i++) {
        const ascend_io_t *in = &m->inputs[i];
        size_t bytes = (size_t)rows * in->row_bytes;
        if (!m->n_gears)
            bytes = in->max_bytes;
        if (bytes == 0)
            continue;
        rc = acl->aclrtMemcpy(c->in_mem[in->index], in->max_bytes, inputs[i].data, bytes,
                              c->dev.to_device);
        if (rc != ACL_SUCCESS)
            return ascend_runtime_fail(err, STATUS_INTERNAL, "aclrtMemcpy (input to device)", rc);
    }
    if (m->n_gears) {
        rc = acl->aclmdlSetDynamicBatchSize(c->model_id, c->in, m->gear_index, (uint64_t)gear);
        if (rc != ACL_SUCCESS)
            return ascend_runtime_fail(err, STATUS_INTERNAL, "aclmdlSetDynamicBatchSize", rc);
    }
    rc = acl->aclmdlExecuteAsync(c->model_id, c->in, c->out, c->stream);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_INTERNAL, "aclmdlExecuteAsync", rc);
    rc = acl->aclrtSynchronizeStream(c->stream);
    if (rc != ACL_SUCCESS)
        return ascend_runtime_fail(err, STATUS_INTERNAL, "aclrtSynchronizeStream", rc);
    for (int k = 0; k < m->n_outputs; k++) {
        const ascend_io_t *o = &m->outputs[k];
        size_t bytes = m->n_gears ? (size_t)rows * o->row_bytes : o->max_bytes;
        if (bytes == 0)
            continue;
        rc = acl->aclrtMemcpy(c->host_out[k], o->max_bytes, c->out_mem[k], bytes, c->dev.to_host);
        if (rc != ACL_SUCCESS)
            return ascend_runtime_fail(err, STATUS_INTERNAL, "aclrtMemcpy (output to host)", rc);
    }
    return STATUS_OK;
}

static status_t ascend_run(void *ctx, const tensor_t *inputs, int n_inputs,
                           const tensor_t **outputs, error_t *err)
{
    ascend_context_t *c = ctx;
    ascend_model_t *m = c->model;
    device_counters_t *counters = &m->devices[c->device];
    int64_t rows = 0, gear = 0, start = now_us();
    acl_error_t rc;
    status_t st;

    st = check_inputs(m, inputs, n_inputs, &rows, err);
    if (st)
        return st;
    for (int g = 0; g < m->n_gears && !gear; g++)
        if (m->gears[g] >= rows)
            gear = m->gears[g];
    /* The runtime binds contexts to threads; the worker's may differ from its creator's. */
    rc = c->acl->aclrtSetCurrentContext(c->dev.context);
    if (rc != ACL_SUCCESS) {
        st = ascend_runtime_fail(err, STATUS_INTERNAL, "aclrtSetCurrentContext", rc);
        goto cleanup;
    }
    if (c->broken) {
        worker_teardown(c);
        st = worker_build(c, err);
        if (st) {
            error_prefix(err, "rebuilding the worker after a failed run");
            goto cleanup;
        }
        c->broken = false;
    }
    st = execute(c, inputs, rows, gear, err);
cleanup:
    if (st) {
        c->broken = true;
        atomic_fetch_add(&counters->failures, 1);
        return error_prefix(err, "NPU %d", c->device);
    }
    for (int k = 0; k < m->n_outputs; k++) {
        tensor_t *t = &c->results[k];
        const engine_io_t *io = &m->outputs[k].io;
        t->dtype = io->dtype;
        t->rank = io->rank;
        memcpy(t->dims, io->dims, sizeof t->dims);
        if (m->n_gears)
            t->dims[0] = rows;
        t->data = c->host_out[k];
    }
    atomic_fetch_add(&counters->executions, 1);
    atomic_fetch_add(&counters->compute_us, (uint64_t)(now_us() - start));
    if (m->n_gears)
        atomic_fetch_add(&counters->padded_rows, (uint64_t)(gear - rows));
    *outputs = c->results;
    return STATUS_OK;
}

static void ascend_stats(const void *model, backend_stats_t *out)
{
    const ascend_model_t *m = model;

    out->load_ms = m->load_ms;
    out->compile_ms = m->compile_ms;
    out->weight_bytes = m->n_bytes;
    out->precision = ENGINE_PRECISION_FP32;
}

static int ascend_device_stats(const void *model, backend_device_stats_t *out, int max)
{
    ascend_model_t *m = (ascend_model_t *)model;
    int n = 0;

    for (int d = 0; d < BACKEND_MAX_DEVICES && n < max; d++) {
        device_counters_t *dc = &m->devices[d];
        if (!atomic_load(&dc->used))
            continue;
        out[n].device = d;
        out[n].executions = atomic_load(&dc->executions);
        out[n].compute_us = atomic_load(&dc->compute_us);
        out[n].padded_rows = atomic_load(&dc->padded_rows);
        out[n].failures = atomic_load(&dc->failures);
        n++;
    }
    return n;
}

const backend_ops_t backend_ascend_ops = {
    .name = "ascend",
    .platform = "ascend_om",
    .file_suffix = ".om",
    .on_devices = true,
    .load = ascend_load,
    .free_model = ascend_free_model,
    .input_count = ascend_input_count,
    .output_count = ascend_output_count,
    .input = ascend_input,
    .output = ascend_output,
    .batch_sizes = ascend_batch_sizes,
    .context_create = ascend_context_create,
    .context_free = ascend_context_free,
    .run = ascend_run,
    .stats = ascend_stats,
    .device_stats = ascend_device_stats,
    .configure = ascend_configure,
    .shutdown = ascend_shutdown,
};
