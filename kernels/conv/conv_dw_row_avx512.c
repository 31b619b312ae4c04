/*
 * conv_dw_row_avx512.c - the 3x3 depthwise row (conv_dw_row.h) on
 * AVX-512: 16 channels per vector, their 9 taps and bias held in registers
 * while the row's outputs stream past, four at a time where their windows
 * lie inside the row (block4), one at a time with column checks at its
 * ends; the last channels short of a vector run under a lane mask.
 */
#include <assert.h>
#include <immintrin.h>

#include "conv_dw_row.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define LANES  16

/* The output at ox on the masked channels from c0; check: the window may leave the row. */
AVX512 static inline __m512 pixel(const conv_dw_row_t *r, const __m512 *taps, __m512 bias,
                                  __mmask16 k, int64_t c0, int64_t ox, int check)
{
    const int64_t x0 = ox * r->stride - r->pad;
    __m512 acc = bias;

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
            acc = _mm512_fmadd_ps(taps[kh * CONV_DW_ROW_K + kw],
                                  _mm512_maskz_loadu_ps(k, row + ix * r->c + c0), acc);
        }
    }
    return acc;
}

/* Output columns a block computes at once. */
#define BLOCK 4

/*
 * Outputs ox .. ox + 3, all inside the row, at column stride S (a constant
 * once inlined): four independent chains of multiply-adds, so the FMA
 * latency is hidden (one output at a time waits on it nine times in a
 * row), and each input column under the four windows is loaded once for
 * every output it feeds.
 */
AVX512 static inline void block4(const conv_dw_row_t *r, const __m512 *taps, __m512 bias, __m512 lo,
                                 __m512 hi, __mmask16 k, int64_t c0, int64_t ox, const int S)
{
    const int64_t c = r->c;
    __m512 acc[BLOCK];

    for (int j = 0; j < BLOCK; j++)
        acc[j] = bias;
#pragma GCC unroll 3
    for (int kh = 0; kh < CONV_DW_ROW_K; kh++) {
        const float *row = r->rows[kh];
        __m512 col[(BLOCK - 1) * 2 + CONV_DW_ROW_K];
        if (!row)
            continue;
        row += (ox * S - r->pad) * c + c0;
#pragma GCC unroll 9
        for (int x = 0; x < (BLOCK - 1) * S + CONV_DW_ROW_K; x++)
            col[x] = _mm512_maskz_loadu_ps(k, row + x * c);
#pragma GCC unroll 3
        for (int kw = 0; kw < CONV_DW_ROW_K; kw++)
#pragma GCC unroll 4
            for (int j = 0; j < BLOCK; j++)
                acc[j] = _mm512_fmadd_ps(taps[kh * CONV_DW_ROW_K + kw], col[j * S + kw], acc[j]);
    }
    for (int j = 0; j < BLOCK; j++)
        _mm512_mask_storeu_ps(r->out + (ox + j) * c + c0, k,
                              _mm512_min_ps(_mm512_max_ps(acc[j], lo), hi));
}

AVX512 void conv_dw_row_avx512(const conv_dw_row_t *r)
{
    const __m512 lo = _mm512_set1_ps(r->lo), hi = _mm512_set1_ps(r->hi);
    /* Outputs [in0, in1) read columns inside [0, w) only. */
    int64_t in0 = (r->pad + r->stride - 1) / r->stride;
    int64_t in1 =
        r->w - CONV_DW_ROW_K + r->pad >= 0 ? (r->w - CONV_DW_ROW_K + r->pad) / r->stride + 1 : 0;

    assert(r->stride == 1 || r->stride == 2);
    in1 = in1 < r->ow ? in1 : r->ow;
    in0 = in0 < in1 ? in0 : in1;
    for (int64_t c0 = 0; c0 < r->c; c0 += LANES) {
        int64_t left = r->c - c0, ox = 0;
        __mmask16 k = left >= LANES ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
        __m512 taps[CONV_DW_ROW_TAPS], bias = _mm512_maskz_loadu_ps(k, r->bias + c0);
        for (int t = 0; t < CONV_DW_ROW_TAPS; t++)
            taps[t] = _mm512_maskz_loadu_ps(k, r->taps + t * r->c + c0);
        for (; ox < r->ow; ox++) {
            __m512 v;
            if (ox >= in0 && ox + BLOCK <= in1) {
                if (r->stride == 1)
                    block4(r, taps, bias, lo, hi, k, c0, ox, 1);
                else
                    block4(r, taps, bias, lo, hi, k, c0, ox, 2);
                ox += BLOCK - 1;
                continue;
            }
            v = ox >= in0 && ox < in1 ? pixel(r, taps, bias, k, c0, ox, 0)
                                      : pixel(r, taps, bias, k, c0, ox, 1);
            v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
            _mm512_mask_storeu_ps(r->out + ox * r->c + c0, k, v);
        }
    }
}
