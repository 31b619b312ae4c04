/*
 * Unit tests of the binary-family ops of issue 14 where the ONNX node tests
 * leave gaps: Mod's two remainders on signed, unsigned and real types at
 * the edges (zero divisor, MIN % -1, broadcasting), Mod's fmod=0 refusal on
 * floats, BitShift past the type's width, Mean over broadcast doubles, and
 * (once OPSET_MAX reaches 18) BitwiseAnd, BitwiseOr and BitwiseXor.
 */
#include "binary/binary.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* Runs a two-or-more-input op; returns the malloc'd output data or NULL on failure. */
static void *run_op(const char *op, int opset, const attr_t *attrs, size_t n_attrs, int n_in,
                    const tensor_t *const *in, tensor_t *out)
{
    error_t err;
    status_t st = harness_run(op, opset, attrs, n_attrs, n_in, in, 1, out, &err);

    CHECK(st == STATUS_OK);
    if (st != STATUS_OK) {
        fprintf(stderr, "%s: %s\n", op, err.message);
        return NULL;
    }
    return out->data;
}

/* int32 Mod: Python's remainder by default, C's with fmod=1; divisor broadcast per column. */
static void test_mod_signed(void)
{
    int32_t a[] = {-7, 7, -7, 7, INT32_MIN, 5, -7, 7};
    int32_t b[] = {3, -3, -3, 3, -1, 0, 3, -3};
    /* -7 mod 3 = 2 (Python), -1 (C); 7 mod -3 = -2, 1; INT32_MIN mod -1 = 0; x mod 0 = 0. */
    static const int32_t python[] = {2, -2, -1, 1, 0, 0, 2, -2};
    static const int32_t c[] = {-1, 1, -1, 1, 0, 0, -1, 1};
    tensor_t ta = harness_tensor(DTYPE_INT32, 1, (int64_t[]){8}, a);
    tensor_t tb = harness_tensor(DTYPE_INT32, 1, (int64_t[]){8}, b);
    const tensor_t *in[2] = {&ta, &tb};
    const attr_t fmod = harness_int_attr("fmod", 1);
    tensor_t o1, o2;
    int32_t *y1 = run_op("Mod", 10, NULL, 0, 2, in, &o1);
    int32_t *y2 = run_op("Mod", 13, &fmod, 1, 2, in, &o2);

    CHECK(y1 && memcmp(y1, python, sizeof python) == 0);
    CHECK(y2 && memcmp(y2, c, sizeof c) == 0);
    harness_free(&o1, 1);
    harness_free(&o2, 1);
}

/* int8 [2,3] mod a [3] row, uint16 mod a scalar. */
static void test_mod_broadcast(void)
{
    int8_t a[] = {-128, -5, 0, 127, 5, -1};
    int8_t b[] = {7, -4, 2};
    uint16_t ua[] = {0, 1, 65535, 1000};
    uint16_t ub = 7;
    tensor_t ta = harness_tensor(DTYPE_INT8, 2, (int64_t[]){2, 3}, a);
    tensor_t tb = harness_tensor(DTYPE_INT8, 1, (int64_t[]){3}, b);
    tensor_t tua = harness_tensor(DTYPE_UINT16, 1, (int64_t[]){4}, ua);
    tensor_t tub = harness_tensor(DTYPE_UINT16, 0, NULL, &ub);
    const tensor_t *in[2] = {&ta, &tb}, *uin[2] = {&tua, &tub};
    tensor_t o, uo;
    int8_t *y = run_op("Mod", 13, NULL, 0, 2, in, &o);
    uint16_t *uy = run_op("Mod", 13, NULL, 0, 2, uin, &uo);

    if (y && uy) {
        /* Python: -128 % 7 = 5, -5 % -4 = -1, 0 % 2 = 0, 127 % 7 = 1, 5 % -4 = -3, -1 % 2 = 1 */
        static const int8_t want[] = {5, -1, 0, 1, -3, 1};
        CHECK(memcmp(y, want, sizeof want) == 0);
        CHECK(uy[0] == 0 && uy[1] == 1 && uy[2] == 65535 % 7 && uy[3] == 1000 % 7);
    }
    harness_free(&o, 1);
    harness_free(&uo, 1);
}

/* Real Mod needs fmod=1 and follows C's fmod (the dividend's sign). */
static void test_mod_real(void)
{
    double a[] = {-7.5, 7.5, 5.0, -0.0};
    double b[] = {2.0, -2.0, 0.0, 3.0};
    tensor_t ta = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){4}, a);
    tensor_t tb = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){4}, b);
    const tensor_t *in[2] = {&ta, &tb};
    const attr_t fmod = harness_int_attr("fmod", 1);
    tensor_t o;
    error_t err;
    double *y = run_op("Mod", 13, &fmod, 1, 2, in, &o);

    if (y) {
        CHECK(y[0] == -1.5 && y[1] == 1.5 && isnan(y[2]) && y[3] == 0.0 && signbit(y[3]));
    }
    harness_free(&o, 1);
    CHECK_FAILS(harness_run("Mod", 13, NULL, 0, 2, in, 1, &o, &err), err, STATUS_INVALID_ARGUMENT,
                "Mod", HARNESS_NODE, "fmod=0");
}

