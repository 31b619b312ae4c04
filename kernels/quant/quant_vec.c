/*
 * quant_vec.c - the per-tensor 8-bit elementwise loops (quant_vec.h). The
 * AVX-512 variants load 16 bytes, widen them to int32 lanes and convert;
 * the tail runs the same code under a mask. The plain C variants are the
 * reference arithmetic: both compute the same float32 operations in the
 * same order, so they agree bit for bit (the quant tests run both).
 */
#include "quant_vec.h"

#include <immintrin.h>

#include "cpu_isa.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

/* Lanes of one AVX-512 step. */
#define QVEC_LANES 16

quant_vec_out_t quant_vec_out(int32_t zy, bool is_signed)
{
    quant_vec_out_t o = {zy, is_signed ? -128 : 0, is_signed ? 127 : 255, is_signed};

    return o;
}

/* Clamp to [lo, hi] (NaN: lo), then round half to even. */
static inline float clamp_round(float q, float lo, float hi)
{
    q = q >= lo ? q : lo;
    q = q <= hi ? q : hi;
    /* Not folded to q: the build does not allow reassociation. */
    return (q + QUANT_ROUND_MAGIC) - QUANT_ROUND_MAGIC;
}

static inline void store_one(const quant_vec_out_t *o, void *y, int64_t i, float r)
{
    if (o->is_signed)
        ((int8_t *)y)[i] = (int8_t)((int32_t)r + o->zy);
    else
        ((uint8_t *)y)[i] = (uint8_t)((int32_t)r + o->zy);
}

static inline float load_one(const void *x, bool is_signed, int64_t i)
{
    return is_signed ? (float)((const int8_t *)x)[i] : (float)((const uint8_t *)x)[i];
}

static void quantize_c(const float *x, int64_t n, float scale, const quant_vec_out_t *o, void *y)
{
    const float lo = (float)(o->lo - o->zy), hi = (float)(o->hi - o->zy);

    for (int64_t i = 0; i < n; i++)
        store_one(o, y, i, clamp_round(x[i] / scale, lo, hi));
}

static void dequantize_c(const void *x, bool is_signed, int64_t n, float scale, int32_t zp,
                         float *y)
{
    for (int64_t i = 0; i < n; i++) {
        const int32_t v = is_signed ? ((const int8_t *)x)[i] : ((const uint8_t *)x)[i];
        y[i] = (float)(v - zp) * scale;
    }
}

static void add_c(const quant_vec_in_t *a, const quant_vec_in_t *b, float sy,
                  const quant_vec_out_t *o, int64_t n, void *y)
{
    const float lo = (float)(o->lo - o->zy), hi = (float)(o->hi - o->zy);

    for (int64_t i = 0; i < n; i++) {
        const float va = a->s * (load_one(a->x, a->is_signed, i) - a->z);
        const float v = va + b->s * (load_one(b->x, b->is_signed, i) - b->z);
        store_one(o, y, i, clamp_round(v / sy, lo, hi));
    }
}

/* The mask of the first n (< 16) lanes, or all of them. */
static inline __mmask16 lanes(int64_t n)
{
    return n >= QVEC_LANES ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}

/* 16 (masked) 8-bit values as float lanes. */
AVX512 static inline __m512 load16(const void *x, bool is_signed, int64_t i, __mmask16 m)
{
    const __m128i b = _mm_maskz_loadu_epi8(m, (const int8_t *)x + i);

    return _mm512_cvtepi32_ps(is_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b));
}

/* clamp_round on 16 lanes: vmaxps returns its second operand for NaN, as clamp_round does. */
AVX512 static inline __m512 clamp_round16(__m512 q, __m512 lo, __m512 hi)
{
    const __m512 magic = _mm512_set1_ps(QUANT_ROUND_MAGIC);

    q = _mm512_min_ps(_mm512_max_ps(q, lo), hi);
    return _mm512_sub_ps(_mm512_add_ps(q, magic), magic);
}

