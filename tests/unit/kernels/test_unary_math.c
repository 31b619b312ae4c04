/*
 * Unit tests of the unary ops of issue 14 where the ONNX node tests leave
 * gaps: the circular and hyperbolic functions in float and double against
 * libm on vectors long enough for every vector width and tail, the
 * activations in double and at extreme inputs, Round's ties, Sign, IsInf,
 * IsNaN and Shrink on other dtypes, and (once OPSET_MAX reaches 18) Mish
 * and BitwiseNot.
 */
#include "unary/unary.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "op_harness.h"

/* Long enough for 16-lane loops plus a tail of every length up to 15 across runs. */
#define VECTOR_LENGTH 203

/* Runs a one-input op; returns the malloc'd output data (free it) or NULL on failure. */
static void *run_one(const char *op, int opset, const attr_t *attrs, size_t n_attrs,
                     const tensor_t *x, tensor_t *out)
{
    const tensor_t *in[1] = {x};
    error_t err;
    status_t st = harness_run(op, opset, attrs, n_attrs, 1, in, 1, out, &err);

    CHECK(st == STATUS_OK);
    if (st != STATUS_OK) {
        fprintf(stderr, "%s: %s\n", op, err.message);
        return NULL;
    }
    CHECK(shape_equal(out->rank, out->dims, x->rank, x->dims));
    return out->data;
}

/* |y - ref| within rel * |ref| + abs; infinities must match exactly. */
#define CHECK_CLOSE(y, ref, rel, abs)                                                              \
    do {                                                                                           \
        double close_r_ = (ref);                                                                   \
        if (isinf(close_r_))                                                                       \
            CHECK((y) == close_r_);                                                                \
        else                                                                                       \
            CHECK_NEAR((y), close_r_, (rel)*fabs(close_r_) + (abs));                               \
    } while (0)

typedef struct math_case {
    const char *op;
    int opset;
    double (*ref)(double);
    double lo, hi; /* the inputs' range */
} math_case_t;

static const math_case_t math_cases[] = {
    {"Cos", 7, cos, -10, 10},     {"Sin", 7, sin, -10, 10},         {"Tan", 7, tan, -1.5, 1.5},
    {"Acos", 7, acos, -1, 1},     {"Asin", 7, asin, -1, 1},         {"Atan", 7, atan, -50, 50},
    {"Cosh", 9, cosh, -10, 10},   {"Sinh", 9, sinh, -10, 10},       {"Acosh", 9, acosh, 1, 100},
    {"Asinh", 9, asinh, -50, 50}, {"Atanh", 9, atanh, -0.99, 0.99},
};

static void test_math_float_and_double(void)
{
    float xf[VECTOR_LENGTH];
    double xd[VECTOR_LENGTH];

    for (size_t c = 0; c < sizeof math_cases / sizeof math_cases[0]; c++) {
        const math_case_t *mc = &math_cases[c];
        tensor_t tf = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){VECTOR_LENGTH}, xf);
        tensor_t td = harness_tensor(DTYPE_DOUBLE, 2, (int64_t[]){7, 29}, xd);
        tensor_t of, od;
        for (int i = 0; i < VECTOR_LENGTH; i++) {
            xd[i] = mc->lo + (mc->hi - mc->lo) * i / (VECTOR_LENGTH - 1);
            xf[i] = (float)xd[i];
        }
        float *yf = run_one(mc->op, mc->opset, NULL, 0, &tf, &of);
        double *yd = run_one(mc->op, mc->opset, NULL, 0, &td, &od);
        CHECK(of.dtype == DTYPE_FLOAT && od.dtype == DTYPE_DOUBLE);
        for (int i = 0; yf && yd && i < VECTOR_LENGTH; i++) {
            double rf = mc->ref(xf[i]), rd = mc->ref(xd[i]);
            /* 1 ulp each way (sleef's u10) plus the float input's own rounding. */
            CHECK_NEAR(yf[i], rf, 4e-7 * fmax(1.0, fabs(rf)));
            CHECK_NEAR(yd[i], rd, 1e-15 * fmax(1.0, fabs(rd)));
        }
        harness_free(&of, 1);
        harness_free(&od, 1);
    }
}

