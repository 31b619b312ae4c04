/*
 * ONNX import and compile: models are built here with protobuf-c, written
 * to a temporary folder and loaded through the public engine API.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "model_builder.h"

static status_t load(const char *path, engine_model_t **m, error_t *err)
{
    memset(err, 0, sizeof *err);
    return engine_model_load(path, m, err);
}

/* Runs m on x = [n,3] filled with 0,1,2,... and returns output element i. */
static float run_element(engine_model_t *m, int64_t n, int64_t i)
{
    float x[64];
    tensor_t in = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {n, 3}, .data = x};
    engine_context_t *ctx = NULL;
    const tensor_t *out;
    error_t err;
    float value = -1e30f;

    for (int k = 0; k < n * 3; k++)
        x[k] = (float)k;
    if (engine_context_create(m, 1, &ctx, &err) == STATUS_OK &&
        engine_context_run(ctx, &in, 1, &out, &err) == STATUS_OK && out[0].dims[0] == n)
        value = ((const float *)out[0].data)[i];
    engine_context_free(ctx);
    return value;
}

static void test_add_initializer_and_dynamic_batch(void)
{
    const float w[3] = {10, 20, 30};
    model_spec_t spec = {.opset = 13, .output = "y"};
    engine_model_t *m = NULL;
    error_t err;

    spec.nodes[spec.n_nodes++] = node("Add", "add", "x", "w", "y");
    spec.inits[spec.n_inits++] = float_tensor("w", 3, w, false);
    CHECK(load(write_model(&spec, "add.onnx"), &m, &err) == STATUS_OK);
    if (!m)
        return;
    CHECK(engine_model_input_count(m) == 1);
    CHECK(engine_model_input(m, 0)->dims[0] == -1);
    CHECK(engine_model_input(m, 0)->dims[1] == 3);
    /* Two batch sizes through one model: re-planned per shape. */
    CHECK_NEAR(run_element(m, 2, 5), 5 + 30, 0);
    CHECK_NEAR(run_element(m, 4, 10), 10 + 20, 0);
    engine_model_free(m);
}

static void test_constant_node_and_raw_data(void)
{
    const float w[3] = {2, 3, 4};
    model_spec_t spec = {.opset = 13, .output = "y"};
    Onnx__NodeProto *c = node("Constant", "c", "unused", NULL, "k");
    Onnx__AttributeProto *value = mk(sizeof *value);
    engine_model_t *m = NULL;
    error_t err;

    c->n_input = 0;
    onnx__attribute_proto__init(value);
    value->name = "value";
    value->has_type = 1;
    value->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    value->t = float_tensor("k", 3, w, true);
    c->n_attribute = 1;
    c->attribute = mk(sizeof *c->attribute);
    c->attribute[0] = value;
    spec.nodes[spec.n_nodes++] = c;
    spec.nodes[spec.n_nodes++] = node("Mul", "mul", "x", "k", "y");
    CHECK(load(write_model(&spec, "const.onnx"), &m, &err) == STATUS_OK);
    if (m)
        CHECK_NEAR(run_element(m, 1, 2), 2 * 4, 0);
    engine_model_free(m);
}

static void expect_failure(const char *file, const model_spec_t *spec, status_t code,
                           const char *needle1, const char *needle2)
{
    engine_model_t *m = NULL;
    error_t err;
    status_t st = load(write_model(spec, file), &m, &err);

    CHECK(st == code);
    CHECK(m == NULL);
    if (!strstr(err.message, needle1) || (needle2 && !strstr(err.message, needle2))) {
        fprintf(stderr, "%s: unexpected message: %s\n", file, err.message);
        CHECK(false);
    }
    engine_model_free(m);
}