/* The rounded lanes plus zy, narrowed (in range after the clamp) and stored. */
AVX512 static inline void store16(__m512 r, __m512i zy, void *y, int64_t i, __mmask16 m)
{
    _mm512_mask_cvtepi32_storeu_epi8((int8_t *)y + i, m,
                                     _mm512_add_epi32(_mm512_cvttps_epi32(r), zy));
}

AVX512 static void quantize_avx512(const float *x, int64_t n, float scale, const quant_vec_out_t *o,
                                   void *y)
{
    const __m512 s = _mm512_set1_ps(scale);
    const __m512 lo = _mm512_set1_ps((float)(o->lo - o->zy));
    const __m512 hi = _mm512_set1_ps((float)(o->hi - o->zy));
    const __m512i zy = _mm512_set1_epi32(o->zy);

    for (int64_t i = 0; i < n; i += QVEC_LANES) {
        const __mmask16 m = lanes(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        store16(clamp_round16(_mm512_div_ps(v, s), lo, hi), zy, y, i, m);
    }
}

AVX512 static void dequantize_avx512(const void *x, bool is_signed, int64_t n, float scale,
                                     int32_t zp, float *y)
{
    const __m512 s = _mm512_set1_ps(scale);
    const __m512i z = _mm512_set1_epi32(zp);

    for (int64_t i = 0; i < n; i += QVEC_LANES) {
        const __mmask16 m = lanes(n - i);
        const __m128i b = _mm_maskz_loadu_epi8(m, (const int8_t *)x + i);
        const __m512i v = is_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
        _mm512_mask_storeu_ps(y + i, m,
                              _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(v, z)), s));
    }
}

AVX512 static void add_avx512(const quant_vec_in_t *a, const quant_vec_in_t *b, float sy,
                              const quant_vec_out_t *o, int64_t n, void *y)
{
    const __m512 sa = _mm512_set1_ps(a->s), za = _mm512_set1_ps(a->z);
    const __m512 sb = _mm512_set1_ps(b->s), zb = _mm512_set1_ps(b->z);
    const __m512 s = _mm512_set1_ps(sy);
    const __m512 lo = _mm512_set1_ps((float)(o->lo - o->zy));
    const __m512 hi = _mm512_set1_ps((float)(o->hi - o->zy));
    const __m512i zy = _mm512_set1_epi32(o->zy);

    for (int64_t i = 0; i < n; i += QVEC_LANES) {
        const __mmask16 m = lanes(n - i);
        const __m512 va = _mm512_mul_ps(sa, _mm512_sub_ps(load16(a->x, a->is_signed, i, m), za));
        const __m512 vb = _mm512_mul_ps(sb, _mm512_sub_ps(load16(b->x, b->is_signed, i, m), zb));
        store16(clamp_round16(_mm512_div_ps(_mm512_add_ps(va, vb), s), lo, hi), zy, y, i, m);
    }
}

void quant_vec_quantize(const float *x, int64_t n, float scale, const quant_vec_out_t *out, void *y)
{
    if (cpu_isa() >= CPU_ISA_AVX512)
        quantize_avx512(x, n, scale, out, y);
    else
        quantize_c(x, n, scale, out, y);
}

void quant_vec_dequantize(const void *x, bool is_signed, int64_t n, float scale, int32_t zp,
                          float *y)
{
    if (cpu_isa() >= CPU_ISA_AVX512)
        dequantize_avx512(x, is_signed, n, scale, zp, y);
    else
        dequantize_c(x, is_signed, n, scale, zp, y);
}

void quant_vec_add(const quant_vec_in_t *a, const quant_vec_in_t *b, float sy,
                   const quant_vec_out_t *out, int64_t n, void *y)
{
    if (cpu_isa() >= CPU_ISA_AVX512)
        add_avx512(a, b, sy, out, n, y);
    else
        add_c(a, b, sy, out, n, y);
}
