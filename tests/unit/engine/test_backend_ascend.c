/*
 * test_backend_ascend.c - the AscendCL backend (backend_ascend.c) on the
 * simulated runtime (tests/ascend_sim): library search failures (missing
 * file, missing symbol), load and describe, a run at every batch size from
 * 1 to the largest gear on two devices with exact values (the expected
 * outputs are the model's affine functions evaluated here, independently
 * of the simulator), padding to gears and trimming, input checks, a static
 * model, refused models (corrupt header, image-size gears), each injected
 * fault with the worker recovering, and finally a report from the
 * simulator's aclFinalize that shows nothing left on the devices and no
 * breach of the API's rules.
 *
 * Environment (tests/CMakeLists.txt): ASCEND_SIM_LIBRARY,
 * ASCEND_SIM_NOSYM_LIBRARY.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "check.h"
#include "model_config.h"

#define GEARS_TEXT "gears 4 1 8 2"
#define WIDTH      3
#define MAX_GEAR   8

static char tmp_dir[256];

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes an .om the simulator runs: ATC's header, then the description. */
static const char *write_om(const char *name, const char *body)
{
    static char path[512];
    unsigned char header[256] = {0};
    size_t n = strlen(body);
    FILE *f;

    snprintf(path, sizeof path, "%s/%s.om", tmp_dir, name);
    memcpy(header, "IMOD", 4);
    put_le(header + 4, 256, 4);
    put_le(header + 8, 0x20000000u, 4);
    put_le(header + 76, n, 4);
    header[82] = 1;
    put_le(header + 184, n, 8);
    f = fopen(path, "wb");
    CHECK(f && fwrite(header, 1, sizeof header, f) == sizeof header && fwrite(body, 1, n, f) == n);
    if (f)
        fclose(f);
    return path;
}

static bool contains(const char *text, const char *needle)
{
    if (strstr(text, needle))
        return true;
    fprintf(stderr, "'%s' lacks '%s'\n", text, needle);
    return false;
}

static const char *GEAR_MODEL = "inferd-ascend-sim 1\n" GEARS_TEXT "\n"
                                "input x float 2 -1 3\n"
                                "input ids int32 2 -1 3\n"
                                "output y float 2 -1 3 affine 0.5 2 x -1 ids\n"
                                "output s int64 2 -1 1 rowsum 7 3 ids\n";

/* The library search: a missing file, then a library lacking a symbol, then the simulator. */
static void test_library(const char *gear_path)
{
    backend_model_t *m = NULL;
    error_t err = {0};

    backend_configure(&(backend_settings_t){.ascend_library = "/nonexistent/libascendcl.so"});
    CHECK(backend_model_load(NULL, gear_path, NULL, &m, &err) == STATUS_UNAVAILABLE && !m);
    CHECK(contains(err.message, "--ascend-library") &&
          contains(err.message, "/nonexistent/libascendcl.so"));
    backend_configure(&(backend_settings_t){.ascend_library = getenv("ASCEND_SIM_NOSYM_LIBRARY")});
    CHECK(backend_model_load(NULL, gear_path, NULL, &m, &err) == STATUS_UNSUPPORTED && !m);
    CHECK(contains(err.message, "aclmdlSetDynamicBatchSize") && contains(err.message, "lacks"));
    backend_configure(&(backend_settings_t){.ascend_library = getenv("ASCEND_SIM_LIBRARY")});
}

static void test_describe(const backend_model_t *m)
{
    const int64_t *sizes;
    const engine_io_t *x = backend_model_input(m, 0), *ids = backend_model_input(m, 1);
    const engine_io_t *y = backend_model_output(m, 0), *s = backend_model_output(m, 1);
    backend_stats_t stats;

    CHECK(strcmp(backend_model_ops(m)->name, "ascend") == 0);
    /* The gear input is the runtime's business, not a client's. */
    CHECK(backend_model_input_count(m) == 2 && backend_model_output_count(m) == 2);
    CHECK(strcmp(x->name, "x") == 0 && x->dtype == DTYPE_FLOAT && x->rank == 2 &&
          x->dims[0] == -1 && x->dims[1] == WIDTH);
    CHECK(strcmp(ids->name, "ids") == 0 && ids->dtype == DTYPE_INT32);
    /* The simulator reports outputs at the largest gear, as AscendCL does: still the batch dim. */
    CHECK(strcmp(y->name, "y") == 0 && y->dtype == DTYPE_FLOAT && y->dims[0] == -1 &&
          y->dims[1] == WIDTH);
    CHECK(strcmp(s->name, "s") == 0 && s->dtype == DTYPE_INT64 && s->rank == 2 && s->dims[1] == 1);
    CHECK(backend_model_batch_sizes(m, &sizes) == 4);
    CHECK(sizes[0] == 1 && sizes[1] == 2 && sizes[2] == 4 && sizes[3] == 8);
    backend_model_stats(m, &stats);
    CHECK(strcmp(stats.backend, "ascend") == 0 && stats.weight_bytes > 256);
}

