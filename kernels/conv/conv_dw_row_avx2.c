/*
 * conv_dw_row_avx2.c - the 3x3 depthwise row (conv_dw_row.h) on AVX2: 8
 * channels per vector, their 9 taps and bias held in registers while the
 * row's outputs stream past; the last channels short of a vector are
 * loaded and stored under a lane mask. Outputs whose window lies inside
 * the row skip the column checks.
 */
#include <immintrin.h>

#include "conv_dw_row.h"

#define AVX2  __attribute__((target("avx2,fma")))
#define LANES 8

/* All-ones in the first left lanes (left >= LANES: all of them). */
AVX2 static inline __m256i lane_mask(int64_t left)
{
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int n = left >= LANES ? LANES : (int)left;

    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
}

/* The output at ox on the masked channels from c0; check: the window may leave the row. */
AVX2 static inline __m256 pixel(const conv_dw_row_t *r, const __m256 *taps, __m256 bias, __m256i k,
                                int64_t c0, int64_t ox, int check)
{
    const int64_t x0 = ox * r->stride - r->pad;
    __m256 acc = bias;

#pragma GCC unroll 3
    for (int kh = 0; kh < CONV_DW_ROW_K; kh++) {
        const float *row = r->rows[kh];
        if (!row)
            continue;
#pragma GCC unroll 3
        for (int kw = 0; kw < CONV_DW_ROW_K; kw++) {
            int64_t ix = x0 + kw;
            if (check && (ix < 0 || ix >= r->w))
                continue;
            acc = _mm256_fmadd_ps(taps[kh * CONV_DW_ROW_K + kw],
                                  _mm256_maskload_ps(row + ix * r->c + c0, k), acc);
        }
    }
    return acc;
}

AVX2 void conv_dw_row_avx2(const conv_dw_row_t *r)
{
    const __m256 lo = _mm256_set1_ps(r->lo), hi = _mm256_set1_ps(r->hi);
    /* Outputs [in0, in1) read columns inside [0, w) only. */
    int64_t in0 = (r->pad + r->stride - 1) / r->stride;
    int64_t in1 =
        r->w - CONV_DW_ROW_K + r->pad >= 0 ? (r->w - CONV_DW_ROW_K + r->pad) / r->stride + 1 : 0;

    in1 = in1 < r->ow ? in1 : r->ow;
    in0 = in0 < in1 ? in0 : in1;
    for (int64_t c0 = 0; c0 < r->c; c0 += LANES) {
        __m256i k = lane_mask(r->c - c0);
        __m256 taps[CONV_DW_ROW_TAPS], bias = _mm256_maskload_ps(r->bias + c0, k);
        for (int t = 0; t < CONV_DW_ROW_TAPS; t++)
            taps[t] = _mm256_maskload_ps(r->taps + t * r->c + c0, k);
        for (int64_t ox = 0; ox < r->ow; ox++) {
            int check = ox < in0 || ox >= in1;
            __m256 v =
                check ? pixel(r, taps, bias, k, c0, ox, 1) : pixel(r, taps, bias, k, c0, ox, 0);
            v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
            _mm256_maskstore_ps(r->out + ox * r->c + c0, k, v);
        }
    }
}
