/*
 * binary_pow.c - row kernels of Pow for each pair of base and exponent
 * types. pow() does not vectorise, so one loop with steps serves every
 * bcast_kind.
 */
#include "binary.h"

#include <math.h>

/* A real power assigned to an integer base type: NaN gives 0, out of range saturates. */
static int64_t pow_saturate(double v, int64_t lo, int64_t hi)
{
    if (v != v)
        return 0;
    if (v <= (double)lo)
        return lo;
    if (v >= (double)hi)
        return hi;
    return (int64_t)v;
}

/*
 * Exact integer power by squaring, wrapping like numpy. A negative exponent
 * truncates 1 / base^e towards zero (0 also for base 0, where numpy raises).
 */
static int64_t pow_int(int64_t base, bool negative, uint64_t e)
{
    uint64_t result = 1, b = (uint64_t)base;

    if (negative) {
        if (base == 1)
            return 1;
        if (base == -1)
            return (e & 1) ? -1 : 1;
        return 0;
    }
    while (e) {
        if (e & 1)
            result *= b;
        b *= b;
        e >>= 1;
    }
    return (int64_t)result;
}

#define POW_REAL(x, y)     pow((double)(x), (double)(y))
#define POW_REAL_I32(x, y) pow_saturate(POW_REAL(x, y), INT32_MIN, INT32_MAX)
#define POW_REAL_I64(x, y) pow_saturate(POW_REAL(x, y), INT64_MIN, INT64_MAX)
#define POW_INT_SIGNED(x, y)                                                                       \
    pow_int((int64_t)(x), (y) < 0, (y) < 0 ? 0u - (uint64_t)(y) : (uint64_t)(y))
#define POW_INT_UNSIGNED(x, y) pow_int((int64_t)(x), false, (uint64_t)(y))

/* ctx is the plan's inner_step: 1 where the operand advances along the row. */
#define DEFINE_POW_ROW(name, TB, TE, DTE, EXPR)                                                    \
    static void name(void *out, const void *const *in, int64_t n, const void *ctx)                 \
    {                                                                                              \
        const int *step = ctx;                                                                     \
        const TB *a = in[0];                                                                       \
        const TE *b = in[1];                                                                       \
        TB *o = out;                                                                               \
        for (int64_t i = 0; i < n; i++, a += step[0], b += step[1])                                \
            o[i] = (TB)EXPR(*a, *b);                                                               \
    }

/* X(row name, base type, exponent type, exponent dtype, expression). */
#define FOR_EXPONENTS(X, bs, TB, REAL, SIGNED, UNSIGNED)                                           \
    X(pow_##bs##_f32, TB, float, DTYPE_FLOAT, REAL)                                                \
    X(pow_##bs##_f64, TB, double, DTYPE_DOUBLE, REAL)                                              \
    X(pow_##bs##_i8, TB, int8_t, DTYPE_INT8, SIGNED)                                               \
    X(pow_##bs##_i16, TB, int16_t, DTYPE_INT16, SIGNED)                                            \
    X(pow_##bs##_i32, TB, int32_t, DTYPE_INT32, SIGNED)                                            \
    X(pow_##bs##_i64, TB, int64_t, DTYPE_INT64, SIGNED)                                            \
    X(pow_##bs##_u8, TB, uint8_t, DTYPE_UINT8, UNSIGNED)                                           \
    X(pow_##bs##_u16, TB, uint16_t, DTYPE_UINT16, UNSIGNED)                                        \
    X(pow_##bs##_u32, TB, uint32_t, DTYPE_UINT32, UNSIGNED)                                        \
    X(pow_##bs##_u64, TB, uint64_t, DTYPE_UINT64, UNSIGNED)

/* X(base suffix, base type, base dtype, real, signed and unsigned exponent expressions). */
#define FOR_BASES(X)                                                                               \
    X(f32, float, DTYPE_FLOAT, POW_REAL, POW_REAL, POW_REAL)                                       \
    X(f64, double, DTYPE_DOUBLE, POW_REAL, POW_REAL, POW_REAL)                                     \
    X(i32, int32_t, DTYPE_INT32, POW_REAL_I32, POW_INT_SIGNED, POW_INT_UNSIGNED)                   \
    X(i64, int64_t, DTYPE_INT64, POW_REAL_I64, POW_INT_SIGNED, POW_INT_UNSIGNED)

#define DEFINE_BASE(bs, TB, DTB, REAL, SIGNED, UNSIGNED)                                           \
    FOR_EXPONENTS(DEFINE_POW_ROW, bs, TB, REAL, SIGNED, UNSIGNED)
FOR_BASES(DEFINE_BASE)

#define EXPONENT_ENTRY(name, TB, TE, DTE, EXPR) [DTE] = name,
#define BASE_ENTRY(bs, TB, DTB, REAL, SIGNED, UNSIGNED)                                            \
    [DTB] = {FOR_EXPONENTS(EXPONENT_ENTRY, bs, TB, REAL, SIGNED, UNSIGNED)},

static const bcast_row_fn pow_rows[DTYPE_MAX + 1][DTYPE_MAX + 1] = {FOR_BASES(BASE_ENTRY)};

bcast_row_fn binary_pow_row(dtype_t base, dtype_t exponent)
{
    if (base < 0 || base > DTYPE_MAX || exponent < 0 || exponent > DTYPE_MAX)
        return NULL;
    return pow_rows[base][exponent];
}
