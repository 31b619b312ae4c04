/*
 * pool_max_nhwc_simd.c - one output row of the channels-last float max pool
 * (pool_nhwc.h's pool_max_nhwc_row_*) on AVX2 and AVX-512, and of the
 * 8-bit one (pool_max_nhwc_row_8_*: one vector of channels at a time, 64 or
 * 32 bytes, the AVX-512 tail under a byte mask, the AVX2 one in C).
 *
 * Each output position keeps a block of channels in registers (four
 * vectors: 64 channels on AVX-512, 32 on AVX2) while it reads the window's
 * taps, and stores the block once, where the plain C loop read and wrote
 * its output vector at every tap. The channels left past the blocks run
 * one vector at a time (AVX-512: the last under a lane mask; AVX2: the
 * last few in C). Each step is max(tap, running) with the tap first, which
 * is the C loop's `tap > running ? tap : running`: a NaN tap never wins
 * and -0 does not replace +0, so the variants agree bit for bit.
 */
#include <immintrin.h>

#include "pool_nhwc.h"

#define AVX512   __attribute__((target("avx512f")))
#define AVX512BW __attribute__((target("avx512f,avx512bw")))
#define AVX2     __attribute__((target("avx2")))

/* Channels of one AVX-512 and one AVX2 vector, and vectors per block. */
#define LANES512 16
#define LANES256 8
#define BLOCK    4

/* The first channel of tap (kh, kw) of the window at row span sh and column span sw. */
static inline const float *tap_at(const pool_window_t *w, const float *xn, int64_t c,
                                  const pool_span_t *sh, const pool_span_t *sw, int64_t kh,
                                  int64_t kw)
{
    const int64_t ih = sh->start + kh * w->dilation[1];

    return xn + (ih * w->in[2] + sw->start + kw * w->dilation[2]) * c;
}

AVX512 void pool_max_nhwc_row_avx512(const pool_window_t *w, const pool_span_t *sh,
                                     const pool_span_t *sw0, int64_t c, const float *xn, float *yr)
{
    const int64_t blocks = c / (BLOCK * LANES512) * (BLOCK * LANES512);
    const __m512 lowest = _mm512_set1_ps(-__builtin_inff());

    for (int64_t ow = 0; ow < w->out[2]; ow++) {
        const pool_span_t *sw = &sw0[ow];
        float *yo = yr + ow * c;
        int64_t k = 0;
        for (; k < blocks; k += BLOCK * LANES512) {
            __m512 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++) {
                    const float *xi = tap_at(w, xn, c, sh, sw, kh, kw) + k;
                    m0 = _mm512_max_ps(_mm512_loadu_ps(xi), m0);
                    m1 = _mm512_max_ps(_mm512_loadu_ps(xi + LANES512), m1);
                    m2 = _mm512_max_ps(_mm512_loadu_ps(xi + 2 * LANES512), m2);
                    m3 = _mm512_max_ps(_mm512_loadu_ps(xi + 3 * LANES512), m3);
                }
            _mm512_storeu_ps(yo + k, m0);
            _mm512_storeu_ps(yo + k + LANES512, m1);
            _mm512_storeu_ps(yo + k + 2 * LANES512, m2);
            _mm512_storeu_ps(yo + k + 3 * LANES512, m3);
        }
        for (; k < c; k += LANES512) {
            const __mmask16 lanes =
                c - k >= LANES512 ? (__mmask16)0xffff : (__mmask16)((1u << (c - k)) - 1);
            __m512 m = lowest;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++)
                    m = _mm512_max_ps(
                        _mm512_maskz_loadu_ps(lanes, tap_at(w, xn, c, sh, sw, kh, kw) + k), m);
            _mm512_mask_storeu_ps(yo + k, lanes, m);
        }
    }
}

AVX2 void pool_max_nhwc_row_avx2(const pool_window_t *w, const pool_span_t *sh,
                                 const pool_span_t *sw0, int64_t c, const float *xn, float *yr)
{
    const int64_t blocks = c / (BLOCK * LANES256) * (BLOCK * LANES256);
    const int64_t vectors = c / LANES256 * LANES256;
    const __m256 lowest = _mm256_set1_ps(-__builtin_inff());

    for (int64_t ow = 0; ow < w->out[2]; ow++) {
        const pool_span_t *sw = &sw0[ow];
        float *yo = yr + ow * c;
        int64_t k = 0;
        for (; k < blocks; k += BLOCK * LANES256) {
            __m256 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++) {
                    const float *xi = tap_at(w, xn, c, sh, sw, kh, kw) + k;
                    m0 = _mm256_max_ps(_mm256_loadu_ps(xi), m0);
                    m1 = _mm256_max_ps(_mm256_loadu_ps(xi + LANES256), m1);
                    m2 = _mm256_max_ps(_mm256_loadu_ps(xi + 2 * LANES256), m2);
                    m3 = _mm256_max_ps(_mm256_loadu_ps(xi + 3 * LANES256), m3);
                }
            _mm256_storeu_ps(yo + k, m0);
            _mm256_storeu_ps(yo + k + LANES256, m1);
            _mm256_storeu_ps(yo + k + 2 * LANES256, m2);
            _mm256_storeu_ps(yo + k + 3 * LANES256, m3);
        }
        for (; k < vectors; k += LANES256) {
            __m256 m = lowest;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++)
                    m = _mm256_max_ps(_mm256_loadu_ps(tap_at(w, xn, c, sh, sw, kh, kw) + k), m);
            _mm256_storeu_ps(yo + k, m);
        }
        for (; k < c; k++) {
            float m = -__builtin_inff();
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++) {
                    const float v = tap_at(w, xn, c, sh, sw, kh, kw)[k];
                    m = v > m ? v : m;
                }
            yo[k] = m;
        }
    }
}

