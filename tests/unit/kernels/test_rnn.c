/*
 * Unit tests of the recurrent layers (kernels/rnn): the float32 kernel,
 * with its weights packed once (pack) and packed by the run (the
 * harness's path), on one and two threads, against the float64 kernel on
 * the same values, a separate plain implementation of the equations that
 * tests/conformance/test_rnn_ort.py checks against ONNX Runtime's
 * reference; output shapes per layout; and the adapter's and prototype's
 * failures, each naming op, node and offending value.
 */
#include "rnn/rnn.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define MAX_IN 8

/* A layer's inputs in float and double; slot i is absent when its tensor's rank is -1. */
typedef struct layer {
    tensor_t f32[MAX_IN], f64[MAX_IN];
    int n_in;
} layer_t;

/* Slot slot of l: random values in [-scale, scale] (seeded), or an int32 tensor without data. */
static void layer_set_scaled(layer_t *l, int slot, dtype_t dtype, int rank, const int64_t *dims,
                             unsigned seed, float scale)
{
    tensor_t t = harness_tensor(DTYPE_FLOAT, rank, dims, NULL);
    int64_t n = tensor_numel(&t);

    if (l->f32[slot].dtype == DTYPE_FLOAT) {
        free(l->f32[slot].data);
        free(l->f64[slot].data);
    }
    if (dtype == DTYPE_INT32) {
        l->f32[slot] = harness_tensor(DTYPE_INT32, rank, dims, NULL);
        l->f64[slot] = l->f32[slot];
    } else {
        float *f = harness_random_floats(n, seed);
        double *d = malloc((size_t)(n ? n : 1) * sizeof *d);
        assert(d);
        for (int64_t i = 0; i < n; i++) {
            f[i] *= scale;
            d[i] = f[i];
        }
        l->f32[slot] = harness_tensor(DTYPE_FLOAT, rank, dims, f);
        l->f64[slot] = harness_tensor(DTYPE_DOUBLE, rank, dims, d);
    }
    if (slot >= l->n_in)
        l->n_in = slot + 1;
}

static void layer_set(layer_t *l, int slot, dtype_t dtype, int rank, const int64_t *dims,
                      unsigned seed)
{
    layer_set_scaled(l, slot, dtype, rank, dims, seed, 1.0f);
}

static void layer_free(layer_t *l)
{
    for (int i = 0; i < MAX_IN; i++) {
        if (l->f32[i].dtype == DTYPE_FLOAT) {
            free(l->f32[i].data);
            free(l->f64[i].data);
        }
    }
}

/*
 * The engine's sequence for one node: adapt, pack (when packed), infer,
 * run on threads threads, release. out[k].data is malloc'd.
 */
static status_t run_node(const char *op, int opset, const attr_t *attrs, size_t n_attrs, int n_in,
                         const tensor_t *const *in, int n_out, tensor_t *out, bool packed,
                         int threads, error_t *err)
{
    const op_schema_t *schema = op_registry_find(op, opset);
    const attrs_t list = {attrs, n_attrs};
    const op_adapt_t adapt = {op, HARNESS_NODE, opset, &list, n_in, n_out};
    rnn_params_t params;
    op_call_t call = {.op_type = op,
                      .node = HARNESS_NODE,
                      .params = &params,
                      .n_inputs = n_in,
                      .inputs = in,
                      .n_outputs = n_out,
                      .outputs = out,
                      .threads = 1};
    status_t st;

    memset(out, 0, (size_t)n_out * sizeof *out);
    memset(&params, 0, sizeof params);
    assert(schema && schema->kernel->params_size == sizeof params);
    if ((st = schema->adapt(&adapt, &params, err)) != STATUS_OK)
        return st;
    if (packed && (st = schema->kernel->pack(&call, &call.state, err)) != STATUS_OK)
        return st;
    CHECK(!packed || call.state || in[RNN_IN_X]->dtype == DTYPE_DOUBLE);
    if ((st = schema->kernel->infer(&call, err)) != STATUS_OK)
        goto cleanup;
    for (int k = 0; k < n_out; k++)
        out[k].data = malloc(tensor_bytes(&out[k]) + 1);
    call.workspace = aligned_alloc(64, (call.workspace_size + 64) / 64 * 64);
    call.threads = threads;
    st = schema->kernel->run(&call, err);
    free(call.workspace);
cleanup:
    if (call.state)
        schema->kernel->release(call.state);
    if (st != STATUS_OK)
        harness_free(out, n_out);
    return st;
}

