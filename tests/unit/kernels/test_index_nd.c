/*
 * Unit tests of this indexing ops where the node tests leave gaps:
 * hostile indices (known while planning and arriving with the request) in
 * GatherElements, GatherND, ScatterElements, ScatterND, MaxUnpool, RoiAlign,
 * ReverseSequence and the losses fail with a message naming the op, the
 * node and the value, never a crash; the scatter reductions wrap on
 * integers and act as or/and on bool; duplicate indices apply in order.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "op_harness.h"

/* Out-of-range indices, at plan time (constants) and at run time (from the request). */
static void test_hostile_indices(void)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, u[4] = {9, 9, 9, 9};
    int64_t bad_elems[4] = {0, 1, 2, -4}; /* -4 is outside [-3, 3) */
    int64_t bad_nd[2] = {1, INT64_MAX};   /* column INT64_MAX of a [2, 3] */
    int64_t bad_scatter_nd[1] = {INT64_MIN};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){3, 2}, x);
    tensor_t ti = harness_tensor(DTYPE_INT64, 2, (int64_t[]){2, 2}, bad_elems);
    tensor_t tu = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 2}, u);
    tensor_t x23 = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 3}, x);
    tensor_t tnd = harness_tensor(DTYPE_INT64, 2, (int64_t[]){1, 2}, bad_nd);
    tensor_t tsnd = harness_tensor(DTYPE_INT64, 2, (int64_t[]){1, 1}, bad_scatter_nd);
    tensor_t tsu = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){1, 3}, u);
    const tensor_t *ge[2] = {&tx, &ti}, *se[3] = {&tx, &ti, &tu}, *gnd[2] = {&x23, &tnd};
    const tensor_t *snd[3] = {&x23, &tsnd, &tsu};
    tensor_t out;
    error_t err;

    for (int runtime = 0; runtime < 2; runtime++) {
        harness_plan_t plan = runtime ? HARNESS_PLAN_RUNTIME : HARNESS_PLAN_CONSTANTS;
        CHECK_FAILS(harness_run_plan(plan, "GatherElements", 13, NULL, 0, 2, ge, 1, &out, &err),
                    err, STATUS_INVALID_ARGUMENT, "GatherElements", HARNESS_NODE, "index -4");
        CHECK_FAILS(harness_run_plan(plan, "ScatterElements", 18, NULL, 0, 3, se, 1, &out, &err),
                    err, STATUS_INVALID_ARGUMENT, "ScatterElements", HARNESS_NODE, "index -4");
        CHECK_FAILS(harness_run_plan(plan, "GatherND", 13, NULL, 0, 2, gnd, 1, &out, &err), err,
                    STATUS_INVALID_ARGUMENT, "GatherND", HARNESS_NODE, "9223372036854775807");
        CHECK_FAILS(harness_run_plan(plan, "ScatterND", 18, NULL, 0, 3, snd, 1, &out, &err), err,
                    STATUS_INVALID_ARGUMENT, "ScatterND", HARNESS_NODE, "-9223372036854775808");
    }
}

/* ScatterElements reductions with duplicate indices, on int8 (wrapping) and bool. */
static void test_scatter_reductions(void)
{
    int8_t data[3] = {100, -100, 5}, upd[4] = {100, 100, -100, 3};
    int64_t idx[4] = {0, 0, 1, -1};
    bool bdata[3] = {false, true, true}, bupd[4] = {true, false, false, false};
    tensor_t td = harness_tensor(DTYPE_INT8, 1, (int64_t[]){3}, data);
    tensor_t ti = harness_tensor(DTYPE_INT64, 1, (int64_t[]){4}, idx);
    tensor_t tu = harness_tensor(DTYPE_INT8, 1, (int64_t[]){4}, upd);
    tensor_t tbd = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){3}, bdata);
    tensor_t tbu = harness_tensor(DTYPE_BOOL, 1, (int64_t[]){4}, bupd);
    const tensor_t *in[3] = {&td, &ti, &tu}, *bin[3] = {&tbd, &ti, &tbu};
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    /* index 0 gets 100 then 100; index 1 gets -100; index 2 (as -1) gets 3 */
    static const int8_t want[5][3] = {
        {100, -100, 3},
        {44, 56, 8},  /* 100+100+100 = 300 wraps to 44; -100-100 = -200 wraps to 56 */
        {64, 16, 15}, /* 100^3 = 10^6 is 64 modulo 256; (-100)^2 = 10^4 is 16 */
        {100, -100, 5},
        {100, -100, 3},
    };
    static const bool bwant[5][3] = {
        {false, false, false}, {true, true, true},    {false, false, false},
        {true, true, true},    {false, false, false},
    };

    for (int r = 0; r < 5; r++) {
        const attr_t attr = harness_string_attr("reduction", names[r]);
        tensor_t out;
        error_t err;
        CHECK(harness_run("ScatterElements", 18, &attr, 1, 3, in, 1, &out, &err) == STATUS_OK);
        CHECK(out.data && memcmp(out.data, want[r], sizeof want[r]) == 0);
        harness_free(&out, 1);
        CHECK(harness_run("ScatterElements", 18, &attr, 1, 3, bin, 1, &out, &err) == STATUS_OK);
        CHECK(out.data && memcmp(out.data, bwant[r], sizeof bwant[r]) == 0);
        harness_free(&out, 1);
    }
    {
        /* max and min do not exist before opset 18. */
        const attr_t attr = harness_string_attr("reduction", "max");
        tensor_t out;
        error_t err;
        CHECK_FAILS(harness_run("ScatterElements", 16, &attr, 1, 3, in, 1, &out, &err), err,
                    STATUS_INVALID_MODEL, "ScatterElements", "reduction 'max'", "opset 16");
    }
}

