/*
 * binary_rows.c - row kernels of Add, Sub, Mul, Div, Min, Max, PRelu and
 * Mod for every element type and of the shifts and bitwise ops for the
 * integer types, four per op and type (see bcast_kind).
 */
#include "binary.h"

#include <math.h>

/* Arithmetic rows write the operands' type. */
#define DEFINE_ROWS(name, T, EXPR) BCAST_DEFINE_ROWS(name, T, T, EXPR)

/*
 * X(suffix, C type, wide unsigned type, dtype). Integer arithmetic runs in
 * the wide unsigned type: it wraps like numpy where signed overflow would be
 * undefined, and small types would otherwise be promoted to (signed) int.
 */
#define FOR_FLOAT_TYPES(X)                                                                         \
    X(f32, float, float, DTYPE_FLOAT, fmodf) X(f64, double, double, DTYPE_DOUBLE, fmod)
#define FOR_SIGNED_TYPES(X)                                                                        \
    X(i8, int8_t, uint32_t, DTYPE_INT8)                                                            \
    X(i16, int16_t, uint32_t, DTYPE_INT16)                                                         \
    X(i32, int32_t, uint32_t, DTYPE_INT32)                                                         \
    X(i64, int64_t, uint64_t, DTYPE_INT64)
#define FOR_UNSIGNED_TYPES(X)                                                                      \
    X(u8, uint8_t, uint32_t, DTYPE_UINT8)                                                          \
    X(u16, uint16_t, uint32_t, DTYPE_UINT16)                                                       \
    X(u32, uint32_t, uint32_t, DTYPE_UINT32)                                                       \
    X(u64, uint64_t, uint64_t, DTYPE_UINT64)

