/*
 * cast_half.c - Cast to and from float16 and bfloat16. A half widens to
 * float exactly and goes on from there with the float conversions; a value
 * narrows to a half from float directly and from every other type through
 * double (exact for every value a half can get near: integers up to 2^53
 * and any float), so it is rounded once, to nearest even.
 */
#include "cast.h"

#include <string.h>

#include "half.h"

/* Elements converted per round through the stack buffer. */
#define CAST_HALF_CHUNK 256

/*
 * The destination of a from-half cast is one of the types cast_function
 * handles from float; one function per (half, destination) pair is
 * generated from this table.
 */
#define FOR_PLAIN(X, ...)                                                                          \
    X(f32, DTYPE_FLOAT, __VA_ARGS__)                                                               \
    X(f64, DTYPE_DOUBLE, __VA_ARGS__)                                                              \
    X(i8, DTYPE_INT8, __VA_ARGS__)                                                                 \
    X(i16, DTYPE_INT16, __VA_ARGS__)                                                               \
    X(i32, DTYPE_INT32, __VA_ARGS__)                                                               \
    X(i64, DTYPE_INT64, __VA_ARGS__)                                                               \
    X(u8, DTYPE_UINT8, __VA_ARGS__)                                                                \
    X(u16, DTYPE_UINT16, __VA_ARGS__)                                                              \
    X(u32, DTYPE_UINT32, __VA_ARGS__)                                                              \
    X(u64, DTYPE_UINT64, __VA_ARGS__)                                                              \
    X(b8, DTYPE_BOOL, __VA_ARGS__)

#define FROM_HALF(dsfx, DDT, hsfx, HDT)                                                            \
    static void cast_##hsfx##_##dsfx(const void *src, void *dst, int64_t n)                        \
    {                                                                                              \
        const uint16_t *x = src;                                                                   \
        float buf[CAST_HALF_CHUNK];                                                                \
        cast_fn next = cast_function(DTYPE_FLOAT, DDT);                                            \
        char *y = dst;                                                                             \
        for (int64_t i = 0; i < n; i += CAST_HALF_CHUNK) {                                         \
            int64_t c = n - i < CAST_HALF_CHUNK ? n - i : CAST_HALF_CHUNK;                         \
            half_to_float_n(HDT, x + i, buf, c);                                                   \
            next(buf, y + (size_t)i * dtype_size(DDT), c);                                         \
        }                                                                                          \
    }

#define TO_HALF(ssfx, SDT, hsfx, HDT)                                                              \
    static void cast_##ssfx##_##hsfx(const void *src, void *dst, int64_t n)                        \
    {                                                                                              \
        const char *x = src;                                                                       \
        double buf[CAST_HALF_CHUNK];                                                               \
        cast_fn widen = cast_function(SDT, DTYPE_DOUBLE);                                          \
        uint16_t *y = dst;                                                                         \
        for (int64_t i = 0; i < n; i += CAST_HALF_CHUNK) {                                         \
            int64_t c = n - i < CAST_HALF_CHUNK ? n - i : CAST_HALF_CHUNK;                         \
            widen(x + (size_t)i * dtype_size(SDT), buf, c);                                        \
            for (int64_t j = 0; j < c; j++)                                                        \
                y[i + j] = HDT == DTYPE_BFLOAT16 ? double_to_bf16(buf[j]) : double_to_f16(buf[j]); \
        }                                                                                          \
    }

FOR_PLAIN(FROM_HALF, f16, DTYPE_FLOAT16)
FOR_PLAIN(FROM_HALF, bf16, DTYPE_BFLOAT16)
/* Float narrows directly (vcvtps2ph where there is F16C); the rest go through double. */
FOR_PLAIN(TO_HALF, f16, DTYPE_FLOAT16)
FOR_PLAIN(TO_HALF, bf16, DTYPE_BFLOAT16)

static void cast_f32_to_f16_direct(const void *src, void *dst, int64_t n)
{
    float_to_half_n(DTYPE_FLOAT16, src, dst, n);
}

static void cast_f32_to_bf16_direct(const void *src, void *dst, int64_t n)
{
    float_to_half_n(DTYPE_BFLOAT16, src, dst, n);
}

static void cast_f16_f16(const void *src, void *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(uint16_t));
}

static void cast_f16_bf16(const void *src, void *dst, int64_t n)
{
    const uint16_t *x = src;
    uint16_t *y = dst;

    for (int64_t i = 0; i < n; i++)
        y[i] = float_to_bf16(f16_to_float(x[i]));
}

static void cast_bf16_f16(const void *src, void *dst, int64_t n)
{
    const uint16_t *x = src;
    uint16_t *y = dst;

    /* Widening is exact, so this rounds once. */
    for (int64_t i = 0; i < n; i++)
        y[i] = float_to_f16(bf16_to_float(x[i]));
}

#define FROM_ENTRY(dsfx, DDT, hsfx) [DDT] = cast_##hsfx##_##dsfx,
#define TO_ENTRY(ssfx, SDT, hsfx)   [SDT] = cast_##ssfx##_##hsfx,

static const cast_fn from_f16[DTYPE_MAX + 1] = {
    FOR_PLAIN(FROM_ENTRY, f16)[DTYPE_FLOAT16] = cast_f16_f16, [DTYPE_BFLOAT16] = cast_f16_bf16};
static const cast_fn from_bf16[DTYPE_MAX + 1] = {
    FOR_PLAIN(FROM_ENTRY, bf16)[DTYPE_FLOAT16] = cast_bf16_f16, [DTYPE_BFLOAT16] = cast_f16_f16};
static const cast_fn to_f16[DTYPE_MAX + 1] = {FOR_PLAIN(TO_ENTRY, f16)};
static const cast_fn to_bf16[DTYPE_MAX + 1] = {FOR_PLAIN(TO_ENTRY, bf16)};

cast_fn cast_half_function(dtype_t from, dtype_t to)
{
    if (from < 0 || from > DTYPE_MAX || to < 0 || to > DTYPE_MAX)
        return NULL;
    if (from == DTYPE_FLOAT16)
        return from_f16[to];
    if (from == DTYPE_BFLOAT16)
        return from_bf16[to];
    if (to == DTYPE_FLOAT16)
        return from == DTYPE_FLOAT ? cast_f32_to_f16_direct : to_f16[from];
    if (to == DTYPE_BFLOAT16)
        return from == DTYPE_FLOAT ? cast_f32_to_bf16_direct : to_bf16[from];
    return NULL;
}
