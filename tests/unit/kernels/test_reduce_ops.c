/*
 * Unit tests of the reductions of issue 14 where the ONNX node tests leave
 * gaps: ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp and ReduceProd on
 * double, int64 and uint32 over negative axes, with and without keepdims,
 * against a per-element reference; ReduceLogSumExp at magnitudes where a
 * plain exp overflows; ArgMin's ties and dtypes; and (once OPSET_MAX
 * reaches 18) the axes input and noop_with_empty_axes, ReduceSumSquare's too.
 */
#include "reduce/reduce.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

#define N_ELEMENTS 24 /* the [2,3,4] test input */

static const int64_t dims3[3] = {2, 3, 4};

typedef struct op_case {
    const char *op_type;
    reduce_op_t op;
} op_case_t;

static const op_case_t op_cases[] = {
    {"ReduceL1", REDUCE_L1},          {"ReduceL2", REDUCE_L2},
    {"ReduceLogSum", REDUCE_LOG_SUM}, {"ReduceLogSumExp", REDUCE_LOG_SUM_EXP},
    {"ReduceProd", REDUCE_PROD},
};

/* The reduced output index of input element i of [2,3,4] under mask. */
static int64_t out_index(int64_t i, uint32_t mask)
{
    int64_t out = 0, stride = 1;

    for (int d = 2; d >= 0; d--) {
        int64_t coord = i % dims3[d];
        i /= dims3[d];
        if (mask & (1u << d))
            continue;
        out += coord * stride;
        stride *= dims3[d];
    }
    return out;
}

static double reference(reduce_op_t op, const double *x, uint32_t mask, int64_t o)
{
    double acc = op == REDUCE_PROD ? 1.0 : 0.0;

    for (int64_t i = 0; i < N_ELEMENTS; i++) {
        if (out_index(i, mask) != o)
            continue;
        switch (op) {
        case REDUCE_L1:
            acc += fabs(x[i]);
            break;
        case REDUCE_L2:
        case REDUCE_SUM_SQUARE:
            acc += x[i] * x[i];
            break;
        case REDUCE_LOG_SUM_EXP:
            acc += exp(x[i]);
            break;
        case REDUCE_PROD:
            acc *= x[i];
            break;
        default:
            acc += x[i];
        }
    }
    return op == REDUCE_L2                                    ? sqrt(acc)
           : op == REDUCE_LOG_SUM || op == REDUCE_LOG_SUM_EXP ? log(acc)
                                                              : acc;
}

/* Runs op at opset 13 with the axes attribute; returns output element o as a double. */
static double *run_reduce(const char *op_type, dtype_t t, const void *data, const int64_t *axes,
                          int n_axes, int keepdims, tensor_t *out)
{
    tensor_t x = harness_tensor(t, 3, dims3, (void *)data);
    const tensor_t *in[1] = {&x};
    const attr_t attrs[] = {harness_ints_attr("axes", axes, (size_t)n_axes),
                            harness_int_attr("keepdims", keepdims)};
    error_t err;
    status_t st = harness_run(op_type, 13, attrs, 2, 1, in, 1, out, &err);
    double *v;

    CHECK(st == STATUS_OK);
    if (st != STATUS_OK) {
        fprintf(stderr, "%s: %s\n", op_type, err.message);
        return NULL;
    }
    v = malloc((size_t)tensor_numel(out) * sizeof *v);
    for (int64_t i = 0; i < tensor_numel(out); i++) {
        switch (t) {
        case DTYPE_DOUBLE:
            v[i] = ((double *)out->data)[i];
            break;
        case DTYPE_INT64:
            v[i] = (double)((int64_t *)out->data)[i];
            break;
        default:
            v[i] = ((uint32_t *)out->data)[i];
        }
    }
    harness_free(out, 1);
    return v;
}

/* Axes {-1}, {0, -2} and {-3, -1}, as masks over [2,3,4]. */
static const int64_t axis_sets[3][2] = {{-1, 0}, {0, -2}, {-3, -1}};
static const int axis_counts[3] = {1, 2, 2};
static const uint32_t axis_masks[3] = {0x4, 0x3, 0x5};