/* Min and Max propagate NaN, as numpy's minimum and maximum do. */
#define DEFINE_FLOAT_ROWS(sfx, T, W, DT, FMOD)                                                     \
    DEFINE_ROWS(fmod_##sfx, T, FMOD(x, y))                                                         \
    DEFINE_ROWS(add_##sfx, T, x + y)                                                               \
    DEFINE_ROWS(sub_##sfx, T, x - y)                                                               \
    DEFINE_ROWS(mul_##sfx, T, x *y)                                                                \
    DEFINE_ROWS(div_##sfx, T, x / y)                                                               \
    DEFINE_ROWS(min_##sfx, T, (x < y || x != x) ? x : y)                                           \
    DEFINE_ROWS(max_##sfx, T, (x > y || x != x) ? x : y)                                           \
    DEFINE_ROWS(prelu_##sfx, T, x < 0 ? x * y : x)

#define DEFINE_INT_ROWS(sfx, T, W)                                                                 \
    DEFINE_ROWS(and_##sfx, T, x &y)                                                                \
    DEFINE_ROWS(or_##sfx, T, x | y)                                                                \
    DEFINE_ROWS(xor_##sfx, T, x ^ y)                                                               \
    DEFINE_ROWS(add_##sfx, T, (T)((W)x + (W)y))                                                    \
    DEFINE_ROWS(sub_##sfx, T, (T)((W)x - (W)y))                                                    \
    DEFINE_ROWS(mul_##sfx, T, (T)((W)x * (W)y))                                                    \
    DEFINE_ROWS(min_##sfx, T, x < y ? x : y)                                                       \
    DEFINE_ROWS(max_##sfx, T, x > y ? x : y)

/*
 * Division by zero yields 0 and MIN / -1 wraps, instead of trapping; a
 * remainder by 0 or -1 is 0. Python's remainder moves C's onto the
 * divisor's side when their signs differ.
 */
#define DEFINE_SIGNED_ROWS(sfx, T, W, DT)                                                          \
    DEFINE_INT_ROWS(sfx, T, W)                                                                     \
    DEFINE_ROWS(fmod_##sfx, T, y == 0 || y == -1 ? 0 : (T)(x % y))                                 \
    DEFINE_ROWS(mod_##sfx, T,                                                                      \
                y == 0 || y == -1                        ? 0                                       \
                : (x % y != 0 && (x % y < 0) != (y < 0)) ? (T)(x % y + y)                          \
                                                         : (T)(x % y))                             \
    DEFINE_ROWS(div_##sfx, T, y == 0 ? 0 : y == -1 ? (T)(0 - (W)x) : (T)(x / y))                   \
    DEFINE_ROWS(prelu_##sfx, T, x < 0 ? (T)((W)x * (W)y) : x)

/* BitShift is unsigned only; shifts by the width or more give 0 instead of being undefined. */
#define DEFINE_UNSIGNED_ROWS(sfx, T, W, DT)                                                        \
    DEFINE_INT_ROWS(sfx, T, W)                                                                     \
    DEFINE_ROWS(shl_##sfx, T, y >= 8 * sizeof(T) ? 0 : (T)((W)x << y))                             \
    DEFINE_ROWS(shr_##sfx, T, y >= 8 * sizeof(T) ? 0 : (T)(x >> y))                                \
    DEFINE_ROWS(fmod_##sfx, T, y == 0 ? 0 : (T)(x % y))                                            \
    DEFINE_ROWS(div_##sfx, T, y == 0 ? 0 : (T)(x / y))                                             \
    DEFINE_ROWS(prelu_##sfx, T, ((void)y, x))

FOR_FLOAT_TYPES(DEFINE_FLOAT_ROWS)
FOR_SIGNED_TYPES(DEFINE_SIGNED_ROWS)
FOR_UNSIGNED_TYPES(DEFINE_UNSIGNED_ROWS)

#define COMMON_ROWS(sfx)                                                                           \
    [BINARY_ADD] = BCAST_ROWS(add_##sfx), [BINARY_SUB] = BCAST_ROWS(sub_##sfx),                    \
    [BINARY_MUL] = BCAST_ROWS(mul_##sfx), [BINARY_DIV] = BCAST_ROWS(div_##sfx),                    \
    [BINARY_MIN] = BCAST_ROWS(min_##sfx), [BINARY_MAX] = BCAST_ROWS(max_##sfx)
#define INT_ROWS(sfx)                                                                              \
    [BINARY_FMOD] = BCAST_ROWS(fmod_##sfx), [BINARY_BITWISE_AND] = BCAST_ROWS(and_##sfx),          \
    [BINARY_BITWISE_OR] = BCAST_ROWS(or_##sfx), [BINARY_BITWISE_XOR] = BCAST_ROWS(xor_##sfx)
/*
 * PRelu scales negative x: on unsigned types (opset 9 lists uint32 and
 * uint64) it is the identity. Python's remainder differs from C's only there too (for unsigned
 * types the two coincide, so BINARY_MOD takes the fmod rows).
 */
#define FLOAT_ENTRY(sfx, T, W, DT, FMOD)                                                           \
    [DT] = {COMMON_ROWS(sfx), [BINARY_PRELU] = BCAST_ROWS(prelu_##sfx),                            \
            [BINARY_FMOD] = BCAST_ROWS(fmod_##sfx)},
#define SIGNED_ENTRY(sfx, T, W, DT)                                                                \
    [DT] = {COMMON_ROWS(sfx), INT_ROWS(sfx), [BINARY_PRELU] = BCAST_ROWS(prelu_##sfx),             \
            [BINARY_MOD] = BCAST_ROWS(mod_##sfx)},
#define UNSIGNED_ENTRY(sfx, T, W, DT)                                                              \
    [DT] = {COMMON_ROWS(sfx),                                                                      \
            INT_ROWS(sfx),                                                                         \
            [BINARY_MOD] = BCAST_ROWS(fmod_##sfx),                                                 \
            [BINARY_PRELU] = BCAST_ROWS(prelu_##sfx),                                              \
            [BINARY_SHIFT_LEFT] = BCAST_ROWS(shl_##sfx),                                           \
            [BINARY_SHIFT_RIGHT] = BCAST_ROWS(shr_##sfx)},

/* clang-format off */
static const bcast_rows_t binary_rows[DTYPE_MAX + 1][BINARY_OP_COUNT] = {
    FOR_FLOAT_TYPES(FLOAT_ENTRY)
    FOR_SIGNED_TYPES(SIGNED_ENTRY)
    FOR_UNSIGNED_TYPES(UNSIGNED_ENTRY)
};
/* clang-format on */

bcast_row_fn binary_row(binary_op_t op, dtype_t t, int kind)
{
    if (t < 0 || t > DTYPE_MAX || op < 0 || op >= BINARY_OP_COUNT || kind < 0 ||
        kind >= BCAST_KINDS)
        return NULL;
    return binary_rows[t][op].kind[kind];
}
