/*
 * unary_funcs.c - the elementwise loops of the unary family, one per op and
 * element type, on raw buffers; the activations of unary_act.c are looked
 * up through unary_activation.
 */
#include "unary.h"

#include <assert.h>
#include <math.h>

#include "vmath.h"

#define DEFINE_UNARY(name, T, EXPR)                                                                \
    static void name(const void *in, void *out, int64_t n, const unary_params_t *p)                \
    {                                                                                              \
        const T *xs = in;                                                                          \
        T *o = out;                                                                                \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T x = xs[i];                                                                     \
            o[i] = (EXPR);                                                                         \
        }                                                                                          \
    }

/* Clamps to [0, 1] keeping NaN, as numpy's clip does. */
static inline float unit_clamp(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

/* Attributes are read into locals: as far as the compiler knows, y could alias *p. */
static void leaky_relu_f32(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    const float *x = in;
    float *y = out;
    const float alpha = p->alpha;

    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
}

static void hard_sigmoid_f32(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    const float *x = in;
    float *y = out;
    const float alpha = p->alpha, beta = p->beta;

    for (int64_t i = 0; i < n; i++)
        y[i] = unit_clamp(alpha * x[i] + beta);
}

/* Relu keeps NaN (numpy's clip(x, 0, inf) does). */
DEFINE_UNARY(relu_f32, float, x < 0.0f ? 0.0f : x)
DEFINE_UNARY(hard_swish_f32, float, x *unit_clamp(x *(1.0f / 6.0f) + 0.5f))

/* Elements per vmath call of sigmoid_f32: its scratch stays in L1. */
#define UNARY_SIGMOID_CHUNK 1024

/* 1 / (1 + e^-x) with the vector exponential; e^-x overflows to inf, giving 0. */
static void sigmoid_f32(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    const float *x = in;
    float *y = out, t[UNARY_SIGMOID_CHUNK];

    for (int64_t i0 = 0; i0 < n; i0 += UNARY_SIGMOID_CHUNK) {
        const int64_t m = n - i0 < UNARY_SIGMOID_CHUNK ? n - i0 : UNARY_SIGMOID_CHUNK;
        for (int64_t j = 0; j < m; j++)
            t[j] = -x[i0 + j];
        vmath_exp_f32(t, t, m);
        for (int64_t j = 0; j < m; j++)
            y[i0 + j] = 1.0f / (1.0f + t[j]);
    }
}

static void tanh_f32(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    vmath_tanh_f32(in, out, n);
}

static void erf_f32(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    vmath_erf_f32(in, out, n);
}

static void exp_f32(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    vmath_exp_f32(in, out, n);
}
DEFINE_UNARY(log_f32, float, logf(x))

/*
 * float64: plain loops over libm's double functions. They are not the hot
 * path of any model inferd targets, and computing in double (never through
 * float) is the point of the type.
 */
static void leaky_relu_f64(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    const double *x = in;
    double *y = out;
    const double alpha = p->alpha;

    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] < 0.0 ? alpha * x[i] : x[i];
}