static void test_dtypes_and_axes(void)
{
    double xd[N_ELEMENTS];
    int64_t xi[N_ELEMENTS];
    uint32_t xu[N_ELEMENTS];

    for (int i = 0; i < N_ELEMENTS; i++) {
        xd[i] = 0.25 * (i % 7) - 0.6 + 0.01 * i;
        xi[i] = (i % 5) - 1;
        xu[i] = 1 + (uint32_t)(i % 3);
    }
    for (size_t c = 0; c < sizeof op_cases / sizeof op_cases[0]; c++) {
        const op_case_t *oc = &op_cases[c];
        for (int s = 0; s < 3; s++) {
            for (int keep = 0; keep <= 1; keep++) {
                tensor_t out;
                double *yd = run_reduce(oc->op_type, DTYPE_DOUBLE, xd, axis_sets[s], axis_counts[s],
                                        keep, &out);
                int64_t n_out = tensor_numel(&out);
                CHECK(out.rank == (keep ? 3 : 3 - axis_counts[s]));
                /* Log of a non-positive sum is NaN or -inf in both. */
                for (int64_t o = 0; yd && o < n_out; o++) {
                    double r = reference(oc->op, xd, axis_masks[s], o);
                    if (isnan(r))
                        CHECK(isnan(yd[o]));
                    else
                        CHECK_NEAR(yd[o], r, 1e-12 * fmax(1, fabs(r)));
                }
                free(yd);
                /* Integer results: the double reference truncated (L1, L2, Prod exactly). */
                if (oc->op == REDUCE_LOG_SUM || oc->op == REDUCE_LOG_SUM_EXP)
                    continue;
                double xid[N_ELEMENTS], xud[N_ELEMENTS];
                for (int i = 0; i < N_ELEMENTS; i++) {
                    xid[i] = (double)xi[i];
                    xud[i] = xu[i];
                }
                double *yi = run_reduce(oc->op_type, DTYPE_INT64, xi, axis_sets[s], axis_counts[s],
                                        keep, &out);
                double *yu = run_reduce(oc->op_type, DTYPE_UINT32, xu, axis_sets[s], axis_counts[s],
                                        keep, &out);
                for (int64_t o = 0; yi && yu && o < n_out; o++) {
                    CHECK(yi[o] == trunc(reference(oc->op, xid, axis_masks[s], o)));
                    CHECK(yu[o] == trunc(reference(oc->op, xud, axis_masks[s], o)));
                }
                free(yi);
                free(yu);
            }
        }
    }
}

/* exp(1000) overflows a double: the maximum must be taken out first. */
static void test_log_sum_exp_large(void)
{
    float x[N_ELEMENTS];
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 3, dims3, x);
    const tensor_t *in[1] = {&tx};
    const int64_t axes[] = {1};
    const attr_t attrs[] = {harness_ints_attr("axes", axes, 1)};
    tensor_t out;
    error_t err;

    for (int i = 0; i < N_ELEMENTS; i++)
        x[i] = i < 12 ? 1000.0f + (float)(i % 4) : -INFINITY;
    CHECK(harness_run("ReduceLogSumExp", 11, attrs, 1, 1, in, 1, &out, &err) == STATUS_OK);
    if (out.data) {
        const float *y = out.data;
        for (int j = 0; j < 4; j++) {
            CHECK_NEAR(y[j], 1000.0 + j + log(3.0), 1e-3);
            CHECK(y[4 + j] == -INFINITY); /* a run of -inf only: log(0) */
        }
    }
    harness_free(&out, 1);
}

/* ArgMin: first or last of tied minima, along a negative axis, on int8 and double. */
static void test_argmin(void)
{
    int8_t xi[] = {3, -2, -2, 5, 9, -7, 0, -7};
    double xd[] = {1.5, 0.5, 0.5, 2.0, -1.0, -1.0};
    tensor_t ti = harness_tensor(DTYPE_INT8, 2, (int64_t[]){2, 4}, xi);
    tensor_t td = harness_tensor(DTYPE_DOUBLE, 2, (int64_t[]){3, 2}, xd);
    const tensor_t *iin[1] = {&ti}, *din[1] = {&td};
    const attr_t first[] = {harness_int_attr("axis", -1), harness_int_attr("keepdims", 0)};
    const attr_t last[] = {harness_int_attr("axis", -1), harness_int_attr("keepdims", 0),
                           harness_int_attr("select_last_index", 1)};
    const attr_t columns[] = {harness_int_attr("axis", -2),
                              harness_int_attr("select_last_index", 1)};
    tensor_t o1, o2, o3;
    error_t err;

    CHECK(harness_run("ArgMin", 13, first, 2, 1, iin, 1, &o1, &err) == STATUS_OK);
    CHECK(harness_run("ArgMin", 12, last, 3, 1, iin, 1, &o2, &err) == STATUS_OK);
    CHECK(harness_run("ArgMin", 13, columns, 2, 1, din, 1, &o3, &err) == STATUS_OK);
    if (o1.data && o2.data && o3.data) {
        const int64_t *y1 = o1.data, *y2 = o2.data, *y3 = o3.data;
        CHECK(o1.rank == 1 && o1.dims[0] == 2 && o1.dtype == DTYPE_INT64);
        CHECK(y1[0] == 1 && y1[1] == 1);
        CHECK(y2[0] == 2 && y2[1] == 3);
        /* Columns of [[1.5, 0.5], [0.5, 2], [-1, -1]]: minima in the last row. */
        CHECK(o3.rank == 2 && o3.dims[0] == 1 && o3.dims[1] == 2);
        CHECK(y3[0] == 2 && y3[1] == 2);
    }
    harness_free(&o1, 1);
    harness_free(&o2, 1);
    harness_free(&o3, 1);
}

