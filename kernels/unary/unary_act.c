/*
 * unary_act.c - the activation loops added with opsets 1-18 beyond the
 * ReLU family: Elu, Selu, Celu, Softplus and Mish (through vmath's exp,
 * expm1, log1p and tanh), Softsign, ThresholdedRelu and Shrink, on raw
 * buffers.
 *
 * y may be x itself (the kernels run in place), so the loops that need a
 * vector function first map a chunk of x into a stack buffer and then
 * combine it with x, chunk by chunk.
 */
#include "unary.h"

#include <math.h>

#include "vmath.h"

/* Elements per chunk: 2 KiB of doubles, well inside L1 next to x and y. */
#define UNARY_CHUNK 256

/*
 * The chunked loop: t[0..m) = FN(PRE) for the chunk's elements, then
 * y[i] = EXPR with x = x[i] and t = t[j]. Attributes are read into locals
 * (the compiler cannot know that y does not alias *p).
 */
#define DEFINE_CHUNKED(name, T, FN, PRE, EXPR)                                                     \
    static void name(const void *in, void *out, int64_t n, const unary_params_t *p)                \
    {                                                                                              \
        const T *xs = in;                                                                          \
        T *ys = out;                                                                               \
        const T alpha = (T)p->alpha, gamma = (T)p->gamma;                                          \
        T t[UNARY_CHUNK];                                                                          \
        for (int64_t i0 = 0; i0 < n; i0 += UNARY_CHUNK) {                                          \
            const int64_t m = n - i0 < UNARY_CHUNK ? n - i0 : UNARY_CHUNK;                         \
            for (int64_t j = 0; j < m; j++) {                                                      \
                const T x = xs[i0 + j];                                                            \
                t[j] = (PRE);                                                                      \
            }                                                                                      \
            FN(t, t, m);                                                                           \
            for (int64_t j = 0; j < m; j++) {                                                      \
                const T x = xs[i0 + j], v = t[j];                                                  \
                ys[i0 + j] = (EXPR);                                                               \
            }                                                                                      \
        }                                                                                          \
        (void)alpha;                                                                               \
        (void)gamma;                                                                               \
    }

/*
 * softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), which
 * neither overflows for large x nor loses small results for negative x.
 */
#define DEFINE_SOFTPLUS(name, T, EXP, LOG1P, OUTER)                                                \
    static void name(const void *in, void *out, int64_t n, const unary_params_t *p)                \
    {                                                                                              \
        const T *xs = in;                                                                          \
        T *ys = out;                                                                               \
        T t[UNARY_CHUNK];                                                                          \
        for (int64_t i0 = 0; i0 < n; i0 += UNARY_CHUNK) {                                          \
            const int64_t m = n - i0 < UNARY_CHUNK ? n - i0 : UNARY_CHUNK;                         \
            for (int64_t j = 0; j < m; j++)                                                        \
                t[j] = xs[i0 + j] < 0 ? xs[i0 + j] : -xs[i0 + j];                                  \
            EXP(t, t, m);                                                                          \
            LOG1P(t, t, m);                                                                        \
            for (int64_t j = 0; j < m; j++)                                                        \
                t[j] += xs[i0 + j] > 0 ? xs[i0 + j] : 0;                                           \
            OUTER                                                                                  \
        }                                                                                          \
    }
#define SOFTPLUS_STORE                                                                             \
    for (int64_t j = 0; j < m; j++)                                                                \
        ys[i0 + j] = t[j];
#define MISH_STORE(TANH)                                                                           \
    TANH(t, t, m);                                                                                 \
    for (int64_t j = 0; j < m; j++)                                                                \
        ys[i0 + j] = xs[i0 + j] * t[j];

/* Loops without a vector function, for every type listed. */
#define DEFINE_PLAIN(name, T, EXPR)                                                                \
    static void name(const void *in, void *out, int64_t n, const unary_params_t *p)                \
    {                                                                                              \
        const T *xs = in;                                                                          \
        T *ys = out;                                                                               \
        const double alpha = p->alpha, lambd = p->lambd, bias = p->bias;                           \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T x = xs[i];                                                                     \
            ys[i] = (EXPR);                                                                        \
        }                                                                                          \
        (void)alpha;                                                                               \
        (void)lambd;                                                                               \
        (void)bias;                                                                                \
    }

