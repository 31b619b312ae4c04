/*
 * compare_rows.c - row kernels of Equal, Less and LessOrEqual for every
 * element type and of And, Or and Xor for bool, four per op and type (see
 * bcast_kind).
 */
#include "compare.h"

_Static_assert(sizeof(bool) == 1, "ONNX bool tensors hold one byte per element");

/* Comparison rows write bool. */
#define DEFINE_ROWS(name, T, EXPR) BCAST_DEFINE_ROWS(name, T, bool, EXPR)

/* X(suffix, C type, dtype) */
#define FOR_NUMERIC_TYPES(X)                                                                       \
    X(f32, float, DTYPE_FLOAT)                                                                     \
    X(f64, double, DTYPE_DOUBLE)                                                                   \
    X(i8, int8_t, DTYPE_INT8)                                                                      \
    X(i16, int16_t, DTYPE_INT16)                                                                   \
    X(i32, int32_t, DTYPE_INT32)                                                                   \
    X(i64, int64_t, DTYPE_INT64)                                                                   \
    X(u8, uint8_t, DTYPE_UINT8)                                                                    \
    X(u16, uint16_t, DTYPE_UINT16)                                                                 \
    X(u32, uint32_t, DTYPE_UINT32)                                                                 \
    X(u64, uint64_t, DTYPE_UINT64)

#define DEFINE_NUMERIC_ROWS(sfx, T, DT)                                                            \
    DEFINE_ROWS(eq_##sfx, T, x == y)                                                               \
    DEFINE_ROWS(lt_##sfx, T, x < y)                                                                \
    DEFINE_ROWS(le_##sfx, T, x <= y)
FOR_NUMERIC_TYPES(DEFINE_NUMERIC_ROWS)

/* Bool tensors are read as bytes: any nonzero byte is true. */
DEFINE_ROWS(eq_bool, uint8_t, (x != 0) == (y != 0))
DEFINE_ROWS(and_bool, uint8_t, x != 0 && y != 0)
DEFINE_ROWS(or_bool, uint8_t, x != 0 || y != 0)
DEFINE_ROWS(xor_bool, uint8_t, (x != 0) != (y != 0))

#define NUMERIC_ENTRY(sfx, T, DT)                                                                  \
    [DT] = {[COMPARE_EQUAL] = BCAST_ROWS(eq_##sfx),                                                \
            [COMPARE_LESS] = BCAST_ROWS(lt_##sfx),                                                 \
            [COMPARE_LESS_EQUAL] = BCAST_ROWS(le_##sfx)},

/* clang-format off */
static const bcast_rows_t compare_rows[DTYPE_MAX + 1][COMPARE_OP_COUNT] = {
    FOR_NUMERIC_TYPES(NUMERIC_ENTRY)
    [DTYPE_BOOL] = {[COMPARE_EQUAL] = BCAST_ROWS(eq_bool), [COMPARE_AND] = BCAST_ROWS(and_bool),
                    [COMPARE_OR] = BCAST_ROWS(or_bool), [COMPARE_XOR] = BCAST_ROWS(xor_bool)},
};
/* clang-format on */

bcast_row_fn compare_row(compare_op_t op, dtype_t t, int kind)
{
    if (t < 0 || t > DTYPE_MAX || op < 0 || op >= COMPARE_OP_COUNT || kind < 0 ||
        kind >= BCAST_KINDS)
        return NULL;
    return compare_rows[t][op].kind[kind];
}

void compare_not(const uint8_t *x, bool *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] == 0;
}