static void test_bit_shift(void)
{
    uint8_t a[] = {1, 0x80, 0xff, 3};
    uint8_t b[] = {7, 1, 8, 200};
    uint64_t wa[] = {1, UINT64_MAX};
    uint64_t wb[] = {63, 64};
    tensor_t ta = harness_tensor(DTYPE_UINT8, 1, (int64_t[]){4}, a);
    tensor_t tb = harness_tensor(DTYPE_UINT8, 1, (int64_t[]){4}, b);
    tensor_t twa = harness_tensor(DTYPE_UINT64, 1, (int64_t[]){2}, wa);
    tensor_t twb = harness_tensor(DTYPE_UINT64, 1, (int64_t[]){2}, wb);
    const tensor_t *in[2] = {&ta, &tb}, *win[2] = {&twa, &twb};
    const attr_t left = harness_string_attr("direction", "LEFT");
    const attr_t right = harness_string_attr("direction", "RIGHT");
    const attr_t bad = harness_string_attr("direction", "UP");
    tensor_t o1, o2, o3;
    error_t err;
    uint8_t *l = run_op("BitShift", 11, &left, 1, 2, in, &o1);
    uint8_t *r = run_op("BitShift", 11, &right, 1, 2, in, &o2);
    uint64_t *wl = run_op("BitShift", 11, &left, 1, 2, win, &o3);

    if (l && r && wl) {
        CHECK(l[0] == 0x80 && l[1] == 0 && l[2] == 0 && l[3] == 0);
        CHECK(r[0] == 0 && r[1] == 0x40 && r[2] == 0 && r[3] == 0);
        CHECK(wl[0] == (uint64_t)1 << 63 && wl[1] == 0);
    }
    harness_free(&o1, 1);
    harness_free(&o2, 1);
    harness_free(&o3, 1);
    CHECK_FAILS(harness_run("BitShift", 11, &bad, 1, 2, in, 1, &o1, &err), err,
                STATUS_INVALID_MODEL, "BitShift", HARNESS_NODE, "direction");
}

/* Mean of three broadcast doubles: [2,3], [3] and a scalar. */
static void test_mean(void)
{
    double a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30}, c = 3;
    tensor_t ta = harness_tensor(DTYPE_DOUBLE, 2, (int64_t[]){2, 3}, a);
    tensor_t tb = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){3}, b);
    tensor_t tc = harness_tensor(DTYPE_DOUBLE, 0, NULL, &c);
    const tensor_t *in[3] = {&tc, &tb, &ta};
    tensor_t o;
    double *y = run_op("Mean", 13, NULL, 0, 3, in, &o);

    CHECK(o.rank == 2 && o.dims[0] == 2 && o.dims[1] == 3);
    for (int i = 0; y && i < 6; i++)
        CHECK_NEAR(y[i], (a[i] + b[i % 3] + c) / 3.0, 1e-15);
    harness_free(&o, 1);
}

#if OPSET_MAX >= 18
static void test_bitwise(void)
{
    int16_t a[] = {-1, 0x0f0f, INT16_MIN, 12};
    int16_t b[] = {0x00ff, -1, -1, 10};
    tensor_t ta = harness_tensor(DTYPE_INT16, 1, (int64_t[]){4}, a);
    tensor_t tb = harness_tensor(DTYPE_INT16, 1, (int64_t[]){4}, b);
    const tensor_t *in[2] = {&ta, &tb};
    tensor_t o1, o2, o3;
    int16_t *y_and = run_op("BitwiseAnd", 18, NULL, 0, 2, in, &o1);
    int16_t *y_or = run_op("BitwiseOr", 18, NULL, 0, 2, in, &o2);
    int16_t *y_xor = run_op("BitwiseXor", 18, NULL, 0, 2, in, &o3);

    for (int i = 0; y_and && y_or && y_xor && i < 4; i++) {
        CHECK(y_and[i] == (int16_t)(a[i] & b[i]));
        CHECK(y_or[i] == (int16_t)(a[i] | b[i]));
        CHECK(y_xor[i] == (int16_t)(a[i] ^ b[i]));
    }
    harness_free(&o1, 1);
    harness_free(&o2, 1);
    harness_free(&o3, 1);
}
#endif

int main(void)
{
    test_mod_signed();
    test_mod_broadcast();
    test_mod_real();
    test_bit_shift();
    test_mean();
#if OPSET_MAX >= 18
    test_bitwise();
#endif
    CHECK_DONE();
}
