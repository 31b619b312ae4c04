/*
 * dtype.h - element types. The numeric values are ONNX's
 * TensorProto.DataType, so a value read from a model needs no translation.
 */
#ifndef INFERD_DTYPE_H
#define INFERD_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dtype {
    DTYPE_UNDEFINED = 0,
    DTYPE_FLOAT = 1,
    DTYPE_UINT8 = 2,
    DTYPE_INT8 = 3,
    DTYPE_UINT16 = 4,
    DTYPE_INT16 = 5,
    DTYPE_INT32 = 6,
    DTYPE_INT64 = 7,
    DTYPE_STRING = 8,
    DTYPE_BOOL = 9,
    DTYPE_FLOAT16 = 10,
    DTYPE_DOUBLE = 11,
    DTYPE_UINT32 = 12,
    DTYPE_UINT64 = 13,
    DTYPE_COMPLEX64 = 14,
    DTYPE_COMPLEX128 = 15,
    DTYPE_BFLOAT16 = 16,
} dtype_t;

/* Largest dtype value; masks of dtypes fit in 32 bits because of it. */
#define DTYPE_MAX 16

/* A set of dtypes as a bit mask, for operator info tables. */
#define DTYPE_BIT(t) (1u << (t))
#define DTYPES_FLOAT DTYPE_BIT(DTYPE_FLOAT)
#define DTYPES_INDEX (DTYPE_BIT(DTYPE_INT32) | DTYPE_BIT(DTYPE_INT64))
#define DTYPES_INT                                                                                 \
    (DTYPES_INDEX | DTYPE_BIT(DTYPE_UINT8) | DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_UINT16) |     \
     DTYPE_BIT(DTYPE_INT16) | DTYPE_BIT(DTYPE_UINT32) | DTYPE_BIT(DTYPE_UINT64))
#define DTYPES_NUMERIC (DTYPES_FLOAT | DTYPES_INT)
#define DTYPES_BOOL    DTYPE_BIT(DTYPE_BOOL)
/*
 * The dtypes most kernels take (no strings, no halves). float16 and
 * bfloat16 (DTYPES_HALF in half.h) are held in memory too, but only Cast,
 * the weight-packing kernels and a few others take them: the compiler
 * widens the rest of a half model to float (engine/half.c).
 */
#define DTYPES_ALL (DTYPES_NUMERIC | DTYPES_BOOL | DTYPE_BIT(DTYPE_DOUBLE))

/* Largest dtype_size() of any dtype (int64, uint64, double). */
#define DTYPE_MAX_SIZE 8

/* Bytes per element, or 0 for dtypes inferd cannot hold in memory. */
size_t dtype_size(dtype_t t);

/* ONNX spelling, for example "float" or "int64"; "undefined" if unknown. */
const char *dtype_name(dtype_t t);

/* KServe v2 spelling, for example "FP32" or "INT64"; NULL if none. */
const char *dtype_kserve_name(dtype_t t);

/* Triton's model configuration spelling, for example "TYPE_FP32"; NULL if none. */
const char *dtype_triton_name(dtype_t t);

static inline bool dtype_in(dtype_t t, uint32_t mask)
{
    return t > DTYPE_UNDEFINED && t <= DTYPE_MAX && (mask & DTYPE_BIT(t)) != 0;
}

#endif
