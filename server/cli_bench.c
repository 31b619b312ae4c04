/*
 * cli_bench.c - `inferd bench`: latency and throughput of one model on
 * generated inputs, printed as one JSON line.
 *
 * Dynamic dims are filled from --shape, else dim 0 from --batch; any other
 * dynamic dim without a --shape is an error, so every figure has a known
 * shape behind it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cli.h"
#include "cpu_isa.h"
#include "engine.h"

#define BENCH_MAX_SHAPE_FLAGS 64
#define BENCH_MAX_ITERATIONS  1000000

typedef struct bench_args {
    const char *model;
    int threads;
    int64_t batch;
    int iterations;
    int warmup;
    const char *shapes[BENCH_MAX_SHAPE_FLAGS];
    int n_shapes;
    bool profile;
    engine_precision_t precision;
} bench_args_t;

static void bench_usage(FILE *out)
{
    fputs("usage: inferd bench --model M [--threads N] [--batch B] [--shape NAME=d0,d1,...]\n"
          "                    [--iterations K] [--warmup W] [--profile] [--precision P]\n"
          "\n"
          "  --model M              ONNX model file\n"
          "  --threads N            threads for kernels (default 1)\n"
          "  --batch B              size of a dynamic first dim (default 1)\n"
          "  --shape NAME=d0,d1,..  full shape of input NAME (repeatable)\n"
          "  --iterations K         timed runs (default 20)\n"
          "  --warmup W             untimed runs first (default 3)\n"
          "  --precision P          fp32 (default) or bf16 (fp32 without AVX512_BF16)\n"
          "  --profile              time each op type per implementation and print the totals to "
          "stderr\n",
          out);
}

int cli_parse_dims(const char *text, int64_t *dims, int max_rank)
{
    int rank = 0;
    const char *p = text;

    if (!*p)
        return 0;
    for (;;) {
        char *end;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || rank == max_rank)
            return -1;
        dims[rank++] = d;
        if (*end == '\0')
            return rank;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

static int parse_bench_args(int argc, char **argv, bench_args_t *a)
{
    memset(a, 0, sizeof *a);
    a->threads = 1;
    a->batch = 1;
    a->iterations = 20;
    a->warmup = 3;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            bench_usage(stdout);
            exit(0);
        }
        if (strcmp(flag, "--profile") == 0) {
            a->profile = true;
            continue;
        }
        if (!value) {
            fprintf(stderr, "inferd bench: %s needs a value\n", flag);
            return -1;
        }
        i++;
        if (strcmp(flag, "--model") == 0)
            a->model = value;
        else if (strcmp(flag, "--threads") == 0)
            a->threads = atoi(value);
        else if (strcmp(flag, "--batch") == 0)
            a->batch = atoll(value);
        else if (strcmp(flag, "--iterations") == 0)
            a->iterations = atoi(value);
        else if (strcmp(flag, "--warmup") == 0)
            a->warmup = atoi(value);
        else if (strcmp(flag, "--precision") == 0) {
            if (!engine_precision_parse(value, &a->precision)) {
                fprintf(stderr, "inferd bench: --precision '%s' is not fp32 or bf16\n", value);
                return -1;
            }
        } else if (strcmp(flag, "--shape") == 0 && a->n_shapes < BENCH_MAX_SHAPE_FLAGS)
            a->shapes[a->n_shapes++] = value;
        else {
            fprintf(stderr, "inferd bench: unknown option '%s'\n", flag);
            return -1;
        }
    }
    if (!a->model || a->threads < 1 || a->batch < 1 || a->iterations < 1 ||
        a->iterations > BENCH_MAX_ITERATIONS || a->warmup < 0) {
        fprintf(stderr,
                "inferd bench: give --model; threads, batch and iterations must be "
                "positive (iterations at most %d)\n",
                BENCH_MAX_ITERATIONS);
        return -1;
    }
    return 0;
}

/* Decides input i's shape from --shape, --batch and the declared dims. */
static status_t input_shape(const bench_args_t *a, const engine_io_t *io, tensor_t *t, error_t *err)
{
    t->dtype = io->dtype;
    t->rank = io->rank;
    memcpy(t->dims, io->dims, sizeof t->dims);
    for (int k = 0; k < a->n_shapes; k++) {
        const char *eq = strchr(a->shapes[k], '=');
        if (eq && (size_t)(eq - a->shapes[k]) == strlen(io->name) &&
            strncmp(a->shapes[k], io->name, strlen(io->name)) == 0) {
            t->rank = cli_parse_dims(eq + 1, t->dims, TENSOR_MAX_RANK);
            if (t->rank < 0)
                return error_set(err, STATUS_INVALID_ARGUMENT, "bad --shape '%s'", a->shapes[k]);
            return STATUS_OK;
        }
    }
    if (t->rank > 0 && t->dims[0] < 0)
        t->dims[0] = a->batch;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] < 0)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "input '%s' has a dynamic dim %d: give --shape %s=d0,d1,...", io->name,
                             d, io->name);
    return STATUS_OK;
}

/* Deterministic inputs: floats in [0, 1), integers and bools zero (valid indices). */
static void fill_input(tensor_t *t, unsigned *seed)
{
    int64_t n = tensor_numel(t);

    if (t->dtype != DTYPE_FLOAT)
        return;
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        ((float *)t->data)[i] = (float)((*seed >> 8) & 0xffff) / 65536.0f;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Peak resident set size of this process so far, in bytes, from VmHWM.
 * getrusage's ru_maxrss is not used: Linux carries it across execve, so it
 * would report the parent's peak when that was larger.
 */
static long long peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long kib = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld kB", &kib) == 1)
            break;
    fclose(f);
    return kib < 0 ? -1 : kib * 1024;
}