/* Largest |a - b| over n values, a float and b double. */
static double max_diff(const tensor_t *a, const tensor_t *b)
{
    double worst = 0.0;
    int64_t n = tensor_numel(a);

    CHECK(n == tensor_numel(b) && shape_equal(a->rank, a->dims, b->rank, b->dims));
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)((const float *)a->data)[i] - ((const double *)b->data)[i]);
        worst = d > worst ? d : worst;
    }
    return worst;
}

/*
 * One layer in float32 (packed and unpacked, 1 and 2 threads) against
 * float64: within 2e-5 everywhere (the values are O(1)).
 */
static void check_layer(const char *op, int opset, const attr_t *attrs, size_t n_attrs, layer_t *l,
                        int n_out)
{
    const tensor_t *in32[MAX_IN], *in64[MAX_IN];
    tensor_t want[3], got[3];
    error_t err = {0};

    for (int i = 0; i < l->n_in; i++) {
        in32[i] = l->f32[i].rank >= 0 ? &l->f32[i] : NULL;
        in64[i] = l->f64[i].rank >= 0 ? &l->f64[i] : NULL;
    }
    CHECK(run_node(op, opset, attrs, n_attrs, l->n_in, in64, n_out, want, false, 1, &err) ==
          STATUS_OK);
    for (int mode = 0; mode < 4; mode++) {
        bool packed = mode & 1;
        int threads = mode & 2 ? 2 : 1;
        status_t st =
            run_node(op, opset, attrs, n_attrs, l->n_in, in32, n_out, got, packed, threads, &err);
        CHECK(st == STATUS_OK);
        if (st != STATUS_OK) {
            fprintf(stderr, "%s: %s\n", op, err.message);
            continue;
        }
        for (int k = 0; k < n_out; k++) {
            double d = max_diff(&got[k], &want[k]);
            if (!(d <= 2e-5))
                fprintf(stderr, "%s output %d (packed %d, %d threads): max diff %g\n", op, k,
                        packed, threads, d);
            CHECK(d <= 2e-5);
        }
        harness_free(got, n_out);
    }
    harness_free(want, n_out);
}

/*
 * A bidirectional layer with every optional input: sizes that split into
 * a full and a partial block of units (72 = 32 + 32 + 8), rows past their
 * length (0 included), batch 5 (the product's 5-row tile). hidden is the
 * size for LSTM, GRU and RNN in turn (72, 72, 72 or, large enough for the
 * step loop to take two threads, 192, 224, 384 at batch 8).
 */
