/*
 * Unit tests of CumSum, Trilu, OneHot, EyeLike and Hardmax where the ONNX
 * node tests leave gaps: CumSum on integers (wrapping) along inner and
 * negative axes in all four modes with the axis arriving at run time;
 * Trilu on bool and int64 batches with k beyond the matrix; OneHot's
 * negative indices at opsets 9 and 11, real indices and depth, axis 0;
 * EyeLike's k and dtype on non-square shapes; Hardmax's first-of-ties on
 * double along an inner axis; and the prototypes' failure messages.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* CumSum of int32 [2,3] along axis -2 (the inner path) in each mode. */
static void test_cumsum(void)
{
    int32_t x[] = {1, 2, 3, INT32_MAX, 10, 20};
    int64_t axis = -2;
    tensor_t tx = harness_tensor(DTYPE_INT32, 2, (int64_t[]){2, 3}, x);
    tensor_t ta = harness_tensor(DTYPE_INT64, 0, NULL, &axis);
    const tensor_t *in[2] = {&tx, &ta};
    /* Column sums; INT32_MAX + 1 wraps to INT32_MIN. */
    static const int32_t want[4][6] = {
        {1, 2, 3, INT32_MIN, 12, 23}, /* inclusive */
        {0, 0, 0, 1, 2, 3},           /* exclusive */
        {INT32_MIN, 12, 23, INT32_MAX, 10, 20},
        {INT32_MAX, 10, 20, 0, 0, 0}, /* reverse exclusive */
    };
    for (int mode = 0; mode < 4; mode++) {
        const attr_t attrs[] = {harness_int_attr("exclusive", mode & 1),
                                harness_int_attr("reverse", mode >> 1)};
        tensor_t out;
        error_t err;
        CHECK(harness_run_runtime("CumSum", 14, attrs, 2, 2, in, 1, &out, &err) == STATUS_OK);
        CHECK(out.data && memcmp(out.data, want[mode], sizeof want[mode]) == 0);
        harness_free(&out, 1);
    }
}

/* CumSum along the last axis (the contiguous scan) in double, and a bad axis at run time. */
static void test_cumsum_last_axis(void)
{
    double x[] = {0.5, 1.5, 2.0, -1.0, 4.0, 8.0};
    int32_t axis = 1, bad = 2;
    tensor_t tx = harness_tensor(DTYPE_DOUBLE, 2, (int64_t[]){2, 3}, x);
    tensor_t ta = harness_tensor(DTYPE_INT32, 1, (int64_t[]){1}, &axis);
    tensor_t tb = harness_tensor(DTYPE_INT32, 1, (int64_t[]){1}, &bad);
    const tensor_t *in[2] = {&tx, &ta}, *bad_in[2] = {&tx, &tb};
    const attr_t reverse = harness_int_attr("reverse", 1);
    tensor_t out;
    error_t err;

    CHECK(harness_run("CumSum", 11, &reverse, 1, 2, in, 1, &out, &err) == STATUS_OK);
    if (out.data) {
        static const double want[] = {4.0, 3.5, 2.0, 11.0, 12.0, 8.0};
        CHECK(memcmp(out.data, want, sizeof want) == 0);
    }
    harness_free(&out, 1);
    CHECK_FAILS(harness_run_runtime("CumSum", 14, NULL, 0, 2, bad_in, 1, &out, &err), err,
                STATUS_INVALID_ARGUMENT, "CumSum", HARNESS_NODE, "axis 2");
}

/* Trilu on a [2,2,3] bool batch (lower, k = -1) and int64 (upper, k past the columns). */
static void test_trilu(void)
{
    bool b[12];
    int64_t xi[6] = {1, 2, 3, 4, 5, 6};
    int64_t k_lower = -1, k_far = 5;
    tensor_t tb = harness_tensor(DTYPE_BOOL, 3, (int64_t[]){2, 2, 3}, b);
    tensor_t tkl = harness_tensor(DTYPE_INT64, 0, NULL, &k_lower);
    tensor_t ti = harness_tensor(DTYPE_INT64, 2, (int64_t[]){2, 3}, xi);
    tensor_t tkf = harness_tensor(DTYPE_INT64, 0, NULL, &k_far);
    const tensor_t *bin[2] = {&tb, &tkl}, *iin[2] = {&ti, &tkf}, *plain[1] = {&ti};
    const attr_t lower = harness_int_attr("upper", 0);
    tensor_t o1, o2, o3;
    error_t err;

    for (int i = 0; i < 12; i++)
        b[i] = true;
    CHECK(harness_run_runtime("Trilu", 14, &lower, 1, 2, bin, 1, &o1, &err) == STATUS_OK);
    CHECK(harness_run("Trilu", 14, NULL, 0, 2, iin, 1, &o2, &err) == STATUS_OK);
    CHECK(harness_run("Trilu", 14, &lower, 1, 1, plain, 1, &o3, &err) == STATUS_OK);
    if (o1.data && o2.data && o3.data) {
        static const bool want_b[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0};
        static const int64_t zeros[6] = {0};
        static const int64_t want_lower[] = {1, 0, 0, 4, 5, 0};
        CHECK(memcmp(o1.data, want_b, sizeof want_b) == 0);
        CHECK(memcmp(o2.data, zeros, sizeof zeros) == 0);
        CHECK(memcmp(o3.data, want_lower, sizeof want_lower) == 0);
    }
    harness_free(&o1, 1);
    harness_free(&o2, 1);
    harness_free(&o3, 1);
    CHECK_FAILS(harness_run("Trilu", 14, NULL, 0, 1, (const tensor_t *const[]){&tkl}, 1, &o1, &err),
                err, STATUS_INVALID_ARGUMENT, "Trilu", HARNESS_NODE, "rank 2");
}