#if OPSET_MAX >= 18
/* ReduceSumSquare joins the others at opset 18 (it has its own test at 1-17, test_reduce.c). */
static const op_case_t opset18_cases[] = {
    {"ReduceL1", REDUCE_L1},          {"ReduceL2", REDUCE_L2},
    {"ReduceLogSum", REDUCE_LOG_SUM}, {"ReduceLogSumExp", REDUCE_LOG_SUM_EXP},
    {"ReduceProd", REDUCE_PROD},      {"ReduceSumSquare", REDUCE_SUM_SQUARE},
};

/* From opset 18 the axes are input 1: given, empty (all, or the input with noop_with_empty_axes).
 */
static void test_axes_input(void)
{
    double x[N_ELEMENTS];
    const int64_t axes_v[] = {-1};
    tensor_t tx = harness_tensor(DTYPE_DOUBLE, 3, dims3, x);
    tensor_t taxes = harness_tensor(DTYPE_INT64, 1, (int64_t[]){1}, (void *)axes_v);
    tensor_t tnone = harness_tensor(DTYPE_INT64, 1, (int64_t[]){0}, NULL);
    const tensor_t *given[2] = {&tx, &taxes}, *empty[2] = {&tx, &tnone}, *omitted[1] = {&tx};
    const attr_t noop = harness_int_attr("noop_with_empty_axes", 1);
    const attr_t flat = harness_int_attr("keepdims", 0);
    tensor_t out;
    error_t err;

    for (int i = 0; i < N_ELEMENTS; i++)
        x[i] = 0.1 * (i + 1);
    for (size_t c = 0; c < sizeof opset18_cases / sizeof opset18_cases[0]; c++) {
        const op_case_t *oc = &opset18_cases[c];
        CHECK(harness_run_runtime(oc->op_type, 18, &flat, 1, 2, given, 1, &out, &err) == STATUS_OK);
        CHECK(out.rank == 2 && out.dims[0] == 2 && out.dims[1] == 3);
        for (int64_t o = 0; out.data && o < 6; o++)
            CHECK_NEAR(((double *)out.data)[o], reference(oc->op, x, 0x4, o), 1e-12);
        harness_free(&out, 1);
        CHECK(harness_run(oc->op_type, 18, NULL, 0, 2, empty, 1, &out, &err) == STATUS_OK);
        CHECK(out.rank == 3 && tensor_numel(&out) == 1);
        if (out.data)
            CHECK_NEAR(((double *)out.data)[0], reference(oc->op, x, 0x7, 0), 1e-9);
        harness_free(&out, 1);
        /* No axes with noop_with_empty_axes: the input as it is, but squared by ReduceSumSquare
         * (as ONNX's reference and ONNX Runtime do; tests/conformance/test_opsets_18_21.py). */
        CHECK(harness_run(oc->op_type, 18, &noop, 1, 1, omitted, 1, &out, &err) == STATUS_OK);
        CHECK(out.rank == 3 && out.data);
        for (int i = 0; out.data && i < N_ELEMENTS; i++)
            CHECK(((double *)out.data)[i] == (oc->op == REDUCE_SUM_SQUARE ? x[i] * x[i] : x[i]));
        harness_free(&out, 1);
    }
}
#endif

int main(void)
{
    test_dtypes_and_axes();
    test_log_sum_exp_large();
    test_argmin();
#if OPSET_MAX >= 18
    test_axes_input();
#endif
    CHECK_DONE();
}