static void check_cells(int64_t seq, int64_t batch, int64_t input, const int64_t *hidden_of,
                        const int32_t *lens)
{
    const struct {
        const char *op;
        int gates;
        bool lbr;
        int size;
    } cells[] = {
        {"LSTM", 4, false, 0}, {"GRU", 3, false, 1}, {"GRU", 3, true, 1}, {"RNN", 1, false, 2}};

    for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
        for (int layout = 0; layout < 2; layout++) {
            int g = cells[c].gates;
            int64_t hidden = hidden_of[cells[c].size];
            bool lstm = g == 4;
            layer_t l = {0};
            int32_t lens_copy[8];
            attr_t attrs[] = {harness_string_attr("direction", "bidirectional"),
                              harness_int_attr("layout", layout),
                              harness_int_attr("linear_before_reset", cells[c].lbr),
                              harness_int_attr("hidden_size", hidden)};
            for (int i = 0; i < MAX_IN; i++)
                l.f32[i].rank = l.f64[i].rank = -1;
            layer_set(&l, RNN_IN_X, DTYPE_FLOAT, 3,
                      layout ? (int64_t[]){batch, seq, input} : (int64_t[]){seq, batch, input}, 1);
            /* Weights of a trained layer's size: gate inputs of order 1, not saturated. */
            layer_set_scaled(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){2, g * hidden, input}, 2,
                             0.3f);
            layer_set_scaled(&l, RNN_IN_R, DTYPE_FLOAT, 3, (int64_t[]){2, g * hidden, hidden}, 3,
                             0.15f);
            layer_set(&l, RNN_IN_B, DTYPE_FLOAT, 2, (int64_t[]){2, 2 * g * hidden}, 4);
            layer_set(&l, RNN_IN_SEQ_LENS, DTYPE_INT32, 1, (int64_t[]){batch}, 0);
            assert(batch <= 8);
            memcpy(lens_copy, lens, (size_t)batch * sizeof *lens);
            l.f32[RNN_IN_SEQ_LENS].data = l.f64[RNN_IN_SEQ_LENS].data = lens_copy;
            layer_set(&l, RNN_IN_INITIAL_H, DTYPE_FLOAT, 3,
                      layout ? (int64_t[]){batch, 2, hidden} : (int64_t[]){2, batch, hidden}, 5);
            if (lstm) {
                layer_set(&l, RNN_IN_INITIAL_C, DTYPE_FLOAT, 3,
                          layout ? (int64_t[]){batch, 2, hidden} : (int64_t[]){2, batch, hidden},
                          6);
                layer_set(&l, RNN_IN_P, DTYPE_FLOAT, 2, (int64_t[]){2, 3 * hidden}, 7);
            }
            /* LSTM and RNN ignore linear_before_reset, as any attribute not theirs. */
            check_layer(cells[c].op, 14, attrs, 4, &l, lstm ? 3 : 2);
            layer_free(&l);
        }
    }
}

static void test_layers(void)
{
    static const int32_t lens5[5] = {4, 0, 2, 3, 1}, lens8[8] = {3, 0, 2, 3, 1, 3, 2, 3};

    check_cells(4, 5, 6, (const int64_t[]){72, 72, 72}, lens5);
    /* Over RNN_PARALLEL_MIN_MACS (2^20) a step: the run's two threads split the units. */
    check_cells(3, 8, 16, (const int64_t[]){192, 224, 384}, lens8);
}

/* Y, Y_h and Y_c shapes for layouts 0 and 1; an omitted initial state means zeros. */
static void test_shapes(void)
{
    layer_t l = {0};
    const tensor_t *in[3];
    tensor_t out[3];
    error_t err = {0};
    attr_t attrs[] = {harness_string_attr("direction", "bidirectional"),
                      harness_int_attr("layout", 1)};

    layer_set(&l, RNN_IN_X, DTYPE_FLOAT, 3, (int64_t[]){3, 5, 2}, 1);
    layer_set(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){2, 16, 2}, 2);
    layer_set(&l, RNN_IN_R, DTYPE_FLOAT, 3, (int64_t[]){2, 16, 4}, 3);
    for (int i = 0; i < 3; i++)
        in[i] = &l.f32[i];
    CHECK(harness_run("LSTM", 14, attrs, 2, 3, in, 3, out, &err) == STATUS_OK);
    CHECK(shape_equal(out[0].rank, out[0].dims, 4, (int64_t[]){3, 5, 2, 4}));
    CHECK(shape_equal(out[1].rank, out[1].dims, 3, (int64_t[]){3, 2, 4}));
    CHECK(shape_equal(out[2].rank, out[2].dims, 3, (int64_t[]){3, 2, 4}));
    harness_free(out, 3);
    /* Layout 0 reads X as [seq, batch, input]: 3 steps of 5 rows. */
    CHECK(harness_run("LSTM", 14, attrs, 1, 3, in, 2, out, &err) == STATUS_OK);
    CHECK(shape_equal(out[0].rank, out[0].dims, 4, (int64_t[]){3, 2, 5, 4}));
    CHECK(shape_equal(out[1].rank, out[1].dims, 3, (int64_t[]){2, 5, 4}));
    harness_free(out, 2);
    /* Before opset 14 layout means nothing. */
    CHECK(harness_run("LSTM", 7, attrs, 2, 3, in, 1, out, &err) == STATUS_OK);
    CHECK(shape_equal(out[0].rank, out[0].dims, 4, (int64_t[]){3, 2, 5, 4}));
    harness_free(out, 1);
    layer_free(&l);
}