/* OneHot: index -1 is off everywhere at opset 9 and depth - 1 at 11; float indices, axis 0. */
static void test_onehot(void)
{
    float idx[] = {0.0f, -1.0f, 2.7f, 7.0f};
    double depth = 3.0;
    int32_t values[] = {-5, 9};
    tensor_t ti = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){4}, idx);
    tensor_t td = harness_tensor(DTYPE_DOUBLE, 0, NULL, &depth);
    tensor_t tv = harness_tensor(DTYPE_INT32, 1, (int64_t[]){2}, values);
    const tensor_t *in[3] = {&ti, &td, &tv};
    const attr_t axis0 = harness_int_attr("axis", 0);
    tensor_t o9, o11;
    error_t err;

    CHECK(harness_run_runtime("OneHot", 9, &axis0, 1, 3, in, 1, &o9, &err) == STATUS_OK);
    CHECK(harness_run_runtime("OneHot", 11, &axis0, 1, 3, in, 1, &o11, &err) == STATUS_OK);
    CHECK(o11.rank == 2 && o11.dims[0] == 3 && o11.dims[1] == 4 && o11.dtype == DTYPE_INT32);
    if (o9.data && o11.data) {
        /* [depth, n]: column j is one-hot of idx[j] (2.7 truncates to 2; 7 is out of range). */
        static const int32_t want9[] = {9, -5, -5, -5, -5, -5, -5, -5, -5, -5, 9, -5};
        static const int32_t want11[] = {9, -5, -5, -5, -5, -5, -5, -5, -5, 9, 9, -5};
        CHECK(memcmp(o9.data, want9, sizeof want9) == 0);
        CHECK(memcmp(o11.data, want11, sizeof want11) == 0);
    }
    harness_free(&o9, 1);
    harness_free(&o11, 1);
    depth = 0.0;
    CHECK_FAILS(harness_run("OneHot", 11, NULL, 0, 3, in, 1, &o9, &err), err,
                STATUS_INVALID_ARGUMENT, "OneHot", HARNESS_NODE, "depth");
}

/* EyeLike on [2,4] with k = 1 as bool, and on [3,2] with k = -1 in the input's int16. */
static void test_eyelike(void)
{
    float x[8] = {0};
    int16_t xi[6] = {0};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 2, (int64_t[]){2, 4}, x);
    tensor_t ti = harness_tensor(DTYPE_INT16, 2, (int64_t[]){3, 2}, xi);
    const tensor_t *in[1] = {&tx}, *iin[1] = {&ti};
    const attr_t as_bool[] = {harness_int_attr("k", 1), harness_int_attr("dtype", DTYPE_BOOL)};
    const attr_t below = harness_int_attr("k", -1);
    tensor_t o1, o2;
    error_t err;

    CHECK(harness_run("EyeLike", 9, as_bool, 2, 1, in, 1, &o1, &err) == STATUS_OK);
    CHECK(harness_run("EyeLike", 9, &below, 1, 1, iin, 1, &o2, &err) == STATUS_OK);
    CHECK(o1.dtype == DTYPE_BOOL && o2.dtype == DTYPE_INT16);
    if (o1.data && o2.data) {
        static const bool want_b[] = {0, 1, 0, 0, 0, 0, 1, 0};
        static const int16_t want_i[] = {0, 0, 1, 0, 0, 1};
        CHECK(memcmp(o1.data, want_b, sizeof want_b) == 0);
        CHECK(memcmp(o2.data, want_i, sizeof want_i) == 0);
    }
    harness_free(&o1, 1);
    harness_free(&o2, 1);
}

/* Hardmax along axis 0 of a [3,2] double (the inner path): ties go to the first. */
static void test_hardmax(void)
{
    double x[] = {1.0, 5.0, 3.0, 5.0, 3.0, -1.0};
    tensor_t tx = harness_tensor(DTYPE_DOUBLE, 2, (int64_t[]){3, 2}, x);
    const tensor_t *in[1] = {&tx};
    const attr_t axis0 = harness_int_attr("axis", 0);
    tensor_t out;
    error_t err;

    CHECK(harness_run("Hardmax", 13, &axis0, 1, 1, in, 1, &out, &err) == STATUS_OK);
    if (out.data) {
        static const double want[] = {0, 1, 1, 0, 0, 0};
        CHECK(memcmp(out.data, want, sizeof want) == 0);
    }
    harness_free(&out, 1);
}

int main(void)
{
    test_cumsum();
    test_cumsum_last_axis();
    test_trilu();
    test_onehot();
    test_eyelike();
    test_hardmax();
    CHECK_DONE();
}
