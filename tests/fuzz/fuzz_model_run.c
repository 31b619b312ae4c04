/*
 * fuzz_model_run.c - a model that loads is planned and run once, as the
 * server's warmup or first request would: engine_model_load, then
 * engine_context_run on inputs of the declared shapes (a dynamic dim is
 * 1) filled with small values. Prototypes, the memory plan, plan-time
 * folding and the kernels all see what a hostile model file can declare.
 *
 * Input: the model file, as for fuzz_model (same scratch layout, no
 * external data files: they are fuzz_model's business).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "fuzz_util.h"

/* Elements of all inputs together past which a model is only loaded, not run. */
#define FUZZ_RUN_MAX_INPUT_ELEMENTS (1 << 16)
/* One run's deadline (engine_context_set_deadline), well inside libFuzzer's -timeout. */
#define FUZZ_RUN_DEADLINE_US 1000000

static int64_t fuzz_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
/* INFERD_MAX_PLAN_BYTES for the runs. */
#define FUZZ_RUN_MAX_PLAN "256M"

static char model_path[PATH_MAX];

static void ignore_warning(const char *message)
{
    (void)message;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(model_path, sizeof model_path, "%s/model.onnx", fuzz_scratch_dir());
    engine_set_warning_handler(ignore_warning);
    /*
     * Plans are capped below scripts/fuzz.sh's 512 MiB allocation limit, as
     * a server on a small machine would be: a model asking for more is
     * refused, and only an allocation past the cap is a finding.
     */
    setenv("INFERD_MAX_PLAN_BYTES", FUZZ_RUN_MAX_PLAN, 1);
    return 0;
}

/* Fills n elements of dtype with 0, 1, 2, 0, 1, 2 ...: valid indices, non-zero divisors aside. */
static void fill(void *data, dtype_t dtype, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        int v = (int)(i % 3);
        switch (dtype) {
        case DTYPE_FLOAT:
            ((float *)data)[i] = (float)v;
            break;
        case DTYPE_DOUBLE:
            ((double *)data)[i] = v;
            break;
        case DTYPE_INT64:
            ((int64_t *)data)[i] = v;
            break;
        case DTYPE_INT32:
            ((int32_t *)data)[i] = v;
            break;
        default:
            memset((char *)data + i * (int64_t)dtype_size(dtype), v, dtype_size(dtype));
            break;
        }
    }
}

/* Runs model once; inputs of the declared shapes, or nothing when they are too big. */
static void run(engine_model_t *model)
{
    int n = engine_model_input_count(model);
    tensor_t *inputs = calloc((size_t)n + 1, sizeof *inputs);
    engine_context_t *ctx = NULL;
    const tensor_t *outputs = NULL;
    int64_t total = 0;
    error_t err = {0};

    FUZZ_CHECK(inputs != NULL);
    for (int i = 0; i < n; i++) {
        const engine_io_t *io = engine_model_input(model, i);
        int64_t numel;
        inputs[i].dtype = io->dtype;
        inputs[i].rank = io->rank;
        for (int d = 0; d < io->rank; d++)
            inputs[i].dims[d] = io->dims[d] < 0 ? 1 : io->dims[d];
        if (!shape_valid(inputs[i].rank, inputs[i].dims, &numel) ||
            numel > FUZZ_RUN_MAX_INPUT_ELEMENTS - total || dtype_size(io->dtype) == 0)
            goto cleanup;
        total += numel;
        inputs[i].data = calloc((size_t)numel + 1, dtype_size(io->dtype));
        FUZZ_CHECK(inputs[i].data != NULL);
        fill(inputs[i].data, io->dtype, numel);
    }
    if (engine_context_create(model, 1, &ctx, &err) != STATUS_OK)
        goto cleanup;
    /* As a request's timeout would: a Loop of 2^24 iterations stops instead of hanging. */
    engine_context_set_deadline(ctx, fuzz_now_us() + FUZZ_RUN_DEADLINE_US);
    if (engine_context_run(ctx, inputs, n, &outputs, &err) == STATUS_OK) {
        for (int k = 0; k < engine_model_output_count(model); k++) {
            int64_t numel;
            FUZZ_CHECK(shape_valid(outputs[k].rank, outputs[k].dims, &numel));
            FUZZ_CHECK(outputs[k].data != NULL || numel == 0);
        }
    } else {
        FUZZ_CHECK(err.message[0] != '\0');
    }
cleanup:
    engine_context_free(ctx);
    for (int i = 0; i < n; i++)
        free(inputs[i].data);
    free(inputs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    engine_model_t *model = NULL;
    error_t err = {0};

    if (!model_path[0])
        LLVMFuzzerInitialize(NULL, NULL);
    FUZZ_CHECK(fuzz_write_file(model_path, data, size));
    if (engine_model_load(model_path, &model, &err) == STATUS_OK)
        run(model);
    engine_model_free(model);
    return 0;
}