static void test_adapter_failures(void)
{
    layer_t l = {0};
    const tensor_t *in[3];
    tensor_t out[2];
    error_t err = {0};
    const char *swish[] = {"Sigmoid", "Swish", "Tanh"}, *two[] = {"Sigmoid", "Tanh"};

    layer_set(&l, RNN_IN_X, DTYPE_FLOAT, 3, (int64_t[]){2, 1, 3}, 1);
    layer_set(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){1, 16, 3}, 2);
    layer_set(&l, RNN_IN_R, DTYPE_FLOAT, 3, (int64_t[]){1, 16, 4}, 3);
    for (int i = 0; i < 3; i++)
        in[i] = &l.f32[i];
#define FAILS_WITH(attr, ...)                                                                      \
    do {                                                                                           \
        attr_t a_ = attr;                                                                          \
        CHECK_FAILS(harness_run("LSTM", 14, &a_, 1, 3, in, 2, out, &err), err,                     \
                    STATUS_INVALID_MODEL, "LSTM node 'n0'", __VA_ARGS__);                          \
    } while (0)
    FAILS_WITH(harness_string_attr("direction", "sideways"), "'direction'", "sideways");
    FAILS_WITH(harness_int_attr("layout", 2), "'layout'", "2");
    FAILS_WITH(harness_int_attr("hidden_size", 0), "'hidden_size'", "0");
    FAILS_WITH(harness_int_attr("input_forget", 3), "'input_forget'", "3");
    FAILS_WITH(((attr_t){.name = "clip", .type = ATTR_FLOAT, .f = -1.0f}), "'clip'", "-1");
    FAILS_WITH(
        ((attr_t){.name = "activations", .type = ATTR_STRINGS, .strings = swish, .count = 3}),
        "'Swish'", "item 1");
    FAILS_WITH(((attr_t){.name = "activations", .type = ATTR_STRINGS, .strings = two, .count = 2}),
               "lists 2 functions", "takes 3");
    FAILS_WITH(harness_int_attr("activations", 1), "'activations'", "list of strings");
#undef FAILS_WITH
    /* GRU-1's Y_h is required. */
    layer_set(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){1, 12, 3}, 2);
    layer_set(&l, RNN_IN_R, DTYPE_FLOAT, 3, (int64_t[]){1, 12, 4}, 3);
    for (int i = 0; i < 3; i++)
        in[i] = &l.f32[i];
    CHECK_FAILS(harness_run("GRU", 1, NULL, 0, 3, in, 1, out, &err), err, STATUS_INVALID_MODEL,
                "GRU node 'n0'", "Y_h is required");
    CHECK(harness_run("GRU", 3, NULL, 0, 3, in, 1, out, &err) == STATUS_OK);
    harness_free(out, 1);
    layer_free(&l);
}

