/*
 * conformance_runner.c - runs the ONNX backend node tests (model.onnx plus
 * test_data_set_N/input_K.pb and output_K.pb) through the engine and
 * compares outputs with ONNX's tolerances (rtol 1e-3, atol 1e-7, NaN equal
 * to NaN).
 *
 * required_ops.txt names the whole default ONNX domain (issue 14), and
 * exceptions.txt the tests allowed not to pass, each with its reason. Every
 * test runs, listed or not, and is classified:
 *   passed   every data set matches, and the test is not listed
 *   skipped  listed in exceptions.txt, and it does not pass
 *   failed   anything else: a wrong or refused result of an unlisted test,
 *            a listed test that passes (the list must stay exact), or a
 *            model using a default-domain op missing from required_ops.txt
 * An exceptions.txt entry naming no test in DIR fails too (without
 * --filter). Prints one line per failure or skip and ends with
 * "N passed, N failed, N skipped"; exits non-zero if any failed.
 *
 * Models with a random op (RANDOM_OPS: Bernoulli, RandomUniform(Like),
 * RandomNormal(Like), Multinomial) cannot match the reference values, which
 * numpy's generator drew; ONNX Runtime skips those tests. Their outputs are
 * checked for dtype and shape, and an output whose reference holds only 0
 * and 1 (Bernoulli, and its expansion through RandomUniformLike) must hold
 * only 0 and 1 too. A Dropout given a training_mode input may draw a mask:
 * besides dtype, shape and 0/1 masks, every element both draws kept must
 * be equal. They count as passed, and --verbose marks them "PASS (random
 * draws: ...)".
 *
 * bfloat16: numpy has none, so onnx 1.12 writes bfloat16 test data as
 * uint16 tensors of the same bits; the runner reads them as bfloat16 where
 * the model has bfloat16. Its reference for Cast to bfloat16 truncates the
 * float, where the spec and ONNX Runtime round to nearest even: bfloat16
 * outputs compare within one bfloat16 step (2^-7 relative), float16 ones
 * with the usual tolerances.
 */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "engine.h"
#include "half.h"
#include "onnx.pb-c.h"
#include "op.h"
#include "tensor_file.h"

#define RUNNER_RTOL     1e-3
#define RUNNER_ATOL     1e-7
#define RUNNER_MAX_LIST 4096
#define RUNNER_MAX_IO   64

/* Ops whose outputs are random draws; see the header. */
static const char *const RANDOM_OPS[] = {"Bernoulli",         "RandomUniform",    "RandomNormal",
                                         "RandomUniformLike", "RandomNormalLike", "Multinomial"};

/* How a model's outputs can be compared with the reference's. */
typedef enum draws {
    DRAWS_NONE, /* deterministic: every element */
    DRAWS_MASK, /* training Dropout: elements both runs kept (non-zero), 0/1 domains */
    DRAWS_FREE, /* random ops: dtype, shape and 0/1 domains only */
} draws_t;

static const char *const DRAWS_NOTE[] = {
    "", " (random draws: kept elements, dtype, shape and 0/1 values)",
    " (random draws: dtype, shape and 0/1 values)"};

typedef struct word_list {
    char *words[RUNNER_MAX_LIST];
    char *notes[RUNNER_MAX_LIST];
    int count;
} word_list_t;

typedef struct runner {
    const char *data_dir;
    const char *filter;
    bool verbose;
    word_list_t required;
    word_list_t exceptions;
    int passed, failed, skipped;
    bool exception_seen[RUNNER_MAX_LIST + 1]; /* the last slot absorbs unlisted tests */
} runner_t;

/* Loads whitespace-separated words; with notes, one "word rest-of-line" per line. */
static int load_list(const char *path, word_list_t *list, bool with_notes)
{
    FILE *f = fopen(path, "r");
    char line[1024];

    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *tok;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#')
            continue;
        for (tok = strtok_r(line, " \t", &save); tok && list->count < RUNNER_MAX_LIST;
             tok = strtok_r(NULL, " \t", &save)) {
            list->words[list->count] = strdup(tok);
            list->notes[list->count] = strdup(with_notes && save ? save : "");
            list->count++;
            if (with_notes)
                break;
        }
    }
    fclose(f);
    return 0;
}

static const char *list_find(const word_list_t *list, const char *word)
{
    for (int i = 0; i < list->count; i++)
        if (strcmp(list->words[i], word) == 0)
            return list->notes[i];
    return NULL;
}