/* Bytes of one AVX-512 and one AVX2 vector. */
#define BYTES512 64
#define BYTES256 32

/* The first channel of tap (kh, kw), on bytes. */
static inline const uint8_t *tap_at8(const pool_window_t *w, const uint8_t *xn, int64_t c,
                                     const pool_span_t *sh, const pool_span_t *sw, int64_t kh,
                                     int64_t kw)
{
    const int64_t ih = sh->start + kh * w->dilation[1];

    return xn + (ih * w->in[2] + sw->start + kw * w->dilation[2]) * c;
}

AVX512BW static inline __attribute__((always_inline)) __m512i max8_512(__m512i a, __m512i b,
                                                                       bool is_signed)
{
    return is_signed ? _mm512_max_epi8(a, b) : _mm512_max_epu8(a, b);
}

AVX512BW static inline __attribute__((always_inline)) void
row8_avx512(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0, int64_t c,
            const bool is_signed, const uint8_t *xn, uint8_t *yr)
{
    const __m512i lowest = _mm512_set1_epi8(is_signed ? (char)0x80 : 0);

    for (int64_t ow = 0; ow < w->out[2]; ow++) {
        const pool_span_t *sw = &sw0[ow];
        uint8_t *yo = yr + ow * c;
        for (int64_t k = 0; k < c; k += BYTES512) {
            const __mmask64 bytes =
                c - k >= BYTES512 ? ~(__mmask64)0 : (((__mmask64)1 << (c - k)) - 1);
            __m512i m = lowest;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++)
                    m = max8_512(
                        _mm512_maskz_loadu_epi8(bytes, tap_at8(w, xn, c, sh, sw, kh, kw) + k), m,
                        is_signed);
            _mm512_mask_storeu_epi8(yo + k, bytes, m);
        }
    }
}

AVX512BW void pool_max_nhwc_row_8_avx512(const pool_window_t *w, const pool_span_t *sh,
                                         const pool_span_t *sw0, int64_t c, bool is_signed,
                                         const uint8_t *xn, uint8_t *yr)
{
    if (is_signed)
        row8_avx512(w, sh, sw0, c, true, xn, yr);
    else
        row8_avx512(w, sh, sw0, c, false, xn, yr);
}

AVX2 static inline __attribute__((always_inline)) void
row8_avx2(const pool_window_t *w, const pool_span_t *sh, const pool_span_t *sw0, int64_t c,
          const bool is_signed, const uint8_t *xn, uint8_t *yr)
{
    const int64_t vectors = c / BYTES256 * BYTES256;
    const __m256i lowest = _mm256_set1_epi8(is_signed ? (char)0x80 : 0);

    for (int64_t ow = 0; ow < w->out[2]; ow++) {
        const pool_span_t *sw = &sw0[ow];
        uint8_t *yo = yr + ow * c;
        int64_t k = 0;
        for (; k < vectors; k += BYTES256) {
            __m256i m = lowest;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++) {
                    const __m256i v = _mm256_loadu_si256(
                        (const __m256i *)(tap_at8(w, xn, c, sh, sw, kh, kw) + k));
                    m = is_signed ? _mm256_max_epi8(v, m) : _mm256_max_epu8(v, m);
                }
            _mm256_storeu_si256((__m256i *)(yo + k), m);
        }
        for (; k < c; k++) {
            int32_t m = is_signed ? -128 : 0;
            for (int64_t kh = sh->first; kh < sh->end; kh++)
                for (int64_t kw = sw->first; kw < sw->end; kw++) {
                    const uint8_t b = tap_at8(w, xn, c, sh, sw, kh, kw)[k];
                    const int32_t v = is_signed ? (int8_t)b : b;
                    m = v > m ? v : m;
                }
            yo[k] = (uint8_t)m;
        }
    }
}

AVX2 void pool_max_nhwc_row_8_avx2(const pool_window_t *w, const pool_span_t *sh,
                                   const pool_span_t *sw0, int64_t c, bool is_signed,
                                   const uint8_t *xn, uint8_t *yr)
{
    if (is_signed)
        row8_avx2(w, sh, sw0, c, true, xn, yr);
    else
        row8_avx2(w, sh, sw0, c, false, xn, yr);
}
