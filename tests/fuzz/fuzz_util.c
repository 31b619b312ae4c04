/*
 * fuzz_util.c - scratch folder, file helpers and model configs for the
 * fuzz harnesses (fuzz_util.h).
 */
#define _DEFAULT_SOURCE /* mkdtemp, DT_DIR */

#include "fuzz_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grpc_internal.h"

/* The scratch folder; empty until first use. */
static char scratch[PATH_MAX];

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: harness check failed: %s\n", file, line, what);
    abort();
}

void fuzz_remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    while (d && (e = readdir(d))) {
        char child[PATH_MAX];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) < (int)sizeof child)
            fuzz_remove_tree(child);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

static void remove_scratch(void)
{
    if (scratch[0])
        fuzz_remove_tree(scratch);
}

const char *fuzz_scratch_dir(void)
{
    const char *tmp = getenv("TMPDIR");

    if (scratch[0])
        return scratch;
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(scratch, sizeof scratch, "%s/inferd-fuzz-XXXXXX", tmp);
    if (!mkdtemp(scratch)) {
        perror("fuzz: cannot create a scratch folder");
        abort();
    }
    atexit(remove_scratch);
    return scratch;
}

bool fuzz_write_file(const char *path, const void *data, size_t size)
{
    FILE *f;
    bool ok;

    /*
     * A new file each time: ext4 flushes a file truncated and written again
     * at close (auto_da_alloc), which cut the model harness to 300 runs a
     * second; a fresh inode costs nothing.
     */
    unlink(path);
    f = fopen(path, "wb");

    if (!f)
        return false;
    ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

static void tensor(model_tensor_config_t *t, const char *name, dtype_t dtype, int rank, int64_t d0,
                   int64_t d1, int64_t d2)
{
    const int64_t dims[3] = {d0, d1, d2};

    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dtype;
    t->rank = rank;
    for (int d = 0; d < rank; d++)
        t->dims[d] = dims[d];
}

static void base(model_config_t *cfg, const char *name, int max_batch_size)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->name, sizeof cfg->name, "%s", name);
    snprintf(cfg->platform, sizeof cfg->platform, "onnx");
    cfg->max_batch_size = max_batch_size;
    cfg->batching.max_batch_size = max_batch_size;
    cfg->batching.priority_levels = 2;
    cfg->batching.default_priority = 1;
    cfg->batching.instance_count = 1;
    cfg->batching.threads_per_instance = 1;
}

static const dtype_t kserve_dtypes[] = {
    DTYPE_BOOL,  DTYPE_UINT8,  DTYPE_INT8,  DTYPE_UINT16, DTYPE_INT16,  DTYPE_UINT32,
    DTYPE_INT32, DTYPE_UINT64, DTYPE_INT64, DTYPE_FLOAT,  DTYPE_DOUBLE,
};

const model_config_t *fuzz_config(int index)
{
    static model_config_t configs[FUZZ_CONFIG_COUNT];
    static bool built;
    model_config_t *c;

    if (!built) {
        c = &configs[0];
        base(c, "simple", 0);
        tensor(&c->inputs[0], "x", DTYPE_FLOAT, 2, 2, 3, 0);
        tensor(&c->inputs[1], "y", DTYPE_INT64, 1, -1, 0, 0);
        c->n_inputs = 2;
        tensor(&c->outputs[0], "sum", DTYPE_FLOAT, 2, 2, 3, 0);
        tensor(&c->outputs[1], "count", DTYPE_INT64, 1, 1, 0, 0);
        c->n_outputs = 2;

        c = &configs[1];
        base(c, "batched", 4);
        tensor(&c->inputs[0], "x", DTYPE_FLOAT, 1, 3, 0, 0);
        tensor(&c->inputs[1], "mask", DTYPE_BOOL, 1, -1, 0, 0);
        c->n_inputs = 2;
        tensor(&c->outputs[0], "y", DTYPE_FLOAT, 1, 3, 0, 0);
        c->n_outputs = 1;

        c = &configs[2];
        base(c, "dtypes", 0);
        for (size_t i = 0; i < sizeof kserve_dtypes / sizeof kserve_dtypes[0]; i++) {
            tensor(&c->inputs[i], dtype_kserve_name(kserve_dtypes[i]), kserve_dtypes[i], 1, 4, 0,
                   0);
            tensor(&c->outputs[i], dtype_kserve_name(kserve_dtypes[i]), kserve_dtypes[i], 1, 4, 0,
                   0);
        }
        c->n_inputs = c->n_outputs = (int)(sizeof kserve_dtypes / sizeof kserve_dtypes[0]);

        c = &configs[3];
        base(c, "image", 8);
        tensor(&c->inputs[0], "image", DTYPE_UINT8, 3, -1, -1, 3);
        c->n_inputs = 1;
        tensor(&c->outputs[0], "label", DTYPE_INT64, 1, 1, 0, 0);
        c->n_outputs = 1;
        built = true;
    }
    return index >= 0 && index < FUZZ_CONFIG_COUNT ? &configs[index] : NULL;
}

