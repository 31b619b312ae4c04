/*
 * bf16.h - float to bfloat16 for the bf16 precision mode (engine.h): the
 * activations a bf16 convolution or matrix product reads are narrowed at
 * its input, once per run, into a buffer the caller owns.
 */
#ifndef INFERD_BF16_H
#define INFERD_BF16_H

#include <stdint.h>

/*
 * dst[i] = src[i] rounded to nearest even, on up to threads OpenMP threads:
 * vcvtneps2bf16 where the CPU has AVX512_BF16 (it flushes float denormals to
 * zero, as the bf16 dot products would), half.h's scalar form elsewhere.
 */
void bf16_from_float_n(const float *src, uint16_t *dst, int64_t n, int threads);

#endif