static inline double unit_clamp_f64(double v)
{
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

static void hard_sigmoid_f64(const void *in, void *out, int64_t n, const unary_params_t *p)
{
    const double *x = in;
    double *y = out;
    const double alpha = p->alpha, beta = p->beta;

    for (int64_t i = 0; i < n; i++)
        y[i] = unit_clamp_f64(alpha * x[i] + beta);
}

DEFINE_UNARY(relu_f64, double, x < 0.0 ? 0.0 : x)
DEFINE_UNARY(sigmoid_f64, double, 1.0 / (1.0 + exp(-x)))
DEFINE_UNARY(hard_swish_f64, double, x *unit_clamp_f64(x / 6.0 + 0.5))
DEFINE_UNARY(tanh_f64, double, tanh(x))
DEFINE_UNARY(erf_f64, double, erf(x))
DEFINE_UNARY(exp_f64, double, exp(x))
DEFINE_UNARY(log_f64, double, log(x))
DEFINE_UNARY(sqrt_f64, double, sqrt(x))
DEFINE_UNARY(abs_f64, double, fabs(x))
DEFINE_UNARY(neg_f64, double, -x)
DEFINE_UNARY(reciprocal_f64, double, 1.0 / x)
DEFINE_UNARY(floor_f64, double, floor(x))
DEFINE_UNARY(ceil_f64, double, ceil(x))
DEFINE_UNARY(sqrt_f32, float, sqrtf(x))
DEFINE_UNARY(abs_f32, float, fabsf(x))
DEFINE_UNARY(neg_f32, float, -x)
DEFINE_UNARY(reciprocal_f32, float, 1.0f / x)
DEFINE_UNARY(floor_f32, float, floorf(x))
DEFINE_UNARY(ceil_f32, float, ceilf(x))

/* The circular and hyperbolic functions map whole arrays through vmath. */
#define DEFINE_VMATH(op, sfx, T)                                                                   \
    static void op##_##sfx(const void *in, void *out, int64_t n, const unary_params_t *p)          \
    {                                                                                              \
        vmath_##op##_##sfx(in, out, n);                                                            \
    }
/* X(op) for each of them */
#define FOR_VMATH_OPS(X)                                                                           \
    X(cos, COS)                                                                                    \
    X(sin, SIN)                                                                                    \
    X(tan, TAN)                                                                                    \
    X(acos, ACOS)                                                                                  \
    X(asin, ASIN)                                                                                  \
    X(atan, ATAN) X(cosh, COSH) X(sinh, SINH) X(acosh, ACOSH) X(asinh, ASINH) X(atanh, ATANH)
#define DEFINE_VMATH_BOTH(op, OP) DEFINE_VMATH(op, f32, float) DEFINE_VMATH(op, f64, double)
FOR_VMATH_OPS(DEFINE_VMATH_BOTH)

/*
 * Round halves to even inline instead of a libm call per element (the
 * baseline ISA has no vector round instruction): below ROUND_F32_EXACT,
 * |x| + 2^23 has no fraction bits left and the addition itself rounds (to
 * nearest even, the default mode, which inferd never changes); subtracting
 * 2^23 again is exact. From there on every float is an integer already,
 * and NaN and infinities pass through. copysign keeps the sign of -0.4 ->
 * -0, as numpy's round does. Sign keeps NaN (numpy's sign does).
 */
#define ROUND_F32_EXACT 0x1p23f /* floats at or above 2^23 have no fraction bits */
#define ROUND_F64_EXACT 0x1p52  /* doubles at or above 2^52 have no fraction bits */

static inline float round_even_f32(float x)
{
    const float r = copysignf((fabsf(x) + ROUND_F32_EXACT) - ROUND_F32_EXACT, x);
    return fabsf(x) < ROUND_F32_EXACT ? r : x;
}

static inline double round_even_f64(double x)
{
    const double r = copysign((fabs(x) + ROUND_F64_EXACT) - ROUND_F64_EXACT, x);
    return fabs(x) < ROUND_F64_EXACT ? r : x;
}

DEFINE_UNARY(round_f32, float, round_even_f32(x))
DEFINE_UNARY(round_f64, double, round_even_f64(x))
DEFINE_UNARY(sign_f32, float, x > 0 ? 1.0f : x < 0 ? -1.0f : x)
DEFINE_UNARY(sign_f64, double, x > 0 ? 1.0 : x < 0 ? -1.0 : x)

/* IsNaN and IsInf write bool. */
#define DEFINE_TESTS(sfx, T)                                                                       \
    static void is_nan_##sfx(const void *in, void *out, int64_t n, const unary_params_t *p)        \
    {                                                                                              \
        const T *x = in;                                                                           \
        bool *y = out;                                                                             \
        for (int64_t i = 0; i < n; i++)                                                            \
            y[i] = x[i] != x[i];                                                                   \
    }                                                                                              \
    static void is_inf_##sfx(const void *in, void *out, int64_t n, const unary_params_t *p)        \
    {                                                                                              \
        const T *x = in;                                                                           \
        bool *y = out;                                                                             \
        const bool negative = p->detect_negative, positive = p->detect_positive;                   \
        for (int64_t i = 0; i < n; i++)                                                            \
            y[i] = (positive && x[i] == (T)INFINITY) || (negative && x[i] == -(T)INFINITY);        \
    }
DEFINE_TESTS(f32, float)
DEFINE_TESTS(f64, double)

/*
 * X(suffix, C type, wide unsigned type, dtype, min, max). Negation runs in
 * the unsigned type so that -MIN wraps to MIN (as numpy) instead of being
 * undefined.
 */
#define FOR_SIGNED_TYPES(X)                                                                        \
    X(i8, int8_t, uint32_t, DTYPE_INT8, INT8_MIN, INT8_MAX)                                        \
    X(i16, int16_t, uint32_t, DTYPE_INT16, INT16_MIN, INT16_MAX)                                   \
    X(i32, int32_t, uint32_t, DTYPE_INT32, INT32_MIN, INT32_MAX)                                   \
    X(i64, int64_t, uint64_t, DTYPE_INT64, INT64_MIN, INT64_MAX)
#define FOR_UNSIGNED_TYPES(X)                                                                      \
    X(u8, uint8_t, uint32_t, DTYPE_UINT8, 0, UINT8_MAX)                                            \
    X(u16, uint16_t, uint32_t, DTYPE_UINT16, 0, UINT16_MAX)                                        \
    X(u32, uint32_t, uint32_t, DTYPE_UINT32, 0, UINT32_MAX)                                        \
    X(u64, uint64_t, uint64_t, DTYPE_UINT64, 0, UINT64_MAX)

/*
 * Erf on integers (the spec lists them): erf in double, converted back
 * toward zero as a cast does, so only 0 maps to 0 and every other integer
 * to 0 as well (|erf| < 1) unless the type's range rounds it to +-1.
 */
#define DEFINE_SIGNED(sfx, T, W, DT, LO, HI)                                                       \
    DEFINE_UNARY(erf_##sfx, T, (T)erf((double)x))                                                  \
    DEFINE_UNARY(relu_##sfx, T, x < 0 ? 0 : x)                                                     \
    DEFINE_UNARY(sign_##sfx, T, (T)((x > 0) - (x < 0)))                                            \
    DEFINE_UNARY(bitwise_not_##sfx, T, (T)~x)                                                      \
    DEFINE_UNARY(abs_##sfx, T, x < 0 ? (T)(0 - (W)x) : x)                                          \
    DEFINE_UNARY(neg_##sfx, T, (T)(0 - (W)x))
#define DEFINE_UNSIGNED(sfx, T, W, DT, LO, HI)                                                     \
    DEFINE_UNARY(erf_##sfx, T, (T)erf((double)x))                                                  \
    DEFINE_UNARY(abs_##sfx, T, x)                                                                  \
    DEFINE_UNARY(sign_##sfx, T, (T)(x > 0))                                                        \
    DEFINE_UNARY(bitwise_not_##sfx, T, (T)~x)
FOR_SIGNED_TYPES(DEFINE_SIGNED)
FOR_UNSIGNED_TYPES(DEFINE_UNSIGNED)

#define SIGNED_ENTRY(sfx, T, W, DT, LO, HI)                                                        \
    [UNARY_RELU][DT] = relu_##sfx, [UNARY_ABS][DT] = abs_##sfx, [UNARY_NEG][DT] = neg_##sfx,       \
    [UNARY_ERF][DT] = erf_##sfx, [UNARY_SIGN][DT] = sign_##sfx,                                    \
    [UNARY_BITWISE_NOT][DT] = bitwise_not_##sfx,
#define UNSIGNED_ENTRY(sfx, T, W, DT, LO, HI)                                                      \
    [UNARY_ABS][DT] = abs_##sfx, [UNARY_SIGN][DT] = sign_##sfx, [UNARY_ERF][DT] = erf_##sfx,       \
    [UNARY_BITWISE_NOT][DT] = bitwise_not_##sfx,
#define VMATH_ENTRY(op, OP)                                                                        \
    [UNARY_##OP][DTYPE_FLOAT] = op##_f32, [UNARY_##OP][DTYPE_DOUBLE] = op##_f64,

/* clang-format off */
static const unary_fn unary_functions[UNARY_OP_COUNT][DTYPE_MAX + 1] = {
    [UNARY_RELU][DTYPE_FLOAT] = relu_f32,
    [UNARY_LEAKY_RELU][DTYPE_FLOAT] = leaky_relu_f32,
    [UNARY_SIGMOID][DTYPE_FLOAT] = sigmoid_f32,
    [UNARY_HARD_SIGMOID][DTYPE_FLOAT] = hard_sigmoid_f32,
    [UNARY_HARD_SWISH][DTYPE_FLOAT] = hard_swish_f32,
    [UNARY_TANH][DTYPE_FLOAT] = tanh_f32,
    [UNARY_ERF][DTYPE_FLOAT] = erf_f32,
    [UNARY_EXP][DTYPE_FLOAT] = exp_f32,
    [UNARY_LOG][DTYPE_FLOAT] = log_f32,
    [UNARY_SQRT][DTYPE_FLOAT] = sqrt_f32,
    [UNARY_ABS][DTYPE_FLOAT] = abs_f32,
    [UNARY_NEG][DTYPE_FLOAT] = neg_f32,
    [UNARY_RECIPROCAL][DTYPE_FLOAT] = reciprocal_f32,
    [UNARY_FLOOR][DTYPE_FLOAT] = floor_f32,
    [UNARY_CEIL][DTYPE_FLOAT] = ceil_f32,
    [UNARY_RELU][DTYPE_DOUBLE] = relu_f64,
    [UNARY_LEAKY_RELU][DTYPE_DOUBLE] = leaky_relu_f64,
    [UNARY_SIGMOID][DTYPE_DOUBLE] = sigmoid_f64,
    [UNARY_HARD_SIGMOID][DTYPE_DOUBLE] = hard_sigmoid_f64,
    [UNARY_HARD_SWISH][DTYPE_DOUBLE] = hard_swish_f64,
    [UNARY_TANH][DTYPE_DOUBLE] = tanh_f64,
    [UNARY_ERF][DTYPE_DOUBLE] = erf_f64,
    [UNARY_EXP][DTYPE_DOUBLE] = exp_f64,
    [UNARY_LOG][DTYPE_DOUBLE] = log_f64,
    [UNARY_SQRT][DTYPE_DOUBLE] = sqrt_f64,
    [UNARY_ABS][DTYPE_DOUBLE] = abs_f64,
    [UNARY_NEG][DTYPE_DOUBLE] = neg_f64,
    [UNARY_RECIPROCAL][DTYPE_DOUBLE] = reciprocal_f64,
    [UNARY_FLOOR][DTYPE_DOUBLE] = floor_f64,
    [UNARY_CEIL][DTYPE_DOUBLE] = ceil_f64,
    FOR_VMATH_OPS(VMATH_ENTRY)
    [UNARY_ROUND][DTYPE_FLOAT] = round_f32,
    [UNARY_ROUND][DTYPE_DOUBLE] = round_f64,
    [UNARY_SIGN][DTYPE_FLOAT] = sign_f32,
    [UNARY_SIGN][DTYPE_DOUBLE] = sign_f64,
    [UNARY_IS_NAN][DTYPE_FLOAT] = is_nan_f32,
    [UNARY_IS_NAN][DTYPE_DOUBLE] = is_nan_f64,
    [UNARY_IS_INF][DTYPE_FLOAT] = is_inf_f32,
    [UNARY_IS_INF][DTYPE_DOUBLE] = is_inf_f64,
    FOR_SIGNED_TYPES(SIGNED_ENTRY)
    FOR_UNSIGNED_TYPES(UNSIGNED_ENTRY)
};
/* clang-format on */

unary_fn unary_function(unary_op_t op, dtype_t t)
{
    if (op < 0 || op >= UNARY_OP_COUNT || t < 0 || t > DTYPE_MAX)
        return NULL;
    return unary_functions[op][t] ? unary_functions[op][t] : unary_activation(op, t);
}

typedef void (*clip_fn)(const void *in, void *out, int64_t n, const void *lo, const void *hi);

/* A missing bound is the type's extreme value, which clips nothing. */
#define DEFINE_CLIP(sfx, T, W, DT, LO, HI)                                                         \
    static void clip_##sfx(const void *in, void *out, int64_t n, const void *lo_p,                 \
                           const void *hi_p)                                                       \
    {                                                                                              \
        const T *x = in;                                                                           \
        T *y = out;                                                                                \
        const T lo = lo_p ? *(const T *)lo_p : (LO);                                               \
        const T hi = hi_p ? *(const T *)hi_p : (HI);                                               \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T v = x[i] < lo ? lo : x[i];                                                     \
            y[i] = v > hi ? hi : v;                                                                \
        }                                                                                          \
    }
DEFINE_CLIP(f32, float, float, DTYPE_FLOAT, -INFINITY, INFINITY)
DEFINE_CLIP(f64, double, double, DTYPE_DOUBLE, -INFINITY, INFINITY)
FOR_SIGNED_TYPES(DEFINE_CLIP)
FOR_UNSIGNED_TYPES(DEFINE_CLIP)

#define CLIP_ENTRY(sfx, T, W, DT, LO, HI) [DT] = clip_##sfx,
/* clang-format off */
static const clip_fn clip_functions[DTYPE_MAX + 1] = {
    [DTYPE_FLOAT] = clip_f32,
    [DTYPE_DOUBLE] = clip_f64,
    FOR_SIGNED_TYPES(CLIP_ENTRY)
    FOR_UNSIGNED_TYPES(CLIP_ENTRY)
};
/* clang-format on */

void unary_clip(dtype_t t, const void *x, void *y, int64_t n, const void *lo, const void *hi)
{
    assert(t > DTYPE_UNDEFINED && t <= DTYPE_MAX && clip_functions[t] != NULL);
    clip_functions[t](x, y, n, lo, hi);
}