/* config.json text for model m, loaded and completed: the status. */
static status_t complete(const backend_model_t *m, const char *text, model_config_t *c,
                         error_t *err)
{
    char path[512];
    FILE *f;
    status_t st;

    snprintf(path, sizeof path, "%s/config.json", tmp_dir);
    f = fopen(path, "w");
    CHECK(f && fputs(text, f) >= 0);
    if (f)
        fclose(f);
    st = model_config_load(path, "gear", c, err);
    return st ? st : model_config_complete(c, m, err);
}

/* The gears become max_batch_size and the preferred sizes; config.json may only narrow them. */
static void test_config(const backend_model_t *m)
{
    model_config_t c;
    error_t err = {0};

    CHECK(complete(m, "{\"dynamic_batching\": {}}", &c, &err) == STATUS_OK);
    CHECK(c.max_batch_size == MAX_GEAR && c.batching.max_batch_size == MAX_GEAR);
    CHECK(c.batching.n_preferred == 4 && c.batching.preferred_batch_sizes[0] == 1 &&
          c.batching.preferred_batch_sizes[3] == 8);
    CHECK(strcmp(c.platform, "ascend_om") == 0 && strcmp(c.backend, "ascend") == 0);
    CHECK(c.instance_kind == MODEL_INSTANCE_NPU && c.batching.instance_devices[0] == 0);
    CHECK(c.inputs[0].rank == 1 && c.inputs[0].dims[0] == WIDTH);
    CHECK(complete(m, "{\"max_batch_size\": 4, \"dynamic_batching\": {}}", &c, &err) == STATUS_OK);
    CHECK(c.max_batch_size == 4 && c.batching.n_preferred == 3);
    /* Without dynamic batching no preferred sizes, but the largest gear still bounds batches. */
    CHECK(complete(m, "{\"model_warmup\": [{\"batch_size\": 8}]}", &c, &err) == STATUS_OK);
    CHECK(c.max_batch_size == MAX_GEAR && c.batching.n_preferred == 0 && !c.dynamic_batching);
    CHECK(complete(m, "{\"max_batch_size\": 16}", &c, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(contains(err.message, "16 exceeds the model's largest batch size 8"));
    CHECK(complete(m, "{\"dynamic_batching\": {\"preferred_batch_size\": [2, 3]}}", &c, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(contains(err.message, "preferred_batch_size[1]") && contains(err.message, "3 is not"));
    CHECK(complete(m, "{\"model_warmup\": [{\"batch_size\": 9}]}", &c, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(contains(err.message, "model_warmup[0].batch_size") && contains(err.message, "9"));
    CHECK(complete(m, "{\"instance_group\": [{\"kind\": \"KIND_CPU\"}]}", &c, &err) ==
          STATUS_INVALID_ARGUMENT);
    CHECK(contains(err.message, "KIND_CPU") && contains(err.message, "NPUs"));
    CHECK(complete(m, "{\"platform\": \"onnx\"}", &c, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(contains(err.message, "\"ascend\""));
}

/* One run of rows on ctx, checked element by element against the model's functions. */
static void run_rows(backend_context_t *ctx, int rows, int seed)
{
    float x[MAX_GEAR * WIDTH];
    int32_t ids[MAX_GEAR * WIDTH];
    tensor_t in[2] = {{DTYPE_FLOAT, 2, {rows, WIDTH}, x}, {DTYPE_INT32, 2, {rows, WIDTH}, ids}};
    const tensor_t *out = NULL;
    error_t err = {0};

    for (int i = 0; i < rows * WIDTH; i++) {
        x[i] = (float)((i * 7 + seed * 13) % 23) * 0.25f - 2.0f;
        ids[i] = (i * 5 + seed) % 11 - 4;
    }
    CHECK(backend_context_run(ctx, in, 2, &out, &err) == STATUS_OK);
    if (!out) {
        fprintf(stderr, "run of %d rows: %s\n", rows, err.message);
        return;
    }
    CHECK(out[0].dtype == DTYPE_FLOAT && out[0].rank == 2 && out[0].dims[0] == rows &&
          out[0].dims[1] == WIDTH);
    CHECK(out[1].dtype == DTYPE_INT64 && out[1].rank == 2 && out[1].dims[0] == rows &&
          out[1].dims[1] == 1);
    for (int i = 0; i < rows * WIDTH; i++)
        CHECK(((const float *)out[0].data)[i] == (float)(0.5 + 2.0 * x[i] - 1.0 * ids[i]));
    for (int r = 0; r < rows; r++) {
        int64_t sum = 0;
        for (int j = 0; j < WIDTH; j++)
            sum += ids[r * WIDTH + j];
        CHECK(((const int64_t *)out[1].data)[r] == 7 + 3 * sum);
    }
}

static void test_runs(backend_model_t *m)
{
    backend_context_t *ctx[2] = {NULL, NULL};
    backend_device_stats_t stats[4];
    error_t err = {0};
    int padded = 0;

    for (int d = 0; d < 2; d++) {
        backend_instance_t inst = {.threads = 1, .device = d};
        CHECK(backend_context_create(m, &inst, &ctx[d], &err) == STATUS_OK);
    }
    if (!ctx[0] || !ctx[1]) {
        fprintf(stderr, "context: %s\n", err.message);
        goto cleanup;
    }
    /* Every batch size to the largest gear, on both devices: 3, 5, 6, 7 run padded. */
    for (int rows = 1; rows <= MAX_GEAR; rows++) {
        int gear = rows <= 1 ? 1 : rows <= 2 ? 2 : rows <= 4 ? 4 : 8;
        run_rows(ctx[0], rows, rows);
        run_rows(ctx[1], rows, rows + 100);
        padded += gear - rows;
    }
    CHECK(backend_model_device_stats(m, stats, 4) == 2);
    for (int d = 0; d < 2; d++)
        CHECK(stats[d].device == d && stats[d].executions == MAX_GEAR &&
              stats[d].padded_rows == (uint64_t)padded && stats[d].failures == 0);
    CHECK(padded == 7);

    /* Past the largest gear, a dtype or a dim the model does not take: refused, nothing runs. */
    {
        float x[16 * WIDTH] = {0};
        int32_t ids[16 * WIDTH] = {0};
        tensor_t big[2] = {{DTYPE_FLOAT, 2, {9, WIDTH}, x}, {DTYPE_INT32, 2, {9, WIDTH}, ids}};
        tensor_t wrong_type[2] = {{DTYPE_FLOAT, 2, {2, WIDTH}, x}, {DTYPE_FLOAT, 2, {2, WIDTH}, x}};
        tensor_t wrong_dim[2] = {{DTYPE_FLOAT, 2, {2, 4}, x}, {DTYPE_INT32, 2, {2, WIDTH}, ids}};
        tensor_t unequal[2] = {{DTYPE_FLOAT, 2, {2, WIDTH}, x}, {DTYPE_INT32, 2, {3, WIDTH}, ids}};
        const tensor_t *out;

        CHECK(backend_context_run(ctx[0], big, 2, &out, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(contains(err.message, "9 rows") && contains(err.message, "gears reach 8"));
        CHECK(backend_context_run(ctx[0], wrong_type, 2, &out, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(contains(err.message, "ids") && contains(err.message, "int32"));
        CHECK(backend_context_run(ctx[0], wrong_dim, 2, &out, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(backend_context_run(ctx[0], unequal, 2, &out, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(backend_context_run(ctx[0], big, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    }

    /* A failed execution fails that run, with the call, code and message; the next one works. */
    setenv("ASCEND_SIM_FAULTS", "execute", 1);
    {
        float x[WIDTH] = {1, 2, 3};
        int32_t ids[WIDTH] = {1, 2, 3};
        tensor_t in[2] = {{DTYPE_FLOAT, 2, {1, WIDTH}, x}, {DTYPE_INT32, 2, {1, WIDTH}, ids}};
        const tensor_t *out;
        CHECK(backend_context_run(ctx[1], in, 2, &out, &err) == STATUS_INTERNAL);
        CHECK(contains(err.message, "NPU 1") && contains(err.message, "aclrtSynchronizeStream") &&
              contains(err.message, "507015") &&
              contains(err.message, "ACL_ERROR_RT_AICORE_EXCEPTION") &&
              contains(err.message, "AI Core exception"));
    }
    unsetenv("ASCEND_SIM_FAULTS");
    run_rows(ctx[1], 5, 42);
    CHECK(backend_model_device_stats(m, stats, 4) == 2 && stats[1].failures == 1 &&
          stats[1].executions == MAX_GEAR + 1);

    /* Faults while a worker starts: the model copy, device memory, an unknown device. */
    {
        backend_context_t *c = NULL;
        backend_instance_t inst = {.threads = 1, .device = 0};
        setenv("ASCEND_SIM_FAULTS", "load", 1);
        CHECK(backend_context_create(m, &inst, &c, &err) == STATUS_UNAVAILABLE && !c);
        CHECK(contains(err.message, "aclmdlLoadFromMem") && contains(err.message, "545001") &&
              contains(err.message, "NPU 0"));
        setenv("ASCEND_SIM_FAULTS", "oom", 1);
        CHECK(backend_context_create(m, &inst, &c, &err) == STATUS_OUT_OF_MEMORY && !c);
        CHECK(contains(err.message, "aclrtMalloc") && contains(err.message, "207001"));
        unsetenv("ASCEND_SIM_FAULTS");
        inst.device = 5;
        CHECK(backend_context_create(m, &inst, &c, &err) == STATUS_INVALID_ARGUMENT && !c);
        CHECK(contains(err.message, "NPU device 5 does not exist") &&
              contains(err.message, "2 devices"));
    }
cleanup:
    backend_context_free(ctx[0]);
    backend_context_free(ctx[1]);
}

/* A model without gears: fixed dims, every batch exactly its own. */
static void test_static(void)
{
    const char *path = write_om("static", "inferd-ascend-sim 1\n"
                                          "input a double 2 2 2\n"
                                          "output b uint8 2 2 2 affine 1 2 a\n");
    backend_model_t *m = NULL;
    backend_context_t *ctx = NULL;
    backend_instance_t inst = {.threads = 1, .device = -1};
    double a[4] = {1, 2, 3, 200};
    tensor_t in = {DTYPE_DOUBLE, 2, {2, 2}, a};
    const tensor_t *out = NULL;
    const int64_t *sizes;
    error_t err = {0};

    CHECK(backend_model_load(NULL, path, NULL, &m, &err) == STATUS_OK);
    if (!m) {
        fprintf(stderr, "static: %s\n", err.message);
        return;
    }
    CHECK(backend_model_batch_sizes(m, &sizes) == 0);
    CHECK(backend_model_input(m, 0)->dims[0] == 2 &&
          backend_model_output(m, 0)->dtype == DTYPE_UINT8);
    CHECK(backend_context_create(m, &inst, &ctx, &err) == STATUS_OK);
    if (ctx)
        CHECK(backend_context_run(ctx, &in, 1, &out, &err) == STATUS_OK);
    if (out) {
        const uint8_t *b = out[0].data;
        /* 1 + 2 * 200 saturates at uint8's 255. */
        CHECK(b[0] == 3 && b[1] == 5 && b[2] == 7 && b[3] == 255);
        CHECK(out[0].dims[0] == 2 && out[0].dims[1] == 2);
    }
    in.dims[0] = 1;
    if (ctx)
        CHECK(backend_context_run(ctx, &in, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    backend_context_free(ctx);
    backend_model_free(m);
}

/* Files and models the backend refuses, each with a message saying why. */
static void test_refused(void)
{
    static const struct {
        const char *name, *body, *expect;
        status_t code;
    } cases[] = {
        {"hw",
         "inferd-ascend-sim 1\nhw 4 4 8 8\ninput x float 2 1 3\n"
         "output y float 2 1 3 affine 0 1 x\n",
         "image-size", STATUS_UNSUPPORTED},
        {"garbled", "inferd-ascend-sim 1\nthis is not a model\n", "aclmdlGetDescFromMem",
         STATUS_INVALID_MODEL},
    };
    backend_model_t *m = NULL;
    error_t err = {0};
    engine_model_options_t bf16 = {.precision = ENGINE_PRECISION_BF16};
    char path[512];
    FILE *f;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(backend_model_load(NULL, write_om(cases[i].name, cases[i].body), NULL, &m, &err) ==
              cases[i].code);
        CHECK(!m && contains(err.message, cases[i].expect));
    }
    /* A truncated file: the header check names it before the runtime sees it. */
    snprintf(path, sizeof path, "%s", write_om("truncated", GEAR_MODEL));
    CHECK(truncate(path, 300) == 0);
    CHECK(backend_model_load(NULL, path, NULL, &m, &err) == STATUS_INVALID_ARGUMENT && !m);
    CHECK(contains(err.message, "truncated") && contains(err.message, "truncated.om"));
    snprintf(path, sizeof path, "%s/notom.om", tmp_dir);
    f = fopen(path, "wb");
    CHECK(f && fputs("PK? no, not an om file at all, though long enough to hold a header... "
                     "................................................................"
                     "................................................................"
                     "................................................................",
                     f) >= 0);
    if (f)
        fclose(f);
    CHECK(backend_model_load(NULL, path, NULL, &m, &err) == STATUS_INVALID_ARGUMENT && !m);
    CHECK(contains(err.message, "IMOD"));
    /* A precision the compiled model cannot honour is refused, not ignored. */
    CHECK(backend_model_load(NULL, write_om("gear2", GEAR_MODEL), &bf16, &m, &err) ==
          STATUS_UNSUPPORTED);
    CHECK(!m && contains(err.message, "precision"));
}

/* The simulator's report at aclFinalize: nothing left on the devices, no rule broken. */
static void test_report(const char *report)
{
    char text[4096] = "";
    FILE *f = fopen(report, "r");

    CHECK(f != NULL);
    if (!f)
        return;
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    CHECK(contains(text, "\"inits\": 1, \"finalizes\": 1"));
    CHECK(contains(text, "\"device_bytes\": 0, \"allocations\": 0, \"models\": 0, \"streams\": 0, "
                         "\"contexts\": 0, \"devices_set\": 0, \"descs\": 0, \"datasets\": 0, "
                         "\"buffers\": 0"));
    CHECK(contains(text, "\"violations\": 0"));
    /* Only gears ran: batches of 3, 5, 6 and 7 rows were padded; the static model ran at 2. */
    CHECK(contains(text, "\"executions_by_batch\": {\"1\": 3, \"2\": 3, \"4\": 4, \"8\": 9}"));
    CHECK(contains(text, "\"executions_by_device\": {\"0\": 9, \"1\": 10}"));
}

int main(void)
{
    char report[300];
    backend_model_t *m = NULL;
    error_t err = {0};
    const char *gear_path;

    if (!getenv("ASCEND_SIM_LIBRARY") || !getenv("ASCEND_SIM_NOSYM_LIBRARY")) {
        fprintf(stderr,
                "ASCEND_SIM_LIBRARY and ASCEND_SIM_NOSYM_LIBRARY must name the simulator\n");
        return 1;
    }
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/inferd-test-ascend-XXXXXX");
    if (!mkdtemp(tmp_dir))
        return 1;
    snprintf(report, sizeof report, "%s/report.json", tmp_dir);
    setenv("ASCEND_SIM_REPORT", report, 1);
    setenv("ASCEND_SIM_DEVICES", "2", 1);
    unsetenv("ASCEND_SIM_FAULTS");
    unsetenv("ASCEND_SIM_FAULT_FILE");
    gear_path = write_om("gear", GEAR_MODEL);
    test_library(gear_path);
    CHECK(backend_model_load(NULL, gear_path, NULL, &m, &err) == STATUS_OK);
    if (m) {
        test_describe(m);
        test_config(m);
        test_runs(m);
    } else {
        fprintf(stderr, "load: %s\n", err.message);
    }
    test_static();
    test_refused();
    backend_model_free(m);
    backend_shutdown();
    test_report(report);
    CHECK_DONE();
}