/* X(suffix, C type, dtype, vmath suffix) */
#define FOR_REAL_TYPES(X) X(f32, float, DTYPE_FLOAT, f32) X(f64, double, DTYPE_DOUBLE, f64)

/* Elu's and Selu's negative branches are alpha (e^x - 1): expm1 keeps small |x| exact. */
#define DEFINE_REAL(sfx, T, DT, V)                                                                 \
    DEFINE_CHUNKED(elu_##sfx, T, vmath_expm1_##V, x, x < 0 ? alpha * v : x)                        \
    DEFINE_CHUNKED(selu_##sfx, T, vmath_expm1_##V, x, x <= 0 ? gamma * alpha * v : gamma * x)      \
    DEFINE_SOFTPLUS(softplus_##sfx, T, vmath_exp_##V, vmath_log1p_##V, SOFTPLUS_STORE)             \
    DEFINE_SOFTPLUS(mish_##sfx, T, vmath_exp_##V, vmath_log1p_##V, MISH_STORE(vmath_tanh_##V))     \
    DEFINE_PLAIN(softsign_##sfx, T, x / (1 + (x < 0 ? -x : x)))                                    \
    DEFINE_PLAIN(thresholded_relu_##sfx, T, x > alpha ? x : 0)
FOR_REAL_TYPES(DEFINE_REAL)

/* Celu is float only: max(0, x) + min(0, alpha (e^(x / alpha) - 1)). */
DEFINE_CHUNKED(celu_f32, float, vmath_expm1_f32, x / alpha, x > 0 ? x : alpha * v)

/*
 * Shrink: x + bias below -lambd, x - bias above lambd, else 0; computed in
 * double and converted back to T. Integers go through int64 (truncating, as
 * the spec's reference does when it casts), so that a negative result
 * wraps in an unsigned type instead of being undefined.
 */
#define DEFINE_SHRINK(sfx, T, DT, CONV)                                                            \
    DEFINE_PLAIN(shrink_##sfx, T,                                                                  \
                 (T)CONV(x<-lambd ? (double)x + bias : x> lambd ? (double)x - bias : 0))
#define FOR_SHRINK_TYPES(X)                                                                        \
    X(f32, float, DTYPE_FLOAT, (float))                                                            \
    X(f64, double, DTYPE_DOUBLE, (double))                                                         \
    X(i8, int8_t, DTYPE_INT8, (int64_t))                                                           \
    X(i16, int16_t, DTYPE_INT16, (int64_t))                                                        \
    X(i32, int32_t, DTYPE_INT32, (int64_t))                                                        \
    X(i64, int64_t, DTYPE_INT64, (int64_t))                                                        \
    X(u8, uint8_t, DTYPE_UINT8, (int64_t))                                                         \
    X(u16, uint16_t, DTYPE_UINT16, (int64_t))                                                      \
    X(u32, uint32_t, DTYPE_UINT32, (int64_t))                                                      \
    X(u64, uint64_t, DTYPE_UINT64, (int64_t))
FOR_SHRINK_TYPES(DEFINE_SHRINK)

#define REAL_ENTRY(sfx, T, DT, V)                                                                  \
    [UNARY_ELU][DT] = elu_##sfx, [UNARY_SELU][DT] = selu_##sfx,                                    \
    [UNARY_SOFTPLUS][DT] = softplus_##sfx, [UNARY_MISH][DT] = mish_##sfx,                          \
    [UNARY_SOFTSIGN][DT] = softsign_##sfx, [UNARY_THRESHOLDED_RELU][DT] = thresholded_relu_##sfx,
#define SHRINK_ENTRY(sfx, T, DT, CONV) [UNARY_SHRINK][DT] = shrink_##sfx,

/* clang-format off */
static const unary_fn activations[UNARY_OP_COUNT][DTYPE_MAX + 1] = {
    FOR_REAL_TYPES(REAL_ENTRY)
    FOR_SHRINK_TYPES(SHRINK_ENTRY)
    [UNARY_CELU][DTYPE_FLOAT] = celu_f32,
};
/* clang-format on */

unary_fn unary_activation(unary_op_t op, dtype_t t)
{
    if (op < 0 || op >= UNARY_OP_COUNT || t < 0 || t > DTYPE_MAX)
        return NULL;
    return activations[op][t];
}