static double softplus_ref(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* Elu, Selu, Softplus, Softsign and ThresholdedRelu in double, attributes set, extremes included.
 */
static void test_activations_double(void)
{
    double x[VECTOR_LENGTH];
    tensor_t tx = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){VECTOR_LENGTH}, x);
    const attr_t alpha = {.name = "alpha", .type = ATTR_FLOAT, .f = 0.5f};
    const attr_t selu[] = {{.name = "alpha", .type = ATTR_FLOAT, .f = 2.0f},
                           {.name = "gamma", .type = ATTR_FLOAT, .f = 3.0f}};
    tensor_t out;
    double *y;

    for (int i = 0; i < VECTOR_LENGTH; i++)
        x[i] = -800.0 + 1600.0 * i / (VECTOR_LENGTH - 1) + (i == VECTOR_LENGTH / 2 ? 1e-9 : 0);
    if ((y = run_one("Elu", 6, &alpha, 1, &tx, &out))) {
        for (int i = 0; i < VECTOR_LENGTH; i++)
            CHECK_NEAR(y[i], x[i] < 0 ? 0.5 * expm1(x[i]) : x[i], 1e-14 * fmax(1, fabs(x[i])));
        harness_free(&out, 1);
    }
    if ((y = run_one("Selu", 6, selu, 2, &tx, &out))) {
        for (int i = 0; i < VECTOR_LENGTH; i++)
            CHECK_NEAR(y[i], x[i] <= 0 ? 6.0 * expm1(x[i]) : 3.0 * x[i],
                       1e-14 * fmax(1, fabs(x[i])));
        harness_free(&out, 1);
    }
    /* Softplus neither overflows at 800 nor loses e^-800 to 0 in the middle. */
    if ((y = run_one("Softplus", 1, NULL, 0, &tx, &out))) {
        for (int i = 0; i < VECTOR_LENGTH; i++)
            CHECK_CLOSE(y[i], softplus_ref(x[i]), 1e-14, 1e-320);
        harness_free(&out, 1);
    }
    if ((y = run_one("Softsign", 1, NULL, 0, &tx, &out))) {
        for (int i = 0; i < VECTOR_LENGTH; i++)
            CHECK_NEAR(y[i], x[i] / (1 + fabs(x[i])), 1e-15);
        harness_free(&out, 1);
    }
    if ((y = run_one("ThresholdedRelu", 10, &alpha, 1, &tx, &out))) {
        for (int i = 0; i < VECTOR_LENGTH; i++)
            CHECK(y[i] == (x[i] > 0.5 ? x[i] : 0.0));
        harness_free(&out, 1);
    }
}

/* Softplus and Celu in float at the ends of float's exp range. */
static void test_activations_float_extremes(void)
{
    float x[] = {-200.0f, -90.0f, -1e-8f, 0.0f, 1e-8f, 30.0f, 100.0f, 1e30f, INFINITY, -INFINITY};
    tensor_t tx = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){10}, x);
    const attr_t alpha = {.name = "alpha", .type = ATTR_FLOAT, .f = 2.0f};
    tensor_t out;
    float *y;

    if ((y = run_one("Softplus", 1, NULL, 0, &tx, &out))) {
        for (int i = 0; i < 10; i++)
            CHECK_CLOSE(y[i], softplus_ref(x[i]), 2e-7, FLT_MIN);
        harness_free(&out, 1);
    }
    if ((y = run_one("Celu", 12, &alpha, 1, &tx, &out))) {
        for (int i = 0; i < 10; i++)
            CHECK_CLOSE(y[i], fmax(0, x[i]) + fmin(0, 2.0 * expm1(x[i] / 2.0)), 2e-7, 2e-7);
        harness_free(&out, 1);
    }
}

