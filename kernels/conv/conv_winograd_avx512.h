/*
 * conv_winograd_avx512.h - what the AVX-512 transforms of both Winograd
 * tiles (conv_winograd_avx512.c, conv_winograd4_avx512.c) share: the lane
 * mask of a channel step and the epilogue's activation on 16 channels.
 *
 * Unlike the AVX2 variants, the last channels short of a vector run in the
 * same loop under a lane mask rather than on the generic code: with 16
 * lanes a remainder would hold up to 15 channels, and the layers of odd
 * widths (the first layers of some models, the tests) would spend most of
 * their time in the scalar loop.
 */
#ifndef INFERD_CONV_WINOGRAD_AVX512_H
#define INFERD_CONV_WINOGRAD_AVX512_H

#include <immintrin.h>

#include "conv_winograd.h"

#define CONV_WINO_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

/* Floats per zmm vector: one channel per lane. */
#define CONV_WINO_AVX512_LANES 16

/* The lanes of channels [c, min(c + 16, c1)): all 16 but at the last step. */
CONV_WINO_AVX512 static inline __mmask16 conv_winograd_mask16(int64_t c, int64_t c1)
{
    int64_t left = c1 - c;

    return left >= CONV_WINO_AVX512_LANES ? (__mmask16)0xffff
                                          : (__mmask16)((1u << (unsigned)left) - 1u);
}

/*
 * conv_winograd_store on output channels c .. c + 15 where k is set; lanes
 * outside k neither read res nor write out, so a tail never touches the
 * next pixel's channels (res may be out itself).
 */
CONV_WINO_AVX512 static inline void conv_winograd_store16(__m512 v, float *out, const float *res,
                                                          int64_t c, __mmask16 k,
                                                          const conv_winograd_epilogue_t *ep)
{
    if (!out)
        return;
    if (res)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, res + c));
    if (ep->act == CONV_ACTIVATION_RELU)
        v = _mm512_max_ps(v, _mm512_setzero_ps());
    else if (ep->act == CONV_ACTIVATION_CLIP)
        v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(ep->clip_min)),
                          _mm512_set1_ps(ep->clip_max));
    _mm512_mask_storeu_ps(out + c, k, v);
}

#endif
