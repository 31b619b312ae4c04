/* cast_convert.c - one conversion loop per pair of element types. */
#include "cast.h"

#include "half.h"

/*
 * X(suffix, C type, dtype, kind, min, max). Bool is stored as one byte.
 * kind picks the conversion rule: REAL, INT or BOOL.
 */
#define FOR_SOURCES(X, ...)                                                                        \
    X(f32, float, DTYPE_FLOAT, REAL, 0, 0, __VA_ARGS__)                                            \
    X(f64, double, DTYPE_DOUBLE, REAL, 0, 0, __VA_ARGS__)                                          \
    X(i8, int8_t, DTYPE_INT8, INT, INT8_MIN, INT8_MAX, __VA_ARGS__)                                \
    X(i16, int16_t, DTYPE_INT16, INT, INT16_MIN, INT16_MAX, __VA_ARGS__)                           \
    X(i32, int32_t, DTYPE_INT32, INT, INT32_MIN, INT32_MAX, __VA_ARGS__)                           \
    X(i64, int64_t, DTYPE_INT64, INT, INT64_MIN, INT64_MAX, __VA_ARGS__)                           \
    X(u8, uint8_t, DTYPE_UINT8, INT, 0, UINT8_MAX, __VA_ARGS__)                                    \
    X(u16, uint16_t, DTYPE_UINT16, INT, 0, UINT16_MAX, __VA_ARGS__)                                \
    X(u32, uint32_t, DTYPE_UINT32, INT, 0, UINT32_MAX, __VA_ARGS__)                                \
    X(u64, uint64_t, DTYPE_UINT64, INT, 0, UINT64_MAX, __VA_ARGS__)                                \
    X(b8, uint8_t, DTYPE_BOOL, BOOL, 0, 1, __VA_ARGS__)

/* The same list again: a macro cannot expand itself, and the loops nest. */
#define FOR_DESTINATIONS(X, ...)                                                                   \
    X(f32, float, DTYPE_FLOAT, REAL, 0, 0, __VA_ARGS__)                                            \
    X(f64, double, DTYPE_DOUBLE, REAL, 0, 0, __VA_ARGS__)                                          \
    X(i8, int8_t, DTYPE_INT8, INT, INT8_MIN, INT8_MAX, __VA_ARGS__)                                \
    X(i16, int16_t, DTYPE_INT16, INT, INT16_MIN, INT16_MAX, __VA_ARGS__)                           \
    X(i32, int32_t, DTYPE_INT32, INT, INT32_MIN, INT32_MAX, __VA_ARGS__)                           \
    X(i64, int64_t, DTYPE_INT64, INT, INT64_MIN, INT64_MAX, __VA_ARGS__)                           \
    X(u8, uint8_t, DTYPE_UINT8, INT, 0, UINT8_MAX, __VA_ARGS__)                                    \
    X(u16, uint16_t, DTYPE_UINT16, INT, 0, UINT16_MAX, __VA_ARGS__)                                \
    X(u32, uint32_t, DTYPE_UINT32, INT, 0, UINT32_MAX, __VA_ARGS__)                                \
    X(u64, uint64_t, DTYPE_UINT64, INT, 0, UINT64_MAX, __VA_ARGS__)                                \
    X(b8, uint8_t, DTYPE_BOOL, BOOL, 0, 1, __VA_ARGS__)

/*
 * Real to integer. Every float and every in-range double converts to double
 * exactly, and (double)MAX rounds up to a power of two only where MAX itself
 * is not representable, so the comparisons decide the range exactly.
 */
#define DEFINE_SATURATE(sfx, T, DT, KIND, LO, HI, unused) DEFINE_SATURATE_##KIND(sfx, T, LO, HI)
#define DEFINE_SATURATE_REAL(sfx, T, LO, HI)
#define DEFINE_SATURATE_BOOL(sfx, T, LO, HI)
#define DEFINE_SATURATE_INT(sfx, T, LO, HI)                                                        \
    static inline T saturate_##sfx(double v)                                                       \
    {                                                                                              \
        if (v != v)                                                                                \
            return 0;                                                                              \
        if (v <= (double)(LO))                                                                     \
            return (LO);                                                                           \
        if (v >= (double)(HI))                                                                     \
            return (HI);                                                                           \
        return (T)v;                                                                               \
    }
FOR_DESTINATIONS(DEFINE_SATURATE, 0)

/* CONVERT_<source kind>_<destination kind>(value, destination type, destination suffix) */
#define CONVERT_REAL_REAL(x, D, dsfx) (D)(x)
#define CONVERT_REAL_INT(x, D, dsfx)  saturate_##dsfx((double)(x))
#define CONVERT_INT_REAL(x, D, dsfx)  (D)(x)
#define CONVERT_INT_INT(x, D, dsfx)   (D)(x)
#define CONVERT_REAL_BOOL(x, D, dsfx) (D)((x) != 0)
#define CONVERT_INT_BOOL(x, D, dsfx)  (D)((x) != 0)
#define CONVERT_BOOL_BOOL(x, D, dsfx) (D)((x) != 0)
#define CONVERT_BOOL_REAL(x, D, dsfx) (D)((x) != 0)
#define CONVERT_BOOL_INT(x, D, dsfx)  (D)((x) != 0)

#define DEFINE_CAST(dsfx, D, DDT, DKIND, DLO, DHI, ssfx, S, SKIND)                                 \
    static void cast_##ssfx##_##dsfx(const void *src, void *dst, int64_t n)                        \
    {                                                                                              \
        const S *x = src;                                                                          \
        D *y = dst;                                                                                \
        for (int64_t i = 0; i < n; i++)                                                            \
            y[i] = CONVERT_##SKIND##_##DKIND(x[i], D, dsfx);                                       \
    }
#define DEFINE_CASTS_FROM(ssfx, S, SDT, SKIND, SLO, SHI, unused)                                   \
    FOR_DESTINATIONS(DEFINE_CAST, ssfx, S, SKIND)
FOR_SOURCES(DEFINE_CASTS_FROM, 0)

#define DEST_ENTRY(dsfx, D, DDT, DKIND, DLO, DHI, ssfx) [DDT] = cast_##ssfx##_##dsfx,
#define SOURCE_ENTRY(ssfx, S, SDT, SKIND, SLO, SHI, unused)                                        \
    [SDT] = {FOR_DESTINATIONS(DEST_ENTRY, ssfx)},

static const cast_fn cast_functions[DTYPE_MAX + 1][DTYPE_MAX + 1] = {FOR_SOURCES(SOURCE_ENTRY, 0)};

cast_fn cast_function(dtype_t from, dtype_t to)
{
    if (from < 0 || from > DTYPE_MAX || to < 0 || to > DTYPE_MAX)
        return NULL;
    if (dtype_is_half(from) || dtype_is_half(to))
        return cast_half_function(from, to);
    return cast_functions[from][to];
}