/* Round halves to even, in both types, also just above where every value is an integer. */
static void test_round(void)
{
    enum { N = 12 };
    static const double x[N] = {0.5,    1.5,     2.5,  -0.5,      -1.5,       -2.5,
                                2.4999, -2.5001, 1e20, 8388609.0, 0.49999997, 4503599627370497.0};
    static const double want[N] = {0, 2,  2,    -0.0,      -2, -2,
                                   2, -3, 1e20, 8388609.0, 0,  4503599627370497.0};
    float xf[N];
    tensor_t td = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){N}, (void *)x);
    tensor_t tf = harness_tensor(DTYPE_FLOAT, 1, (int64_t[]){N}, xf);
    tensor_t od, of;

    for (int i = 0; i < N; i++)
        xf[i] = (float)x[i];
    double *yd = run_one("Round", 11, NULL, 0, &td, &od);
    float *yf = run_one("Round", 11, NULL, 0, &tf, &of);
    for (int i = 0; yd && yf && i < N; i++) {
        CHECK(yd[i] == want[i]);
        CHECK(yf[i] == (float)want[i]);
    }
    CHECK(yd && signbit(yd[3]) && yf && signbit(yf[3]));
    harness_free(&od, 1);
    harness_free(&of, 1);
}

static void test_sign(void)
{
    int8_t xi[] = {-128, -1, 0, 1, 127};
    uint8_t xu[] = {0, 1, 255};
    double xd[] = {-3.5, -0.0, 0.0, 2.0, NAN};
    tensor_t ti = harness_tensor(DTYPE_INT8, 1, (int64_t[]){5}, xi);
    tensor_t tu = harness_tensor(DTYPE_UINT8, 1, (int64_t[]){3}, xu);
    tensor_t td = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){5}, xd);
    tensor_t oi, ou, od;
    int8_t *yi = run_one("Sign", 13, NULL, 0, &ti, &oi);
    uint8_t *yu = run_one("Sign", 9, NULL, 0, &tu, &ou);
    double *yd = run_one("Sign", 13, NULL, 0, &td, &od);

    if (yi && yu && yd) {
        CHECK(yi[0] == -1 && yi[1] == -1 && yi[2] == 0 && yi[3] == 1 && yi[4] == 1);
        CHECK(yu[0] == 0 && yu[1] == 1 && yu[2] == 1);
        CHECK(yd[0] == -1 && yd[1] == 0 && yd[2] == 0 && yd[3] == 1 && isnan(yd[4]));
    }
    harness_free(&oi, 1);
    harness_free(&ou, 1);
    harness_free(&od, 1);
}

/* IsInf with each detect flag, IsNaN, in double; the outputs are bool. */
static void test_tests(void)
{
    double x[] = {-INFINITY, INFINITY, NAN, 0.0, -1e308, DBL_MAX};
    tensor_t tx = harness_tensor(DTYPE_DOUBLE, 2, (int64_t[]){2, 3}, x);
    const attr_t only_negative[] = {harness_int_attr("detect_positive", 0)};
    const attr_t only_positive[] = {harness_int_attr("detect_negative", 0)};
    tensor_t o1, o2, o3, o4;
    bool *both = run_one("IsInf", 10, NULL, 0, &tx, &o1);
    bool *neg = run_one("IsInf", 10, only_negative, 1, &tx, &o2);
    bool *pos = run_one("IsInf", 10, only_positive, 1, &tx, &o3);
    bool *nan = run_one("IsNaN", 13, NULL, 0, &tx, &o4);

    CHECK(o1.dtype == DTYPE_BOOL && o4.dtype == DTYPE_BOOL);
    for (int i = 0; both && neg && pos && nan && i < 6; i++) {
        CHECK(both[i] == (i < 2));
        CHECK(neg[i] == (i == 0));
        CHECK(pos[i] == (i == 1));
        CHECK(nan[i] == (i == 2));
    }
    harness_free(&o1, 1);
    harness_free(&o2, 1);
    harness_free(&o3, 1);
    harness_free(&o4, 1);
}

