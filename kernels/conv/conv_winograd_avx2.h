/*
 * conv_winograd_avx2.h - what the AVX2 transforms of both Winograd tiles
 * (conv_winograd_avx2.c, conv_winograd4_avx2.c) share: the epilogue's
 * activation on 8 channels.
 */
#ifndef INFERD_CONV_WINOGRAD_AVX2_H
#define INFERD_CONV_WINOGRAD_AVX2_H

#include <immintrin.h>

#include "conv_winograd.h"

/* conv_winograd_activate on 8 channels; inlined into AVX2 callers only. */
__attribute__((target("avx2"))) static inline __m256
conv_winograd_activate8(__m256 v, const conv_winograd_epilogue_t *ep)
{
    if (ep->act == CONV_ACTIVATION_RELU)
        return _mm256_max_ps(v, _mm256_setzero_ps());
    if (ep->act == CONV_ACTIVATION_CLIP)
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(ep->clip_min)),
                             _mm256_set1_ps(ep->clip_max));
    return v;
}

#endif
