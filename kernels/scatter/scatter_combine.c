/*
 * scatter_combine.c - the element combiners of the scatter reductions, one
 * per dtype and reduction. Integer sums and products run in the unsigned
 * type of the same width so that an overflow wraps instead of being
 * undefined.
 */
#include "scatter.h"

#include <string.h>

#define SCATTER_DEFINE_COMBINERS(name, T, W)                                                       \
    static void name##_add(void *dst, const void *src, int64_t n)                                  \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = (T)((W)d[i] + (W)s[i]);                                                         \
    }                                                                                              \
    static void name##_mul(void *dst, const void *src, int64_t n)                                  \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = (T)((W)d[i] * (W)s[i]);                                                         \
    }                                                                                              \
    static void name##_max(void *dst, const void *src, int64_t n)                                  \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = s[i] > d[i] ? s[i] : d[i];                                                      \
    }                                                                                              \
    static void name##_min(void *dst, const void *src, int64_t n)                                  \
    {                                                                                              \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = s[i] < d[i] ? s[i] : d[i];                                                      \
    }                                                                                              \
    static const scatter_combine_fn name##_fns[] = {NULL, name##_add, name##_mul, name##_max,      \
                                                    name##_min};

/* Products of narrow unsigned types promote to int; unsigned int keeps them defined. */
SCATTER_DEFINE_COMBINERS(f32, float, float)
SCATTER_DEFINE_COMBINERS(f64, double, double)
SCATTER_DEFINE_COMBINERS(i8, int8_t, unsigned)
SCATTER_DEFINE_COMBINERS(u8, uint8_t, unsigned)
SCATTER_DEFINE_COMBINERS(i16, int16_t, unsigned)
SCATTER_DEFINE_COMBINERS(u16, uint16_t, unsigned)
SCATTER_DEFINE_COMBINERS(i32, int32_t, uint32_t)
SCATTER_DEFINE_COMBINERS(u32, uint32_t, uint32_t)
SCATTER_DEFINE_COMBINERS(i64, int64_t, uint64_t)
SCATTER_DEFINE_COMBINERS(u64, uint64_t, uint64_t)

static void bool_or(void *dst, const void *src, int64_t n)
{
    bool *d = dst;
    const bool *s = src;
    for (int64_t i = 0; i < n; i++)
        d[i] = d[i] || s[i];
}

static void bool_and(void *dst, const void *src, int64_t n)
{
    bool *d = dst;
    const bool *s = src;
    for (int64_t i = 0; i < n; i++)
        d[i] = d[i] && s[i];
}

static const scatter_combine_fn bool_fns[] = {NULL, bool_or, bool_and, bool_or, bool_and};

#define SCATTER_COPY(name, T)                                                                      \
    static void name(void *dst, const void *src, int64_t n)                                        \
    {                                                                                              \
        memcpy(dst, src, (size_t)n * sizeof(T));                                                   \
    }
SCATTER_COPY(copy8, uint8_t)
SCATTER_COPY(copy16, uint16_t)
SCATTER_COPY(copy32, uint32_t)
SCATTER_COPY(copy64, uint64_t)

scatter_combine_fn scatter_combine_function(dtype_t t, scatter_reduction_t reduction)
{
    const scatter_combine_fn *fns;

    if (reduction == SCATTER_NONE) {
        switch (dtype_size(t)) {
        case 1:
            return copy8;
        case 2:
            return copy16;
        case 4:
            return copy32;
        case 8:
            return copy64;
        default:
            return NULL;
        }
    }
    switch (t) {
    case DTYPE_FLOAT:
        fns = f32_fns;
        break;
    case DTYPE_DOUBLE:
        fns = f64_fns;
        break;
    case DTYPE_INT8:
        fns = i8_fns;
        break;
    case DTYPE_UINT8:
        fns = u8_fns;
        break;
    case DTYPE_INT16:
        fns = i16_fns;
        break;
    case DTYPE_UINT16:
        fns = u16_fns;
        break;
    case DTYPE_INT32:
        fns = i32_fns;
        break;
    case DTYPE_UINT32:
        fns = u32_fns;
        break;
    case DTYPE_INT64:
        fns = i64_fns;
        break;
    case DTYPE_UINT64:
        fns = u64_fns;
        break;
    case DTYPE_BOOL:
        fns = bool_fns;
        break;
    default:
        return NULL;
    }
    return reduction <= SCATTER_MIN ? fns[reduction] : NULL;
}