/* Shrink on integers: the float lambd and bias apply, results convert back. */
static void test_shrink_integers(void)
{
    int32_t xi[] = {-5, -2, -1, 0, 1, 2, 5};
    uint8_t xu[] = {0, 1, 2, 200};
    const attr_t attrs[] = {{.name = "lambd", .type = ATTR_FLOAT, .f = 1.5f},
                            {.name = "bias", .type = ATTR_FLOAT, .f = 1.0f}};
    tensor_t ti = harness_tensor(DTYPE_INT32, 1, (int64_t[]){7}, xi);
    tensor_t tu = harness_tensor(DTYPE_UINT8, 1, (int64_t[]){4}, xu);
    tensor_t oi, ou;
    int32_t *yi = run_one("Shrink", 9, attrs, 2, &ti, &oi);
    uint8_t *yu = run_one("Shrink", 9, attrs, 2, &tu, &ou);

    if (yi && yu) {
        static const int32_t want[] = {-4, -1, 0, 0, 0, 1, 4};
        CHECK(memcmp(yi, want, sizeof want) == 0);
        CHECK(yu[0] == 0 && yu[1] == 0 && yu[2] == 1 && yu[3] == 199);
    }
    harness_free(&oi, 1);
    harness_free(&ou, 1);
}

static void test_failures(void)
{
    const attr_t bad = harness_int_attr("detect_negative", 2);
    tensor_t out;
    error_t err;
    double xd[2] = {0};
    tensor_t td = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){2}, xd);
    const tensor_t *din[1] = {&td};

    CHECK_FAILS(harness_run("IsInf", 10, &bad, 1, 1, din, 1, &out, &err), err, STATUS_INVALID_MODEL,
                "IsInf", HARNESS_NODE, "detect_negative");
    /* Each op starts at its first opset. */
    CHECK(op_registry_find("Cos", 6) == NULL && op_registry_find("Cos", 7) != NULL);
    CHECK(op_registry_find("Celu", 11) == NULL && op_registry_find("Celu", 12) != NULL);
    CHECK(op_registry_find("Mish", 17) == NULL);
}

#if OPSET_MAX >= 18
/* Mish and BitwiseNot, opset 18. */
static void test_opset18(void)
{
    double x[VECTOR_LENGTH];
    tensor_t tx = harness_tensor(DTYPE_DOUBLE, 1, (int64_t[]){VECTOR_LENGTH}, x);
    int16_t xi[] = {0, -1, 5, INT16_MIN};
    uint64_t xu[] = {0, UINT64_MAX, 5};
    tensor_t ti = harness_tensor(DTYPE_INT16, 1, (int64_t[]){4}, xi);
    tensor_t tu = harness_tensor(DTYPE_UINT64, 1, (int64_t[]){3}, xu);
    tensor_t out, oi, ou;
    double *y;

    for (int i = 0; i < VECTOR_LENGTH; i++)
        x[i] = -60.0 + 120.0 * i / (VECTOR_LENGTH - 1);
    if ((y = run_one("Mish", 18, NULL, 0, &tx, &out))) {
        for (int i = 0; i < VECTOR_LENGTH; i++)
            CHECK_NEAR(y[i], x[i] * tanh(softplus_ref(x[i])), 1e-14 * fmax(1, fabs(x[i])));
        harness_free(&out, 1);
    }
    int16_t *yi = run_one("BitwiseNot", 18, NULL, 0, &ti, &oi);
    uint64_t *yu = run_one("BitwiseNot", 18, NULL, 0, &tu, &ou);
    if (yi && yu) {
        CHECK(yi[0] == -1 && yi[1] == 0 && yi[2] == -6 && yi[3] == INT16_MAX);
        CHECK(yu[0] == UINT64_MAX && yu[1] == 0 && yu[2] == ~(uint64_t)5);
    }
    harness_free(&oi, 1);
    harness_free(&ou, 1);
}
#endif

int main(void)
{
    test_math_float_and_double();
    test_activations_double();
    test_activations_float_extremes();
    test_round();
    test_sign();
    test_tests();
    test_shrink_integers();
    test_failures();
#if OPSET_MAX >= 18
    test_opset18();
#endif
    CHECK_DONE();
}
