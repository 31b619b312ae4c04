/*
 * bf16.c - float to bfloat16 narrowing of activations for the bf16 mode.
 */
#include "bf16.h"

#include <immintrin.h>

#include "half.h"

/* Elements one thread narrows at least: below this a team costs more than it saves. */
#define BF16_CHUNK ((int64_t)1 << 15)

static void narrow_scalar(const float *src, uint16_t *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = float_to_bf16(src[i]);
}

__attribute__((target("avx512f,avx512bf16,avx512vl"))) static void
narrow_avx512(const float *src, uint16_t *dst, int64_t n)
{
    int64_t i = 0;

    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    for (; i + 16 <= n; i += 16) {
        __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((void *)(dst + i), (__m256i)v);
    }
    narrow_scalar(src + i, dst + i, n - i);
}

void bf16_from_float_n(const float *src, uint16_t *dst, int64_t n, int threads)
{
    static int has_bf16 = -1; /* a benign race: every thread computes the same answer */
    int64_t chunks = (n + BF16_CHUNK - 1) / BF16_CHUNK;
    int team;

    if (has_bf16 < 0)
        has_bf16 = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
    team = (int)(chunks < threads ? chunks : threads);
    if (team < 1)
        team = 1;
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t at = c * BF16_CHUNK, len = n - at < BF16_CHUNK ? n - at : BF16_CHUNK;
        if (has_bf16)
            narrow_avx512(src + at, dst + at, len);
        else
            narrow_scalar(src + at, dst + at, len);
    }
}