/* Completes every part of a cut plan as a model would (fuzz_run_plan). */
static bool complete_parts(batch_plan_t *plan)
{
    const model_config_t *cfg = plan->cfg;
    int batch = cfg->max_batch_size > 0 ? 1 : 0;

    for (int p = 0; p < plan->n_parts; p++) {
        request_t *req = plan->parts[p];
        req->n_outputs = cfg->n_outputs;
        for (int k = 0; k < cfg->n_outputs; k++) {
            const model_tensor_config_t *tc = &cfg->outputs[k];
            tensor_t *t = &req->outputs[k];
            t->dtype = tc->dtype;
            t->rank = tc->rank + batch;
            if (batch)
                t->dims[0] = req->inputs[0].dims[0];
            for (int d = 0; d < tc->rank; d++)
                t->dims[d + batch] = tc->dims[d] < 0 ? 1 : tc->dims[d];
            t->data = arena_alloc(&req->arena, tensor_bytes(t) + 1);
            if (!t->data)
                return false;
        }
        req->status = STATUS_OK;
    }
    return true;
}

/* What batch_plan_cut promises (fuzz_run_plan). */
static void check_cut(const batch_plan_t *plan)
{
    const model_config_t *cfg = plan->cfg;
    int64_t unit_rows = 0, part_rows = 0;
    int accepted = 0;

    for (int u = 0; u < plan->n_units; u++) {
        if (plan->units[u].inputs) {
            unit_rows += plan->units[u].rows;
            accepted++;
        } else {
            FUZZ_CHECK(plan->units[u].status != STATUS_OK);
        }
    }
    for (int p = 0; p < plan->n_parts; p++) {
        const request_t *req = plan->parts[p];
        FUZZ_CHECK(req->n_inputs == cfg->n_inputs);
        for (int k = 0; k < cfg->n_inputs; k++) {
            const tensor_t *t = &req->inputs[k];
            int64_t numel;
            FUZZ_CHECK(t->dtype == cfg->inputs[k].dtype);
            FUZZ_CHECK(shape_valid(t->rank, t->dims, &numel));
            FUZZ_CHECK(t->data != NULL || numel == 0);
            if (cfg->max_batch_size > 0) {
                FUZZ_CHECK(t->dims[0] >= 1 && t->dims[0] <= cfg->max_batch_size);
                FUZZ_CHECK(t->dims[0] == req->inputs[0].dims[0]);
            }
            /* Read every byte, so a short buffer shows up under ASan. */
            if (numel > 0) {
                volatile unsigned char sink = 0;
                for (size_t i = 0; i < tensor_bytes(t); i++)
                    sink ^= ((const unsigned char *)t->data)[i];
                (void)sink;
            }
        }
        if (cfg->max_batch_size > 0)
            part_rows += req->inputs[0].dims[0];
    }
    /* Every row in some part; without a batch dim, every unit a part of its own. */
    if (cfg->max_batch_size > 0)
        FUZZ_CHECK(part_rows == unit_rows);
    else
        FUZZ_CHECK(plan->n_parts == accepted);
}

bool fuzz_run_plan(batch_plan_t *plan)
{
    error_t err = {0};

    if (batch_plan_cut(plan, &err) != STATUS_OK) {
        FUZZ_CHECK(err.code == STATUS_LIMIT_EXCEEDED || err.code == STATUS_OUT_OF_MEMORY);
        return false;
    }
    check_cut(plan);
    return complete_parts(plan);
}

ProtobufCMessage *fuzz_grpc_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                   size_t size, arena_t *arena)
{
    grpc_slice slice = grpc_slice_from_copied_buffer((const char *)data, size);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    ProtobufCMessage *msg = grpc_unpack_message(bb, desc, arena);

    grpc_byte_buffer_destroy(bb);
    grpc_slice_unref(slice);
    return msg;
}

void fuzz_check_inputs(const model_config_t *cfg, const tensor_t *inputs,
                       const kserve_shm_ref_t *shm, int64_t limit)
{
    for (int k = 0; k < cfg->n_inputs; k++) {
        const tensor_t *t = &inputs[k];
        int64_t numel;
        FUZZ_CHECK(t->dtype == cfg->inputs[k].dtype);
        FUZZ_CHECK(shape_valid(t->rank, t->dims, &numel));
        FUZZ_CHECK(limit <= 0 || numel <= limit);
        if (shm && shm[k].region) {
            FUZZ_CHECK(t->data == NULL &&
                       shm[k].byte_size == (uint64_t)numel * dtype_size(t->dtype));
            continue;
        }
        FUZZ_CHECK(t->data != NULL || numel == 0);
        if (numel > 0) {
            const volatile unsigned char *p = t->data;
            (void)p[0];
            (void)p[(size_t)numel * dtype_size(t->dtype) - 1];
        }
    }
}
