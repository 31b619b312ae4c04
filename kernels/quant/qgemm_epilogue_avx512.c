/*
 * qgemm_epilogue_avx512.c - the int8 GEMM's epilogue (qgemm.h) on AVX-512,
 * 16 columns of a row per step, the row's last step masked. Each lane does
 * qgemm_epilogue_apply's operations in the same order (int32 sums that
 * wrap, then float32 without fused multiply-add, the build does not
 * contract), and the GELU is vmath_gelu16_avx512, which vmath_gelu_f32
 * runs on AVX-512 too: both variants give the same bits.
 *
 * The scalar epilogue was a fifth of the GEMM's time on BERT-base's
 * projections (one tile of 6 x 64 sums per 4608 vpdpbusd at K = 768).
 */
#include <immintrin.h>

#include "qgemm.h"
#include "quant_vec.h"
#include "vmath.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

/* Lanes of one step. */
#define QEPI_LANES 16

/* The mask of the first n lanes (all of them from 16 on). */
static inline __mmask16 lanes(int64_t n)
{
    return n >= QEPI_LANES ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}

/* Clamp to [lo, hi] (NaN: lo), round half to even, add zy and store the low bytes. */
AVX512 static inline void store_q8(__m512 v, __m512 lo, __m512 hi, __m512i zy, void *y, __mmask16 k)
{
    const __m512 magic = _mm512_set1_ps(QUANT_ROUND_MAGIC);

    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    v = _mm512_sub_ps(_mm512_add_ps(v, magic), magic);
    _mm512_mask_cvtepi32_storeu_epi8(y, k, _mm512_add_epi32(_mm512_cvttps_epi32(v), zy));
}

AVX512 void qgemm_epilogue_avx512(const qgemm_epilogue_t *ep, const int32_t *c, int64_t ldc,
                                  int64_t m0, int64_t rows, int64_t n0, int64_t cols, void *out,
                                  int64_t ldo)
{
    const bool col_mult = !ep->mult_one && !ep->mult_per_row;
    const int32_t *coff = ep->col_off ? ep->col_off + n0 : NULL;
    const int32_t *cf = ep->row_f && ep->col_f ? ep->col_f + n0 : NULL;
    const float *fb = ep->fbias ? ep->fbias + n0 : NULL;
    const float *cm = ep->output != QGEMM_OUT_I32 && col_mult ? ep->mult + n0 : NULL;
    const __m512 lo = _mm512_set1_ps((float)(ep->lo - ep->zy));
    const __m512 hi = _mm512_set1_ps((float)(ep->hi - ep->zy));
    const __m512 ys = _mm512_set1_ps(ep->y_scale), zero = _mm512_setzero_ps();
    const __m512i zy = _mm512_set1_epi32(ep->zy), rz = _mm512_set1_epi32(ep->res_zp);
    const __m512 rs = _mm512_set1_ps(ep->res_scale);
    const size_t out_size = ep->output == QGEMM_OUT_F32 || ep->output == QGEMM_OUT_I32 ? 4 : 1;

    for (int64_t r = 0; r < rows; r++) {
        const int64_t m = m0 + r;
        const int32_t *src = c + r * ldc;
        const __m512i roff = _mm512_set1_epi32(ep->row_off ? ep->row_off[m] : 0);
        const __m512i rf = _mm512_set1_epi32(ep->row_f ? ep->row_f[m] : 0);
        /* One multiplier for the row when it is not per column. */
        const __m512 rm = _mm512_set1_ps(
            ep->output == QGEMM_OUT_I32 || col_mult ? 0.0f : ep->mult[ep->mult_one ? 0 : m]);
        char *y = (char *)out + (size_t)(m * ldo + n0) * out_size;
        const int8_t *res = ep->output == QGEMM_OUT_F32 && ep->res
                                ? (const int8_t *)ep->res + m * ep->res_ld + n0
                                : NULL;

        for (int64_t j = 0; j < cols; j += QEPI_LANES) {
            const __mmask16 k = lanes(cols - j);
            __m512i acc = _mm512_add_epi32(_mm512_maskz_loadu_epi32(k, src + j), roff);
            __m512 f;

            if (coff)
                acc = _mm512_add_epi32(acc, _mm512_maskz_loadu_epi32(k, coff + j));
            if (cf)
                acc = _mm512_add_epi32(acc,
                                       _mm512_mullo_epi32(rf, _mm512_maskz_loadu_epi32(k, cf + j)));
            if (ep->output == QGEMM_OUT_I32) {
                _mm512_mask_storeu_epi32(y + 4 * j, k, acc);
                continue;
            }
            f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), cm ? _mm512_maskz_loadu_ps(k, cm + j) : rm);
            if (ep->output == QGEMM_OUT_Q8) {
                store_q8(f, lo, hi, zy, y + j, k);
                continue;
            }
            if (fb)
                f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(k, fb + j));
            /* vmaxps gives its second operand unless f > 0: NaN and -0 become 0, as !(f > 0). */
            if (ep->act == QGEMM_ACT_RELU)
                f = _mm512_max_ps(f, zero);
            else if (ep->act == QGEMM_ACT_GELU)
                f = vmath_gelu16_avx512(f);
            if (res) {
                const __m128i b = _mm_maskz_loadu_epi8(k, res + j);
                const __m512i v =
                    ep->res_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
                f = _mm512_add_ps(f,
                                  _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(v, rz)), rs));
            }
            if (ep->output == QGEMM_OUT_F32)
                _mm512_mask_storeu_ps(y + 4 * j, k, f);
            else
                store_q8(_mm512_div_ps(f, ys), lo, hi, zy, y + j, k);
        }
    }
}