static void test_bad_models(void)
{
    const float w[3] = {1, 2, 3}, v[2] = {1, 2};
    model_spec_t unknown = {.opset = 13, .output = "y"};
    model_spec_t opset = {.opset = 99, .output = "y"};
    model_spec_t cycle = {.opset = 13, .output = "a"};
    model_spec_t missing = {.opset = 13, .output = "y"};
    model_spec_t mismatch = {.opset = 13, .output = "y"};
    model_spec_t huge = {.opset = 13, .output = "y"};

    unknown.nodes[unknown.n_nodes++] = node("Frobnicate", "frob_1", "x", NULL, "y");
    expect_failure("unknown.onnx", &unknown, STATUS_UNSUPPORTED, "Frobnicate", "frob_1");

    opset.nodes[opset.n_nodes++] = node("Relu", "r", "x", NULL, "y");
    expect_failure("opset.onnx", &opset, STATUS_UNSUPPORTED, "opset 99", NULL);

    cycle.nodes[cycle.n_nodes++] = node("Add", "a_node", "x", "b", "a");
    cycle.nodes[cycle.n_nodes++] = node("Relu", "b_node", "a", NULL, "b");
    expect_failure("cycle.onnx", &cycle, STATUS_INVALID_MODEL, "cycle", NULL);

    missing.nodes[missing.n_nodes++] = node("Add", "add_w", "x", "w_missing", "y");
    expect_failure("missing.onnx", &missing, STATUS_INVALID_MODEL, "w_missing", "add_w");

    /* Two constants that cannot broadcast: found while folding, at compile time. */
    mismatch.nodes[mismatch.n_nodes++] = node("Add", "bad_add", "w", "v", "s");
    mismatch.nodes[mismatch.n_nodes++] = node("Add", "out", "x", "s", "y");
    mismatch.inits[mismatch.n_inits++] = float_tensor("w", 3, w, false);
    mismatch.inits[mismatch.n_inits++] = float_tensor("v", 2, v, false);
    expect_failure("mismatch.onnx", &mismatch, STATUS_INVALID_MODEL, "bad_add", NULL);

    huge.nodes[huge.n_nodes++] = node("Add", "add", "x", "w", "y");
    huge.inits[huge.n_inits++] = float_tensor("w", INT64_C(1) << 40, NULL, false);
    expect_failure("huge.onnx", &huge, STATUS_INVALID_MODEL, "initializer 'w'", "exceeds");
}

static void test_truncated_file(void)
{
    const float w[3] = {1, 2, 3};
    model_spec_t spec = {.opset = 13, .output = "y"};
    const char *path;
    engine_model_t *m = NULL;
    error_t err;
    long size;
    FILE *f;

    spec.nodes[spec.n_nodes++] = node("Add", "add", "x", "w", "y");
    spec.inits[spec.n_inits++] = float_tensor("w", 3, w, true);
    path = write_model(&spec, "truncated.onnx");
    f = fopen(path, "rb+");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    CHECK(truncate(path, size - 7) == 0);
    CHECK(load(path, &m, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "truncated") != NULL);
    engine_model_free(m);
}

/* An initializer w stored in an external file at location. */
static void external_model(model_spec_t *spec, const char *location)
{
    Onnx__TensorProto *t = float_tensor("w", 3, NULL, false);
    Onnx__StringStringEntryProto *entry = mk(sizeof *entry);

    onnx__string_string_entry_proto__init(entry);
    entry->key = "location";
    entry->value = (char *)location;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->n_external_data = 1;
    t->external_data = mk(sizeof *t->external_data);
    t->external_data[0] = entry;
    spec->opset = 13;
    spec->output = "y";
    spec->nodes[spec->n_nodes++] = node("Add", "add", "x", "w", "y");
    spec->inits[spec->n_inits++] = t;
}