static void test_prototype_failures(void)
{
    layer_t l = {0};
    const tensor_t *in[8] = {0};
    tensor_t out[2];
    error_t err = {0};
    int32_t lens[2] = {3, 9};
    attr_t hidden5 = harness_int_attr("hidden_size", 5);

    for (int i = 0; i < MAX_IN; i++)
        l.f32[i].rank = -1;
    layer_set(&l, RNN_IN_X, DTYPE_FLOAT, 3, (int64_t[]){4, 2, 3}, 1);
    layer_set(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){1, 4, 3}, 2);
    layer_set(&l, RNN_IN_R, DTYPE_FLOAT, 3, (int64_t[]){1, 4, 4}, 3);
    for (int i = 0; i < 3; i++)
        in[i] = &l.f32[i];
    CHECK(harness_run("RNN", 14, NULL, 0, 3, in, 2, out, &err) == STATUS_OK);
    harness_free(out, 2);
    CHECK_FAILS(harness_run("RNN", 14, &hidden5, 1, 3, in, 2, out, &err), err,
                STATUS_INVALID_ARGUMENT, "RNN node 'n0'", "hidden_size is 5");
    /* W's input size against X's. */
    layer_set(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){1, 4, 2}, 2);
    CHECK_FAILS(harness_run("RNN", 14, NULL, 0, 3, in, 2, out, &err), err, STATUS_INVALID_ARGUMENT,
                "RNN node 'n0'", "input W has shape [1,4,2]", "expected [1,4,3]");
    layer_set(&l, RNN_IN_W, DTYPE_FLOAT, 3, (int64_t[]){1, 4, 3}, 2);
    /* A bidirectional layer wants two directions of weights. */
    {
        attr_t bi = harness_string_attr("direction", "bidirectional");
        CHECK_FAILS(harness_run("RNN", 14, &bi, 1, 3, in, 2, out, &err), err,
                    STATUS_INVALID_ARGUMENT, "input W has shape [1,4,3]", "expected [2,4,3]");
    }
    layer_set(&l, RNN_IN_B, DTYPE_FLOAT, 2, (int64_t[]){1, 4}, 4);
    in[RNN_IN_B] = &l.f32[RNN_IN_B];
    CHECK_FAILS(harness_run("RNN", 14, NULL, 0, 4, in, 2, out, &err), err, STATUS_INVALID_ARGUMENT,
                "input B has shape [1,4]", "expected [1,8]");
    in[RNN_IN_B] = NULL;
    layer_set(&l, RNN_IN_INITIAL_H, DTYPE_FLOAT, 3, (int64_t[]){2, 1, 4}, 5);
    in[RNN_IN_INITIAL_H] = &l.f32[RNN_IN_INITIAL_H];
    CHECK_FAILS(harness_run("RNN", 14, NULL, 0, 6, in, 2, out, &err), err, STATUS_INVALID_ARGUMENT,
                "input initial_h has shape [2,1,4]", "expected [1,2,4]");
    {
        attr_t batch_first = harness_int_attr("layout", 1);
        l.f32[RNN_IN_X].dims[0] = 2;
        l.f32[RNN_IN_X].dims[1] = 4;
        CHECK(harness_run("RNN", 14, &batch_first, 1, 6, in, 2, out, &err) == STATUS_OK);
        harness_free(out, 2);
        l.f32[RNN_IN_X].dims[0] = 4;
        l.f32[RNN_IN_X].dims[1] = 2;
    }
    in[RNN_IN_INITIAL_H] = NULL;
    /* A length past the sequence: while planning when known, else when run. */
    l.f32[RNN_IN_SEQ_LENS] = harness_tensor(DTYPE_INT32, 1, (int64_t[]){2}, lens);
    in[RNN_IN_SEQ_LENS] = &l.f32[RNN_IN_SEQ_LENS];
    CHECK_FAILS(harness_run("RNN", 14, NULL, 0, 5, in, 2, out, &err), err, STATUS_INVALID_ARGUMENT,
                "RNN node 'n0'", "sequence_lens[1] is 9", "sequence length 4");
    CHECK_FAILS(harness_run_runtime("RNN", 14, NULL, 0, 5, in, 2, out, &err), err,
                STATUS_INVALID_ARGUMENT, "sequence_lens[1] is 9");
    lens[1] = -1;
    CHECK_FAILS(harness_run_runtime("RNN", 14, NULL, 0, 5, in, 2, out, &err), err,
                STATUS_INVALID_ARGUMENT, "sequence_lens[1] is -1");
    in[RNN_IN_SEQ_LENS] = NULL;
    /* Every float input has X's dtype. */
    in[RNN_IN_R] = &l.f64[RNN_IN_R];
    CHECK_FAILS(harness_run("RNN", 14, NULL, 0, 3, in, 2, out, &err), err, STATUS_INVALID_ARGUMENT,
                "input R is double but X is float");
    in[RNN_IN_R] = &l.f32[RNN_IN_R];
    l.f32[RNN_IN_X].rank = 2;
    CHECK_FAILS(harness_run("RNN", 14, NULL, 0, 3, in, 2, out, &err), err, STATUS_INVALID_ARGUMENT,
                "must all be 3-D");
    l.f32[RNN_IN_X].rank = 3;
    layer_free(&l);
}

int main(void)
{
    test_layers();
    test_shapes();
    test_adapter_failures();
    test_prototype_failures();
    CHECK_DONE();
}