static int compare_op_time(const void *a, const void *b)
{
    double x = ((const engine_op_time_t *)a)->ms, y = ((const engine_op_time_t *)b)->ms;
    return x > y ? -1 : x < y;
}

/* Prints the per-op-type time of the timed runs, largest first, as ms per run. */
static void print_profile(engine_context_t *ctx, int iterations)
{
    const engine_op_time_t *times;
    engine_op_time_t sorted[ENGINE_PROFILE_MAX_OPS];
    int n = engine_context_op_times(ctx, &times);
    double total = 0;

    memcpy(sorted, times, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_op_time);
    for (int k = 0; k < n; k++)
        total += sorted[k].ms;
    fprintf(stderr, "%-24s %-34s %10s %7s %8s\n", "op", "implementation", "ms/run", "share",
            "calls");
    for (int k = 0; k < n; k++)
        fprintf(stderr, "%-24s %-34s %10.3f %6.1f%% %8lld%s\n", sorted[k].op_type, sorted[k].impl,
                sorted[k].ms / iterations, 100.0 * sorted[k].ms / total,
                (long long)(sorted[k].calls / iterations),
                sorted[k].reference  ? "  REFERENCE CODE"
                : sorted[k].fallback ? "  FALLBACK"
                                     : "");
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int cli_bench(int argc, char **argv)
{
    bench_args_t args;
    engine_model_t *model = NULL;
    engine_context_t *ctx = NULL;
    tensor_t *inputs = NULL;
    const tensor_t *outputs;
    double *times = NULL, total = 0;
    arena_t arena;
    error_t err = {0};
    status_t st;
    unsigned seed = 42;
    int n_inputs, rc = 1;

    arena_init(&arena);
    if (parse_bench_args(argc, argv, &args) != 0) {
        bench_usage(stderr);
        return 2;
    }
    {
        const engine_model_options_t options = {.precision = args.precision};
        st = engine_model_load_with(args.model, &options, &model, &err);
    }
    if (st)
        goto cleanup;
    n_inputs = engine_model_input_count(model);
    inputs = calloc((size_t)n_inputs + 1, sizeof *inputs);
    times = calloc((size_t)args.iterations, sizeof *times);
    if (!inputs || !times) {
        st = error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n_inputs && !st; i++) {
        int64_t numel;
        st = input_shape(&args, engine_model_input(model, i), &inputs[i], &err);
        if (st)
            break;
        if (!shape_valid(inputs[i].rank, inputs[i].dims, &numel)) {
            st = error_set(&err, STATUS_INVALID_ARGUMENT, "input %d's shape is too large", i);
            break;
        }
        inputs[i].data = arena_alloc(&arena, tensor_bytes(&inputs[i]) + 1);
        if (!inputs[i].data)
            st = error_set(&err, STATUS_OUT_OF_MEMORY, "out of memory");
        else
            fill_input(&inputs[i], &seed);
    }
    if (!st)
        st = engine_context_create(model, args.threads, &ctx, &err);
    for (int i = 0; i < args.warmup && !st; i++)
        st = engine_context_run(ctx, inputs, n_inputs, &outputs, &err);
    if (!st && args.profile)
        engine_context_profile(ctx, true);
    for (int i = 0; i < args.iterations && !st; i++) {
        double t0 = now_ms();
        st = engine_context_run(ctx, inputs, n_inputs, &outputs, &err);
        times[i] = now_ms() - t0;
        total += times[i];
    }
    if (st)
        goto cleanup;
    if (args.profile)
        print_profile(ctx, args.iterations);
    qsort(times, (size_t)args.iterations, sizeof *times, compare_double);
    printf("{\"model\":\"%s\",\"threads\":%d,\"batch\":%lld,\"iterations\":%d,"
           "\"latency_ms\":{\"min\":%.3f,\"median\":%.3f,\"p90\":%.3f,\"max\":%.3f},"
           "\"throughput_per_s\":%.2f,\"arena_bytes\":%zu,\"weight_bytes\":%zu,"
           "\"peak_rss_bytes\":%lld,\"load_ms\":%.1f,\"compile_ms\":%.1f,\"sub_batches\":%d,"
           "\"reference_layers\":%d,\"fallback_layers\":%d,\"isa\":\"%s\",\"precision\":\"%s\","
           "\"precision_requested\":\"%s\",\"bf16_layers\":%d}\n",
           args.model, args.threads, (long long)args.batch, args.iterations, times[0],
           times[args.iterations / 2],
           times[(args.iterations * 9) / 10 < args.iterations ? (args.iterations * 9) / 10
                                                              : args.iterations - 1],
           times[args.iterations - 1], (double)args.batch * args.iterations * 1e3 / total,
           engine_context_arena_bytes(ctx), engine_model_stats(model)->weight_bytes,
           peak_rss_bytes(), engine_model_stats(model)->load_ms,
           engine_model_stats(model)->compile_ms, engine_context_split_parts(ctx),
           engine_model_reference_layers(model), engine_model_fallback_layers(model),
           cpu_isa_name(cpu_isa()), engine_precision_name(engine_model_stats(model)->precision),
           engine_precision_name(engine_model_stats(model)->precision_requested),
           engine_model_stats(model)->bf16_layers);
    rc = 0;
cleanup:
    if (st)
        fprintf(stderr, "inferd bench: %s\n", err.message);
    engine_context_free(ctx);
    engine_model_free(model);
    free(inputs);
    free(times);
    arena_release(&arena);
    return rc;
}