static void test_external_data(void)
{
    const float w[3] = {100, 200, 300};
    char path[600], outside[600];
    model_spec_t ok = {0}, escape = {0}, absolute = {0}, link = {0};
    engine_model_t *m = NULL;
    error_t err;
    FILE *f;

    snprintf(path, sizeof path, "%s/weights.bin", tmp_dir);
    f = fopen(path, "wb");
    fwrite(w, sizeof w, 1, f);
    fclose(f);
    external_model(&ok, "weights.bin");
    CHECK(load(write_model(&ok, "external.onnx"), &m, &err) == STATUS_OK);
    if (m)
        CHECK_NEAR(run_element(m, 1, 1), 1 + 200, 0);
    engine_model_free(m);

    external_model(&escape, "../weights.bin");
    expect_failure("escape.onnx", &escape, STATUS_INVALID_MODEL, "leaves the model's folder", NULL);
    external_model(&absolute, "/etc/passwd");
    expect_failure("absolute.onnx", &absolute, STATUS_INVALID_MODEL, "relative path", NULL);

    /* A symlink inside the folder that points outside it is refused too. */
    snprintf(outside, sizeof outside, "%s.outside", tmp_dir);
    f = fopen(outside, "wb");
    fwrite(w, sizeof w, 1, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/link.bin", tmp_dir);
    CHECK(symlink(outside, path) == 0);
    external_model(&link, "link.bin");
    expect_failure("link.onnx", &link, STATUS_INVALID_MODEL, "outside the model's folder", NULL);
    unlink(path);
    unlink(outside);
}

/* A Constant node whose value is the given tensor. */
static Onnx__NodeProto *constant_node(const char *name, const char *out, Onnx__TensorProto *t)
{
    Onnx__NodeProto *c = node("Constant", name, "unused", NULL, out);
    Onnx__AttributeProto *value = mk(sizeof *value);

    c->n_input = 0;
    onnx__attribute_proto__init(value);
    value->name = "value";
    value->has_type = 1;
    value->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    value->t = t;
    c->n_attribute = 1;
    c->attribute = mk(sizeof *c->attribute);
    c->attribute[0] = value;
    return c;
}

/* A FLOAT tensor of the given dims that holds no data at all. */
static Onnx__TensorProto *no_data_tensor(const char *name, int rank, const int64_t *dims)
{
    Onnx__TensorProto *t = float_tensor(name, 1, NULL, false);

    t->n_dims = (size_t)rank;
    t->dims = mk((size_t)rank * sizeof *t->dims);
    memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    return t;
}

/*
 * Issue 18's findings: a MatMul or Gemm with one input passed import and
 * its weight packing read a stale slot; a required input given as "".
 * Both are refused at import now, naming node, op and counts.
 */
static void test_input_counts(void)
{
    const float w[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    model_spec_t two = {.opset = 13, .output = "y"}, one = {.opset = 13, .output = "y"};
    model_spec_t gemm = {.opset = 13, .output = "y"}, empty = {.opset = 13, .output = "y"};
    model_spec_t relu = {.opset = 13, .output = "y"};
    engine_model_t *m = NULL;
    error_t err;

    /* First a model whose MatMul packs a weight, as the server would have loaded before. */
    two.nodes[two.n_nodes++] = node("MatMul", "mm", "x", "w", "y");
    two.inits[two.n_inits] = float_tensor("w", 9, w, false);
    two.inits[two.n_inits]->n_dims = 2;
    two.inits[two.n_inits]->dims = mk(2 * sizeof(int64_t));
    two.inits[two.n_inits]->dims[0] = two.inits[two.n_inits]->dims[1] = 3;
    two.n_inits++;
    CHECK(load(write_model(&two, "two_inputs.onnx"), &m, &err) == STATUS_OK);
    engine_model_free(m);

    one.nodes[one.n_nodes++] = node("MatMul", "mm_one", "x", NULL, "y");
    expect_failure("one_input.onnx", &one, STATUS_INVALID_MODEL, "MatMul node 'mm_one'",
                   "has 1 inputs, opset 13 takes 2");
    gemm.nodes[gemm.n_nodes++] = node("Gemm", "gemm_one", "x", NULL, "y");
    expect_failure("gemm_one.onnx", &gemm, STATUS_INVALID_MODEL, "Gemm node 'gemm_one'",
                   "takes 2 to 3");
    empty.nodes[empty.n_nodes++] = node("MatMul", "mm_empty", "x", "", "y");
    expect_failure("empty_input.onnx", &empty, STATUS_INVALID_MODEL, "mm_empty",
                   "required input 1 is missing");
    relu.nodes[relu.n_nodes++] = node("Relu", "relu_two", "x", "x", "y");
    expect_failure("relu_two.onnx", &relu, STATUS_INVALID_MODEL, "relu_two", "has 2 inputs");
}

/*
 * Declared sizes are checked against the bytes present before anything is
 * allocated: a Constant of FLOAT [2^31, 2] with no data is refused (it
 * asked for 16 GiB), so is external data longer than its file; a tensor of
 * zero elements and no data is fine.
 */
static void test_declared_sizes(void)
{
    const int64_t huge[2] = {INT64_C(1) << 31, 2}, empty[2] = {0, 3};
    model_spec_t constant = {.opset = 13, .output = "y"}, zero = {.opset = 13, .output = "y"};
    model_spec_t external = {0};
    Onnx__TensorProto *w;
    engine_model_t *m = NULL;
    char path[600];
    error_t err;
    FILE *f;

    constant.nodes[constant.n_nodes++] = constant_node("c", "k", no_data_tensor("k", 2, huge));
    constant.nodes[constant.n_nodes++] = node("Mul", "mul", "x", "k", "y");
    expect_failure("constant_16gib.onnx", &constant, STATUS_INVALID_MODEL, "attribute 'value'",
                   "holds 0 values, its shape needs 4294967296");

    zero.nodes[zero.n_nodes++] = constant_node("c", "k", no_data_tensor("k", 2, empty));
    zero.nodes[zero.n_nodes++] = node("Relu", "relu", "x", NULL, "y");
    zero.inits[zero.n_inits++] = no_data_tensor("unused", 2, empty);
    CHECK(load(write_model(&zero, "zero_elements.onnx"), &m, &err) == STATUS_OK);
    engine_model_free(m);
    m = NULL;

    snprintf(path, sizeof path, "%s/short.bin", tmp_dir);
    f = fopen(path, "wb");
    fwrite(huge, sizeof huge, 1, f);
    fclose(f);
    external_model(&external, "short.bin");
    w = external.inits[0];
    w->n_dims = 2;
    w->dims = mk(2 * sizeof *w->dims);
    w->dims[0] = 1 << 20;
    w->dims[1] = 3;
    expect_failure("external_short.onnx", &external, STATUS_INVALID_MODEL, "short.bin",
                   "has 16 bytes, fewer than offset 0 + 12582912");
}

/* A node whose attribute holds a graph whose node holds a graph ... depth levels deep. */
static Onnx__NodeProto *nested_node(int depth)
{
    Onnx__NodeProto *n = node("Relu", "nest", "x", NULL, "y");
    Onnx__AttributeProto *a;
    Onnx__GraphProto *g;

    if (depth == 0)
        return n;
    a = mk(sizeof *a);
    g = mk(sizeof *g);
    onnx__attribute_proto__init(a);
    onnx__graph_proto__init(g);
    a->name = "body";
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    a->g = g;
    g->n_node = 1;
    g->node = mk(sizeof *g->node);
    g->node[0] = nested_node(depth - 1);
    n->n_attribute = 1;
    n->attribute = mk(sizeof *n->attribute);
    n->attribute[0] = a;
    return n;
}

/* Nesting and counts are bounded before protobuf-c unpacks a node. */
static void test_structure_limits(void)
{
    model_spec_t shallow = {.opset = 13, .output = "y"}, deep = {.opset = 13, .output = "y"};
    model_spec_t attrs = {.opset = 13, .output = "y"};
    Onnx__NodeProto *n;
    engine_model_t *m = NULL;
    error_t err;

    /* Graph attributes are read by no supported op, but a shallow one is no reason to refuse. */
    shallow.nodes[shallow.n_nodes++] = nested_node(3);
    CHECK(load(write_model(&shallow, "shallow.onnx"), &m, &err) == STATUS_OK);
    engine_model_free(m);
    deep.nodes[deep.n_nodes++] = nested_node(40);
    expect_failure("deep.onnx", &deep, STATUS_INVALID_MODEL, "node 0",
                   "nests graphs or types deeper than");

    n = node("Relu", "many", "x", NULL, "y");
    n->n_attribute = 300;
    n->attribute = mk(300 * sizeof *n->attribute);
    for (int i = 0; i < 300; i++) {
        n->attribute[i] = mk(sizeof *n->attribute[i]);
        onnx__attribute_proto__init(n->attribute[i]);
        n->attribute[i]->name = "a";
    }
    attrs.nodes[attrs.n_nodes++] = n;
    expect_failure("attributes.onnx", &attrs, STATUS_LIMIT_EXCEEDED, "300 attributes", "limits");
}

/* Peak resident set of this process, in bytes. */
static long peak_rss_bytes(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss * 1024L;
}

/*
 * Folding that would make far more than its constants hold (ConstantOfShape
 * of [8192, 8192]: 256 MiB from 16 bytes) is left to the plan: loading
 * keeps to about what the file holds, which the peak RSS shows. Running it
 * needs a 256 MiB plan, over the 64 MiB main() allows (INFERD_MAX_PLAN_BYTES):
 * refused before anything that size is allocated.
 */
static void test_fold_growth(void)
{
    model_spec_t spec = {.opset = 13, .output = "y"};
    Onnx__TensorProto *shape = float_tensor("shape", 2, NULL, false);
    int64_t *values = mk(2 * sizeof *values);
    engine_model_t *m = NULL;
    long before;
    error_t err;

    values[0] = values[1] = 8192;
    shape->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    shape->n_int64_data = 2;
    shape->int64_data = values;
    spec.inits[spec.n_inits++] = shape;
    spec.nodes[spec.n_nodes++] = node("ConstantOfShape", "fill", "shape", NULL, "big");
    spec.nodes[spec.n_nodes++] = node("Relu", "relu", "big", NULL, "y");
    before = peak_rss_bytes();
    CHECK(load(write_model(&spec, "fold_growth.onnx"), &m, &err) == STATUS_OK);
    CHECK(peak_rss_bytes() - before < 64L << 20);
    if (m) {
        engine_context_t *ctx = NULL;
        const tensor_t *out;
        float x[3] = {0};
        tensor_t in = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {1, 3}, .data = x};
        CHECK(engine_context_create(m, 1, &ctx, &err) == STATUS_OK);
        CHECK(engine_context_run(ctx, &in, 1, &out, &err) == STATUS_LIMIT_EXCEEDED);
        CHECK(strstr(err.message, "INFERD_MAX_PLAN_BYTES") != NULL);
        CHECK(peak_rss_bytes() - before < 64L << 20);
        engine_context_free(ctx);
    }
    engine_model_free(m);
}

static void test_bad_inputs(void)
{
    const float w[3] = {1, 2, 3};
    model_spec_t spec = {.opset = 13, .output = "y"};
    engine_model_t *m = NULL;
    engine_context_t *ctx = NULL;
    const tensor_t *out;
    int64_t ints[6] = {0};
    float x[8] = {0};
    tensor_t wrong_dtype = {.dtype = DTYPE_INT64, .rank = 2, .dims = {2, 3}, .data = ints};
    tensor_t wrong_dim = {.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 4}, .data = x};
    error_t err;

    spec.nodes[spec.n_nodes++] = node("Add", "add", "x", "w", "y");
    spec.inits[spec.n_inits++] = float_tensor("w", 3, w, false);
    CHECK(load(write_model(&spec, "inputs.onnx"), &m, &err) == STATUS_OK);
    if (!m)
        return;
    CHECK(engine_context_create(m, 1, &ctx, &err) == STATUS_OK);
    CHECK(engine_context_run(ctx, &wrong_dtype, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "dtype int64") != NULL);
    CHECK(engine_context_run(ctx, &wrong_dim, 1, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "[2,4]") != NULL);
    CHECK(engine_context_run(ctx, &wrong_dim, 2, &out, &err) == STATUS_INVALID_ARGUMENT);
    engine_context_free(ctx);
    engine_model_free(m);
}

int main(void)
{
    char cmd[600];

    if (!mkdtemp(tmp_dir))
        return 1;
    /* Read once, at the first plan: test_fold_growth's model needs more. */
    setenv("INFERD_MAX_PLAN_BYTES", "64M", 1);
    test_add_initializer_and_dynamic_batch();
    test_constant_node_and_raw_data();
    test_bad_models();
    test_truncated_file();
    test_external_data();
    test_bad_inputs();
    test_input_counts();
    test_declared_sizes();
    test_structure_limits();
    test_fold_growth();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    CHECK(system(cmd) == 0);
    builder_free();
    CHECK_DONE();
}