static int list_index(const word_list_t *list, const char *word)
{
    for (int i = 0; i < list->count; i++)
        if (strcmp(list->words[i], word) == 0)
            return i;
    return list->count;
}

static void list_free(word_list_t *list)
{
    for (int i = 0; i < list->count; i++) {
        free(list->words[i]);
        free(list->notes[i]);
    }
}

static bool is_random_op(const char *op_type)
{
    for (size_t i = 0; i < sizeof RANDOM_OPS / sizeof RANDOM_OPS[0]; i++)
        if (strcmp(op_type, RANDOM_OPS[i]) == 0)
            return true;
    return false;
}

/*
 * Walks a graph and its subgraphs: the first default-domain op missing from
 * required_ops.txt goes to missing (left as is if none), and *draws rises to
 * what the ops draw at random.
 */
static void scan_graph(const runner_t *r, const Onnx__GraphProto *g, char *missing, size_t size,
                       draws_t *draws)
{
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        bool default_domain =
            !n->domain || n->domain[0] == '\0' || strcmp(n->domain, "ai.onnx") == 0;

        if (default_domain && !missing[0] && !list_find(&r->required, n->op_type))
            snprintf(missing, size, "%s", n->op_type);
        if (is_random_op(n->op_type))
            *draws = DRAWS_FREE;
        else if (strcmp(n->op_type, "Dropout") == 0 && n->n_input > 2 && n->input[2][0] &&
                 *draws == DRAWS_NONE)
            *draws = DRAWS_MASK;
        for (size_t k = 0; k < n->n_attribute; k++) {
            const Onnx__AttributeProto *at = n->attribute[k];
            if (at->g)
                scan_graph(r, at->g, missing, size, draws);
            for (size_t j = 0; j < at->n_graphs; j++)
                scan_graph(r, at->graphs[j], missing, size, draws);
        }
    }
}

/*
 * Reads the model's ops: see scan_graph. Returns false if the model cannot
 * be read (the engine then reports why).
 */
