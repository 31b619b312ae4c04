/*
 * half.h - float16 (IEEE 754 binary16) and bfloat16 elements: conversions
 * to and from float, one value or an array at a time.
 *
 * inferd stores both as their 16-bit patterns (uint16_t). Narrowing rounds
 * to nearest, ties to even, as ONNX's Cast asks (numpy for float16,
 * onnx.helper's float32_to_bfloat16 for bfloat16); values past the largest
 * finite half become infinities, NaN stays NaN (quiet). Widening is exact.
 *
 * The array forms use F16C (vcvtph2ps / vcvtps2ph) where cpu_isa() allows
 * AVX2, and shifts for bfloat16; the results equal the scalar forms.
 */
#ifndef INFERD_HALF_H
#define INFERD_HALF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dtype.h"

/* The two 16-bit floating types inferd holds. */
#define DTYPES_HALF (DTYPE_BIT(DTYPE_FLOAT16) | DTYPE_BIT(DTYPE_BFLOAT16))

static inline bool dtype_is_half(dtype_t t)
{
    return t == DTYPE_FLOAT16 || t == DTYPE_BFLOAT16;
}

static inline uint32_t half_float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float half_bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* bfloat16 is the top half of a float: widening is a shift. */
static inline float bf16_to_float(uint16_t h)
{
    return half_bits_float((uint32_t)h << 16);
}

static inline uint16_t float_to_bf16(float f)
{
    uint32_t u = half_float_bits(f);

    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep the sign, force a quiet payload */
        return (uint16_t)((u >> 16) | 0x0040u);
    /* Round to nearest even: add 0x7fff plus the lowest kept bit, then truncate. */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float f16_to_float(uint16_t h);
uint16_t float_to_f16(float f);
/* Straight from double: going through float could round twice. */
uint16_t double_to_f16(double d);
uint16_t double_to_bf16(double d);

/* n elements of dtype DTYPE_FLOAT16 or DTYPE_BFLOAT16 (t) to floats and back. */
void half_to_float_n(dtype_t t, const uint16_t *src, float *dst, int64_t n);
void float_to_half_n(dtype_t t, const float *src, uint16_t *dst, int64_t n);

/* One element of a half tensor (t) as float, or a float stored as one. */
static inline float half_get(dtype_t t, uint16_t h)
{
    return t == DTYPE_BFLOAT16 ? bf16_to_float(h) : f16_to_float(h);
}

static inline uint16_t half_from_float(dtype_t t, float f)
{
    return t == DTYPE_BFLOAT16 ? float_to_bf16(f) : float_to_f16(f);
}

#endif
