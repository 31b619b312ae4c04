/*
 * cli_run.c - `inferd run`: one inference on TensorProto files.
 *
 * Inputs come either from a folder (input_0.pb, input_1.pb, ... in the
 * model's input order, as in ONNX test data) or from NAME=FILE pairs.
 * Outputs are written as output_<i>.pb in the model's output order.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "tensor_file.h"

/* Most --input flags accepted; a model with more inputs uses --input-dir. */
#define RUN_MAX_INPUT_FLAGS 64

typedef struct run_args {
    const char *model;
    const char *input_dir;
    const char *output_dir;
    const char *input_flags[RUN_MAX_INPUT_FLAGS];
    int n_input_flags;
    int threads;
} run_args_t;

static void run_usage(FILE *out)
{
    fputs("usage: inferd run --model M (--input-dir D | --input NAME=FILE.pb ...)\n"
          "                  [--output-dir O] [--threads N]\n"
          "\n"
          "  --model M          ONNX model file\n"
          "  --input-dir D      read D/input_<i>.pb for each model input, in input order\n"
          "  --input NAME=FILE  read input NAME from a TensorProto file (repeatable)\n"
          "  --output-dir O     write O/output_<i>.pb for each model output (default: .)\n"
          "  --threads N        threads for kernels (default 1)\n",
          out);
}

static int parse_run_args(int argc, char **argv, run_args_t *a)
{
    memset(a, 0, sizeof *a);
    a->output_dir = ".";
    a->threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            run_usage(stdout);
            exit(0);
        }
        if (!value) {
            fprintf(stderr, "inferd run: %s needs a value\n", flag);
            return -1;
        }
        i++;
        if (strcmp(flag, "--model") == 0) {
            a->model = value;
        } else if (strcmp(flag, "--input-dir") == 0) {
            a->input_dir = value;
        } else if (strcmp(flag, "--output-dir") == 0) {
            a->output_dir = value;
        } else if (strcmp(flag, "--threads") == 0) {
            a->threads = atoi(value);
            if (a->threads < 1) {
                fprintf(stderr, "inferd run: --threads must be at least 1\n");
                return -1;
            }
        } else if (strcmp(flag, "--input") == 0) {
            if (a->n_input_flags == RUN_MAX_INPUT_FLAGS) {
                fprintf(stderr, "inferd run: more than %d --input flags; use --input-dir\n",
                        RUN_MAX_INPUT_FLAGS);
                return -1;
            }
            a->input_flags[a->n_input_flags++] = value;
        } else {
            fprintf(stderr, "inferd run: unknown option '%s'\n", flag);
            return -1;
        }
    }
    if (!a->model || (!a->input_dir && a->n_input_flags == 0) ||
        (a->input_dir && a->n_input_flags)) {
        fprintf(stderr, "inferd run: give --model and either --input-dir or --input\n");
        return -1;
    }
    return 0;
}

/* Reads every model input into inputs[], from the folder or the NAME=FILE flags. */
static status_t read_inputs(const run_args_t *a, const engine_model_t *model, arena_t *arena,
                            tensor_t *inputs, error_t *err)
{
    int n = engine_model_input_count(model);
    char path[PATH_MAX];
    const char *name;

    for (int i = 0; i < n; i++) {
        const engine_io_t *io = engine_model_input(model, i);
        const char *file = NULL;
        status_t st;
        if (a->input_dir) {
            snprintf(path, sizeof path, "%s/input_%d.pb", a->input_dir, i);
            file = path;
        }
        for (int k = 0; k < a->n_input_flags; k++) {
            const char *eq = strchr(a->input_flags[k], '=');
            if (eq && (size_t)(eq - a->input_flags[k]) == strlen(io->name) &&
                strncmp(a->input_flags[k], io->name, strlen(io->name)) == 0)
                file = eq + 1;
        }
        if (!file)
            return error_set(err, STATUS_INVALID_ARGUMENT, "no --input given for input '%s'",
                             io->name);
        st = tensor_file_read(file, arena, &inputs[i], &name, err);
        if (st)
            return st;
    }
    for (int k = 0; k < a->n_input_flags; k++) {
        const char *eq = strchr(a->input_flags[k], '=');
        bool known = false;
        for (int i = 0; eq && i < n; i++) {
            const char *model_name = engine_model_input(model, i)->name;
            known |= (size_t)(eq - a->input_flags[k]) == strlen(model_name) &&
                     strncmp(a->input_flags[k], model_name, strlen(model_name)) == 0;
        }
        if (!known)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "--input '%s' does not name a model input (expected NAME=FILE)",
                             a->input_flags[k]);
    }
    return STATUS_OK;
}

int cli_run(int argc, char **argv)
{
    run_args_t args;
    engine_model_t *model = NULL;
    engine_context_t *ctx = NULL;
    tensor_t *inputs = NULL;
    const tensor_t *outputs;
    arena_t arena;
    error_t err = {0};
    status_t st;
    int rc = 1;

    arena_init(&arena);
    if (parse_run_args(argc, argv, &args) != 0) {
        run_usage(stderr);
        return 2;
    }
    st = engine_model_load(args.model, &model, &err);
    if (!st) {
        inputs = calloc((size_t)engine_model_input_count(model) + 1, sizeof *inputs);
        st = inputs ? read_inputs(&args, model, &arena, inputs, &err)
                    : error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    if (!st)
        st = engine_context_create(model, args.threads, &ctx, &err);
    if (!st)
        st = engine_context_run(ctx, inputs, engine_model_input_count(model), &outputs, &err);
    for (int k = 0; !st && k < engine_model_output_count(model); k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/output_%d.pb", args.output_dir, k);
        st = tensor_file_write(path, engine_model_output(model, k)->name, &outputs[k], &err);
    }
    if (st)
        fprintf(stderr, "inferd run: %s\n", err.message);
    else
        rc = 0;
    engine_context_free(ctx);
    engine_model_free(model);
    free(inputs);
    arena_release(&arena);
    return rc;
}
