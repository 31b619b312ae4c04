/*
 * cli_run.c - `inferd run`: one inference on TensorProto files.
 *
 * Inputs come either from folders (input_0.pb, input_1.pb, ... in the
 * model's input order, as in ONNX test data) or from NAME=FILE pairs.
 * Outputs are written as output_<i>.pb in the model's output order. Several
 * --input-dir folders run one after another through one compiled model
 * (re-planned per shape); each one's outputs go to O/<folder name>/.
 *
 * The model runs on the backend its file names (backend.h): an .om file on
 * an Ascend NPU (--device, --ascend-library), anything else on the CPU
 * engine.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "cli.h"
#include "tensor_file.h"

/* Most --input flags accepted; a model with more inputs uses --input-dir. */
#define RUN_MAX_INPUT_FLAGS 64
/* Most --input-dir folders one run takes. */
#define RUN_MAX_INPUT_DIRS 64

typedef struct run_args {
    const char *model;
    const char *input_dirs[RUN_MAX_INPUT_DIRS];
    int n_input_dirs;
    const char *output_dir;
    const char *input_flags[RUN_MAX_INPUT_FLAGS];
    int n_input_flags;
    int threads;
    int device;
    const char *ascend_library;
    engine_precision_t precision;
} run_args_t;

static void run_usage(FILE *out)
{
    fputs("usage: inferd run --model M (--input-dir D ... | --input NAME=FILE.pb ...)\n"
          "                  [--output-dir O] [--threads N] [--precision fp32|bf16]\n"
          "                  [--device N] [--ascend-library PATH]\n"
          "\n"
          "  --model M          ONNX model file, or an ATC-compiled .om model (Ascend NPU)\n"
          "  --input-dir D      read D/input_<i>.pb for each model input, in input order;\n"
          "                     repeatable: outputs of each D then go to O/<name of D>/\n"
          "  --input NAME=FILE  read input NAME from a TensorProto file (repeatable)\n"
          "  --output-dir O     write O/output_<i>.pb for each model output (default: .)\n"
          "  --threads N        threads for kernels (default 1)\n"
          "  --precision P      fp32 (default) or bf16: convolutions and matrix products\n"
          "                     in bf16 with fp32 accumulation (fp32 without AVX512_BF16)\n"
          "  --device N         NPU an .om model runs on (default 0)\n"
          "  --ascend-library P libascendcl.so for .om models (default: $ASCEND_HOME_PATH,\n"
          "                     $ASCEND_TOOLKIT_HOME, then the loader path)\n",
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
            if (a->n_input_dirs == RUN_MAX_INPUT_DIRS) {
                fprintf(stderr, "inferd run: more than %d --input-dir flags\n", RUN_MAX_INPUT_DIRS);
                return -1;
            }
            a->input_dirs[a->n_input_dirs++] = value;
        } else if (strcmp(flag, "--output-dir") == 0) {
            a->output_dir = value;
        } else if (strcmp(flag, "--threads") == 0) {
            a->threads = atoi(value);
            if (a->threads < 1) {
                fprintf(stderr, "inferd run: --threads must be at least 1\n");
                return -1;
            }
        } else if (strcmp(flag, "--device") == 0) {
            a->device = atoi(value);
            if (a->device < 0 || a->device >= BACKEND_MAX_DEVICES) {
                fprintf(stderr, "inferd run: --device must be 0..%d\n", BACKEND_MAX_DEVICES - 1);
                return -1;
            }
        } else if (strcmp(flag, "--ascend-library") == 0) {
            a->ascend_library = value;
        } else if (strcmp(flag, "--precision") == 0) {
            if (!engine_precision_parse(value, &a->precision)) {
                fprintf(stderr, "inferd run: --precision '%s' is not fp32 or bf16\n", value);
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
    if (!a->model || (a->n_input_dirs == 0) == (a->n_input_flags == 0)) {
        fprintf(stderr, "inferd run: give --model and either --input-dir or --input\n");
        return -1;
    }
    return 0;
}

/* Reads every model input into inputs[], from input_dir or the NAME=FILE flags. */
static status_t read_inputs(const run_args_t *a, const char *input_dir,
                            const backend_model_t *model, arena_t *arena, tensor_t *inputs,
                            error_t *err)
{
    int n = backend_model_input_count(model);
    char path[PATH_MAX];
    const char *name;

    for (int i = 0; i < n; i++) {
        const engine_io_t *io = backend_model_input(model, i);
        const char *file = NULL;
        status_t st;
        if (input_dir) {
            snprintf(path, sizeof path, "%s/input_%d.pb", input_dir, i);
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
            const char *model_name = backend_model_input(model, i)->name;
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

/* Where the outputs of input set k go: O, or O/<name of the k-th folder> when there are several. */
static status_t output_folder(const run_args_t *a, int k, char *out, size_t size, error_t *err)
{
    char copy[PATH_MAX];

    snprintf(out, size, "%s", a->output_dir);
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return error_set(err, STATUS_IO, "cannot create '%s': %s", out, strerror(errno));
    if (a->n_input_dirs <= 1)
        return STATUS_OK;
    snprintf(copy, sizeof copy, "%s", a->input_dirs[k]);
    snprintf(out, size, "%s/%s", a->output_dir, basename(copy));
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return error_set(err, STATUS_IO, "cannot create '%s': %s", out, strerror(errno));
    return STATUS_OK;
}

/* Runs one input set through ctx and writes its outputs. */
static status_t run_set(const run_args_t *a, int k, const backend_model_t *model,
                        backend_context_t *ctx, tensor_t *inputs, error_t *err)
{
    const char *input_dir = a->n_input_dirs ? a->input_dirs[k] : NULL;
    const tensor_t *outputs;
    char folder[PATH_MAX], path[PATH_MAX];
    arena_t arena;
    status_t st;

    arena_init(&arena);
    st = read_inputs(a, input_dir, model, &arena, inputs, err);
    if (!st)
        st = backend_context_run(ctx, inputs, backend_model_input_count(model), &outputs, err);
    if (!st)
        st = output_folder(a, k, folder, sizeof folder, err);
    for (int i = 0; !st && i < backend_model_output_count(model); i++) {
        snprintf(path, sizeof path, "%s/output_%d.pb", folder, i);
        st = tensor_file_write(path, backend_model_output(model, i)->name, &outputs[i], err);
    }
    if (st && input_dir)
        error_prefix(err, "%s", input_dir);
    arena_release(&arena);
    return st;
}

int cli_run(int argc, char **argv)
{
    run_args_t args;
    backend_model_t *model = NULL;
    backend_context_t *ctx = NULL;
    const backend_ops_t *ops;
    tensor_t *inputs = NULL;
    error_t err = {0};
    status_t st;
    int n_sets;

    if (parse_run_args(argc, argv, &args) != 0) {
        run_usage(stderr);
        return 2;
    }
    n_sets = args.n_input_dirs ? args.n_input_dirs : 1;
    const engine_model_options_t options = {.precision = args.precision};
    const backend_instance_t instance = {.threads = args.threads, .device = args.device};
    backend_configure(&(backend_settings_t){.ascend_library = args.ascend_library});
    /* Any file name but a known suffix's is read as ONNX, as before backends. */
    ops = backend_for_path(args.model);
    st = backend_model_load(ops ? ops : &backend_cpu_ops, args.model, &options, &model, &err);
    if (!st) {
        inputs = calloc((size_t)backend_model_input_count(model) + 1, sizeof *inputs);
        st = inputs ? backend_context_create(model, &instance, &ctx, &err)
                    : error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    for (int k = 0; !st && k < n_sets; k++)
        st = run_set(&args, k, model, ctx, inputs, &err);
    if (st)
        fprintf(stderr, "inferd run: %s\n", err.message);
    backend_context_free(ctx);
    backend_model_free(model);
    /* After the model: a device runtime finalizes last. */
    backend_shutdown();
    free(inputs);
    return st ? 1 : 0;
}
