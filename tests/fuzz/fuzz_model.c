/*
 * fuzz_model.c - ONNX model import and compilation (engine_model_load), as
 * the repository loads a model.onnx dropped into it.
 *
 * Input: the model file. It is written to model/model.onnx in the scratch
 * folder, beside the files its external data may name:
 *   weights.bin   4096 bytes (0, 1, 2, ... as bytes)
 *   empty.bin     0 bytes
 *   sub/w.bin     64 bytes
 *   dir.bin/      a folder
 *   link.bin      a symlink to ../secret.bin, outside the model's folder
 * so the external data paths, offsets and lengths are fuzzed too, and the
 * sandbox rules (nothing outside the model's folder) are exercised.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "fuzz_util.h"

/* Bytes of model/weights.bin. */
#define FUZZ_WEIGHTS_BYTES 4096

static char model_path[PATH_MAX];

/* Engine warnings (a layer on reference code) are expected, not findings. */
static void ignore_warning(const char *message)
{
    (void)message;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *root = fuzz_scratch_dir();
    unsigned char weights[FUZZ_WEIGHTS_BYTES];
    char dir[PATH_MAX], path[PATH_MAX];
    bool ok;

    (void)argc;
    (void)argv;
    for (int i = 0; i < FUZZ_WEIGHTS_BYTES; i++)
        weights[i] = (unsigned char)i;
    snprintf(dir, sizeof dir, "%s/model", root);
    snprintf(model_path, sizeof model_path, "%s/model.onnx", dir);
    ok = mkdir(dir, 0700) == 0;
    snprintf(path, sizeof path, "%s/sub", dir);
    ok = ok && mkdir(path, 0700) == 0;
    snprintf(path, sizeof path, "%s/dir.bin", dir);
    ok = ok && mkdir(path, 0700) == 0;
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    ok = ok && fuzz_write_file(path, weights, sizeof weights);
    snprintf(path, sizeof path, "%s/empty.bin", dir);
    ok = ok && fuzz_write_file(path, "", 0);
    snprintf(path, sizeof path, "%s/sub/w.bin", dir);
    ok = ok && fuzz_write_file(path, weights, 64);
    snprintf(path, sizeof path, "%s/secret.bin", root);
    ok = ok && fuzz_write_file(path, weights, sizeof weights);
    snprintf(path, sizeof path, "%s/link.bin", dir);
    ok = ok && symlink("../secret.bin", path) == 0;
    FUZZ_CHECK(ok);
    engine_set_warning_handler(ignore_warning);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    engine_model_t *model = NULL;
    error_t err = {0};
    status_t st;

    if (!model_path[0])
        LLVMFuzzerInitialize(NULL, NULL);
    FUZZ_CHECK(fuzz_write_file(model_path, data, size));
    st = engine_model_load(model_path, &model, &err);
    if (st == STATUS_OK) {
        FUZZ_CHECK(model != NULL);
        FUZZ_CHECK(engine_model_output_count(model) > 0);
        for (int i = 0; i < engine_model_input_count(model); i++) {
            const engine_io_t *io = engine_model_input(model, i);
            FUZZ_CHECK(io && io->name && io->rank >= 0 && io->rank <= TENSOR_MAX_RANK);
        }
        for (int i = 0; i < engine_model_output_count(model); i++) {
            const engine_io_t *io = engine_model_output(model, i);
            FUZZ_CHECK(io && io->name && io->rank >= 0 && io->rank <= TENSOR_MAX_RANK);
        }
    } else {
        /* A refused model says which file and what is wrong. */
        FUZZ_CHECK(model == NULL);
        FUZZ_CHECK(err.code == st && strstr(err.message, model_path) != NULL);
    }
    engine_model_free(model);
    return 0;
}