/* MaxUnpool, RoiAlign, ReverseSequence and the losses refuse hostile values at run time. */
static void test_hostile_values(void)
{
    float x[4] = {1, 2, 3, 4};
    int64_t idx[4] = {0, 5, 16, 3}; /* 16 is past a [1, 1, 4, 4] output */
    int64_t kernel[2] = {2, 2};
    const attr_t unpool_attrs[] = {harness_ints_attr("kernel_shape", kernel, 2),
                                   harness_ints_attr("strides", kernel, 2)};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 4, (int64_t[]){1, 1, 2, 2}, x);
    tensor_t ti = harness_tensor(DTYPE_INT64, 4, (int64_t[]){1, 1, 2, 2}, idx);
    const tensor_t *unpool[2] = {&tx, &ti};
    float rois[4] = {0, 0, 1, 1};
    int64_t batch = 3; /* one image only */
    tensor_t tr = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){1, 4}, rois);
    tensor_t tb = harness_tensor(DTYPE_INT64, 1, (int64_t[]){1}, &batch);
    const tensor_t *roi[3] = {&tx, &tr, &tb};
    int64_t lens[2] = {2, 3}; /* the time axis has 2 steps */
    tensor_t ts = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 2}, x);
    tensor_t tl = harness_tensor(DTYPE_INT64, 1, (int64_t[]){2}, lens);
    const tensor_t *rev[2] = {&ts, &tl};
    int64_t targets[2] = {1, 7};
    tensor_t tt = harness_tensor(DTYPE_INT64, 1, (int64_t[]){2}, targets);
    const tensor_t *loss[2] = {&ts, &tt};
    tensor_t out[2];
    error_t err;

    CHECK_FAILS(harness_run_runtime("MaxUnpool", 11, unpool_attrs, 2, 2, unpool, 1, out, &err), err,
                STATUS_INVALID_ARGUMENT, "MaxUnpool", HARNESS_NODE, "index 16");
    CHECK_FAILS(harness_run_runtime("RoiAlign", 16, NULL, 0, 3, roi, 1, out, &err), err,
                STATUS_INVALID_ARGUMENT, "RoiAlign", HARNESS_NODE, "batch_indices[0] = 3");
    CHECK_FAILS(harness_run_runtime("ReverseSequence", 10, NULL, 0, 2, rev, 1, out, &err), err,
                STATUS_INVALID_ARGUMENT, "ReverseSequence", HARNESS_NODE, "sequence_lens[1] = 3");
    CHECK_FAILS(
        harness_run_runtime("NegativeLogLikelihoodLoss", 13, NULL, 0, 2, loss, 1, out, &err), err,
        STATUS_INVALID_ARGUMENT, "NegativeLogLikelihoodLoss", "target 7");
    CHECK_FAILS(harness_run_runtime("SoftmaxCrossEntropyLoss", 13, NULL, 0, 2, loss, 2, out, &err),
                err, STATUS_INVALID_ARGUMENT, "SoftmaxCrossEntropyLoss", "target 7");
    {
        /* The target equal to ignore_index is skipped, whatever its value. */
        const attr_t ignore = harness_int_attr("ignore_index", 7);
        const attr_t sum = harness_string_attr("reduction", "sum");
        const attr_t attrs[2] = {ignore, sum};
        CHECK(harness_run_runtime("NegativeLogLikelihoodLoss", 13, attrs, 2, 2, loss, 1, out,
                                  &err) == STATUS_OK);
        CHECK(out[0].data && *(float *)out[0].data == -2.0f); /* -x[0][1] */
        harness_free(out, 1);
    }
}

int main(void)
{
    test_hostile_indices();
    test_scatter_reductions();
    test_hostile_values();
    CHECK_DONE();
}
