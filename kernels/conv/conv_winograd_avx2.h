/*
 * conv_winograd_avx2.h - what the AVX2 transforms of both Winograd tiles
 * (conv_winograd_avx2.c, conv_winograd4_avx2.c) share: the epilogue's
 * activation on 8 channels.
 */
#ifndef INFERD_CONV_WINOGRAD_AVX2_H
#define INFERD_CONV_WINOGRAD_AVX2_H

#include <immintrin.h>

#include "conv_winograd.h"

/* conv_winograd_store on output channels c .. c + 7; inlined into AVX2 callers only. */
__attribute__((target("avx2"))) static inline void
conv_winograd_store8(__m256 v, float *out, const float *res, int64_t c,
                     const conv_winograd_epilogue_t *ep)
{
    if (!out)
        return;
    if (res)
        v = _mm256_add_ps(v, _mm256_loadu_ps(res + c));
    if (ep->act == CONV_ACTIVATION_RELU)
        v = _mm256_max_ps(v, _mm256_setzero_ps());
    else if (ep->act == CONV_ACTIVATION_CLIP)
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(ep->clip_min)),
                          _mm256_set1_ps(ep->clip_max));
    _mm256_storeu_ps(out + c, v);
}

#endif