static bool scan_model(const runner_t *r, const char *model_path, char *missing, size_t size,
                       draws_t *draws)
{
    FILE *f = fopen(model_path, "rb");
    struct stat st;
    uint8_t *bytes = NULL;
    Onnx__ModelProto *m = NULL;
    bool ok = false;

    missing[0] = '\0';
    *draws = DRAWS_NONE;
    if (!f)
        return false;
    if (fstat(fileno(f), &st) == 0 && (bytes = malloc((size_t)st.st_size + 1)) &&
        fread(bytes, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
        m = onnx__model_proto__unpack(NULL, (size_t)st.st_size, bytes);
    if (m && m->graph) {
        scan_graph(r, m->graph, missing, size, draws);
        ok = true;
    }
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    free(bytes);
    fclose(f);
    return ok;
}

static bool close_enough(double out, double ref)
{
    if (isnan(out) || isnan(ref))
        return isnan(out) && isnan(ref);
    if (isinf(out) || isinf(ref))
        return out == ref;
    return fabs(out - ref) <= RUNNER_ATOL + RUNNER_RTOL * fabs(ref);
}

/* Within one bfloat16 step of ref (its 8 significant bits), NaN equal to NaN. */
static bool close_enough_bf16(double out, double ref)
{
    if (isnan(out) || isnan(ref))
        return isnan(out) && isnan(ref);
    if (isinf(out) || isinf(ref))
        return out == ref;
    return fabs(out - ref) <= RUNNER_ATOL + 0x1p-7 * fabs(ref);
}

static double element(const tensor_t *t, int64_t i)
{
    switch (t->dtype) {
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
        return half_get(t->dtype, ((const uint16_t *)t->data)[i]);
    case DTYPE_FLOAT:
        return ((const float *)t->data)[i];
    case DTYPE_DOUBLE:
        return ((const double *)t->data)[i];
    case DTYPE_INT64:
        return (double)((const int64_t *)t->data)[i];
    case DTYPE_INT32:
        return ((const int32_t *)t->data)[i];
    case DTYPE_UINT64:
        return (double)((const uint64_t *)t->data)[i];
    case DTYPE_UINT32:
        return ((const uint32_t *)t->data)[i];
    case DTYPE_INT16:
        return ((const int16_t *)t->data)[i];
    case DTYPE_UINT16:
        return ((const uint16_t *)t->data)[i];
    case DTYPE_INT8:
        return ((const int8_t *)t->data)[i];
    default:
        return ((const uint8_t *)t->data)[i];
    }
}

/* True if every element of t is 0 or 1. */
static bool only_zeros_and_ones(const tensor_t *t)
{
    const int64_t n = tensor_numel(t);

    for (int64_t i = 0; i < n; i++)
        if (element(t, i) != 0.0 && element(t, i) != 1.0)
            return false;
    return true;
}

/*
 * Compares one output with its reference; describes the first difference in
 * why. With draws, see draws_t.
 */
static bool outputs_match(const tensor_t *out, const tensor_t *ref, draws_t draws, char *why,
                          size_t size)
{
    char a[160], b[160];
    int64_t n = tensor_numel(ref);
    bool exact = ref->dtype != DTYPE_FLOAT && ref->dtype != DTYPE_DOUBLE &&
                 !(out->dtype == DTYPE_FLOAT16 || out->dtype == DTYPE_BFLOAT16);

    /* onnx 1.12's bfloat16 data is uint16 (see the top of the file). */
    if (out->dtype == DTYPE_BFLOAT16 && ref->dtype == DTYPE_UINT16)
        ((tensor_t *)ref)->dtype = DTYPE_BFLOAT16;
    if (out->dtype != ref->dtype) {
        snprintf(why, size, "dtype %s, expected %s", dtype_name(out->dtype),
                 dtype_name(ref->dtype));
        return false;
    }
    if (!shape_equal(out->rank, out->dims, ref->rank, ref->dims)) {
        snprintf(why, size, "shape %s, expected %s",
                 shape_format(out->rank, out->dims, a, sizeof a),
                 shape_format(ref->rank, ref->dims, b, sizeof b));
        return false;
    }
    if (draws != DRAWS_NONE && only_zeros_and_ones(ref)) {
        if (!only_zeros_and_ones(out)) {
            snprintf(why, size, "a random 0/1 output holds other values");
            return false;
        }
        return true;
    }
    if (draws == DRAWS_FREE)
        return true;
    for (int64_t i = 0; i < n; i++) {
        double x = element(out, i), y = element(ref, i);
        bool ok = exact                          ? x == y
                  : out->dtype == DTYPE_BFLOAT16 ? close_enough_bf16(x, y)
                                                 : close_enough(x, y);
        if (draws == DRAWS_MASK && (x == 0.0 || y == 0.0))
            continue;
        if (!ok) {
            snprintf(why, size, "element %lld is %.9g, expected %.9g", (long long)i, x, y);
            return false;
        }
    }
    return true;
}

static int count_files(const char *dir, const char *prefix)
{
    char path[PATH_MAX];
    struct stat st;
    int n = 0;

    for (;;) {
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, prefix, n);
        if (stat(path, &st) != 0)
            return n;
        n++;
    }
}

/* Runs one data set; returns STATUS_OK and sets *match, or the engine's status. */
static status_t run_data_set(engine_context_t *ctx, const engine_model_t *model, const char *dir,
                             draws_t draws, bool *match, char *why, size_t size, error_t *err)
{
    tensor_t inputs[RUNNER_MAX_IO];
    const tensor_t *outputs;
    arena_t arena;
    char path[PATH_MAX];
    const char *name;
    int n_in = count_files(dir, "input"), n_out = count_files(dir, "output");
    status_t st = STATUS_OK;

    arena_init(&arena);
    *match = false;
    if (n_in > RUNNER_MAX_IO || n_out != engine_model_output_count(model)) {
        snprintf(why, size, "%d reference outputs, model has %d", n_out,
                 engine_model_output_count(model));
        goto cleanup;
    }
    for (int i = 0; i < n_in && !st; i++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", dir, i);
        st = tensor_file_read(path, &arena, &inputs[i], &name, err);
        if (!st && inputs[i].dtype == DTYPE_UINT16 && i < engine_model_input_count(model) &&
            engine_model_input(model, i)->dtype == DTYPE_BFLOAT16)
            inputs[i].dtype = DTYPE_BFLOAT16;
    }
    if (!st)
        st = engine_context_run(ctx, inputs, n_in, &outputs, err);
    if (st)
        goto cleanup;
    *match = true;
    for (int k = 0; k < n_out && *match; k++) {
        tensor_t ref;
        snprintf(path, sizeof path, "%s/output_%d.pb", dir, k);
        st = tensor_file_read(path, &arena, &ref, &name, err);
        if (st)
            break;
        if (!outputs_match(&outputs[k], &ref, draws, why, size)) {
            char detail[256];
            snprintf(detail, sizeof detail, "%s", why);
            snprintf(why, size, "%s output %d: %s", strrchr(dir, '/') + 1, k, detail);
            *match = false;
        }
    }
cleanup:
    arena_release(&arena);
    return st;
}

static void run_test(runner_t *r, const char *name)
{
    char test_dir[PATH_MAX], model_path[PATH_MAX], set_dir[PATH_MAX], why[512] = "";
    char missing[128];
    engine_model_t *model = NULL;
    engine_context_t *ctx = NULL;
    error_t err = {0};
    const char *exception = list_find(&r->exceptions, name);
    status_t st;
    bool match = true;
    draws_t draws;
    struct stat sb;

    snprintf(test_dir, sizeof test_dir, "%s/%s", r->data_dir, name);
    snprintf(model_path, sizeof model_path, "%s/model.onnx", test_dir);
    (void)scan_model(r, model_path, missing, sizeof missing, &draws);
    st = engine_model_load(model_path, &model, &err);
    if (!st)
        st = engine_context_create(model, 1, &ctx, &err);
    for (int set = 0; !st && match; set++) {
        snprintf(set_dir, sizeof set_dir, "%s/test_data_set_%d", test_dir, set);
        if (stat(set_dir, &sb) != 0)
            break;
        st = run_data_set(ctx, model, set_dir, draws, &match, why, sizeof why, &err);
    }
    if (st)
        snprintf(why, sizeof why, "[%s] %s", status_name(st), err.message);
    if (!st && match && exception) {
        printf("FAIL %s: passes, but exceptions.txt lists it (%s): remove the entry\n", name,
               exception + strspn(exception, " "));
        r->failed++;
    } else if (exception) {
        printf("SKIP %s: listed exception: %s (%s)\n", name, exception + strspn(exception, " "),
               why);
        r->skipped++;
    } else if (missing[0]) {
        printf("FAIL %s: op %s is not in required_ops.txt, which must name the whole default "
               "domain\n",
               name, missing);
        r->failed++;
    } else if (st || !match) {
        printf("FAIL %s: %s\n", name, why);
        r->failed++;
    } else {
        if (r->verbose)
            printf("PASS %s%s\n", name, DRAWS_NOTE[draws]);
        r->passed++;
    }
    r->exception_seen[exception ? list_index(&r->exceptions, name) : RUNNER_MAX_LIST] = true;
    engine_context_free(ctx);
    engine_model_free(model);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool selected(const runner_t *r, const char *name)
{
    char filters[1024], *save = NULL;

    if (!r->filter)
        return true;
    snprintf(filters, sizeof filters, "%s", r->filter);
    for (char *f = strtok_r(filters, ",", &save); f; f = strtok_r(NULL, ",", &save))
        if (strncmp(name, f, strlen(f)) == 0)
            return true;
    return false;
}

/*
 * --list-ops: one line per schema entry, "op_type since until mask0 mask1
 * ...", the masks (DTYPE_BIT sets, hex) of each formal input in the info
 * table; test_dtypes.py reads it to know what inferd claims per dtype.
 */
static void list_schema(const op_schema_t *s, void *ctx)
{
    const op_info_t *info = s->kernel->info;
    int n = info->max_inputs < 0 ? OP_MAX_FORMAL_INPUTS : info->max_inputs;

    (void)ctx;
    printf("%s %d %d", s->op_type, s->since_version, s->until_version);
    for (int i = 0; i < n && i < OP_MAX_FORMAL_INPUTS; i++)
        printf(" %#x", info->input_dtypes[i]);
    putchar('\n');
}

/*
 * --run-cases FILE: FILE lists one case folder per line, each holding
 * model.onnx and input_<i>.pb in graph-input order. Every case runs through
 * its own model and context, in this one process (test_dtypes.py runs
 * thousands of one-node models; a process each would cost more than the
 * models). Writes inferd_output_<k>.pb, or inferd_error.txt with the status
 * and message, into the case's folder. Returns 0 unless FILE is unreadable.
 */
static void run_case_dir(const char *dir)
{
    char path[PATH_MAX];
    engine_model_t *model = NULL;
    engine_context_t *ctx = NULL;
    tensor_t inputs[RUNNER_MAX_IO];
    const tensor_t *outputs;
    const char *name;
    arena_t arena;
    error_t err = {0};
    int n_in = count_files(dir, "input");
    status_t st = STATUS_OK;
    FILE *f;

    arena_init(&arena);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (n_in > RUNNER_MAX_IO) {
        st = error_set(&err, STATUS_INVALID_ARGUMENT, "more than %d inputs", RUNNER_MAX_IO);
        goto cleanup;
    }
    st = engine_model_load(path, &model, &err);
    if (!st)
        st = engine_context_create(model, 1, &ctx, &err);
    for (int i = 0; i < n_in && !st; i++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", dir, i);
        st = tensor_file_read(path, &arena, &inputs[i], &name, &err);
    }
    if (!st)
        st = engine_context_run(ctx, inputs, n_in, &outputs, &err);
    for (int k = 0; !st && k < engine_model_output_count(model); k++) {
        snprintf(path, sizeof path, "%s/inferd_output_%d.pb", dir, k);
        st = tensor_file_write(path, "", &outputs[k], &err);
    }
cleanup:
    if (st) {
        snprintf(path, sizeof path, "%s/inferd_error.txt", dir);
        f = fopen(path, "w");
        if (f) {
            fprintf(f, "[%s] %s\n", status_name(st), err.message);
            fclose(f);
        }
    }
    engine_context_free(ctx);
    engine_model_free(model);
    arena_release(&arena);
}

static int run_cases(const char *list_path)
{
    FILE *f = fopen(list_path, "r");
    char line[PATH_MAX];

    if (!f) {
        fprintf(stderr, "cannot open %s\n", list_path);
        return 2;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            run_case_dir(line);
    }
    fclose(f);
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: inferd_conformance --data DIR --required FILE --exceptions FILE\n"
          "                          [--filter PREFIX[,PREFIX...]] [--verbose]\n"
          "       inferd_conformance --list-ops\n"
          "       inferd_conformance --run-cases FILE\n"
          "  --data DIR         folder of ONNX node tests (test_*/model.onnx ...)\n"
          "  --required FILE    ops that must pass (tests/conformance/required_ops.txt)\n"
          "  --exceptions FILE  tests allowed not to pass, with reasons\n"
          "  --filter P,...     only tests whose names start with one of these prefixes\n"
          "  --verbose          also print passing tests\n"
          "  --list-ops         print every schema entry (op since until input dtype masks)\n"
          "  --run-cases FILE   run the case folders FILE lists, writing inferd_output_<k>.pb\n",
          out);
}

int main(int argc, char **argv)
{
    runner_t r = {0};
    const char *required = NULL, *exceptions = NULL;
    char **names = NULL;
    int n_names = 0;
    DIR *dir;
    struct dirent *e;

    if (argc == 2 && strcmp(argv[1], "--list-ops") == 0) {
        op_registry_visit(list_schema, NULL);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--run-cases") == 0)
        return run_cases(argv[2]);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0)
            r.verbose = true;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            r.data_dir = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            r.filter = argv[++i];
        else if (strcmp(argv[i], "--required") == 0 && i + 1 < argc)
            required = argv[++i];
        else if (strcmp(argv[i], "--exceptions") == 0 && i + 1 < argc)
            exceptions = argv[++i];
        else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (!r.data_dir || !required || !exceptions) {
        usage(stderr);
        return 2;
    }
    if (load_list(required, &r.required, false) || load_list(exceptions, &r.exceptions, true))
        return 2;
    dir = opendir(r.data_dir);
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", r.data_dir);
        return 2;
    }
    names = calloc(RUNNER_MAX_LIST, sizeof *names);
    while (names && (e = readdir(dir)) && n_names < RUNNER_MAX_LIST)
        if (strncmp(e->d_name, "test_", 5) == 0 && selected(&r, e->d_name))
            names[n_names++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, (size_t)n_names, sizeof *names, by_name);
    for (int i = 0; i < n_names; i++) {
        run_test(&r, names[i]);
        free(names[i]);
    }
    free(names);
    for (int i = 0; !r.filter && i < r.exceptions.count; i++)
        if (!r.exception_seen[i]) {
            printf("FAIL %s: listed in exceptions.txt, but no such test exists\n",
                   r.exceptions.words[i]);
            r.failed++;
        }
    list_free(&r.required);
    list_free(&r.exceptions);
    printf("%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped);
    return r.failed ? 1 : 0;
}
