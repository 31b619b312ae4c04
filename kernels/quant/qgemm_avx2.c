/*
 * qgemm_avx2.c - the AVX2 micro-kernel of the int8 GEMM: up to 3 rows x
 * one panel (16 columns). vpmaddubsw would multiply the bytes directly but
 * saturates its pair sums to int16 (255 * 127 * 2 > 32767), so both
 * operands are widened to int16 instead (vpmovzxbw / vpmovsxbw) and
 * multiplied by vpmaddwd, whose pair sums are exact int32. A 16-byte
 * slice of a panel (4 columns x 4 k) widens to one ymm; against the row's
 * 4 k values broadcast as int16, vpmaddwd leaves two partial sums per
 * column, which the end of the tile adds pairwise (vphaddd).
 */
#include <immintrin.h>
#include <string.h>

#include "qgemm.h"

#define AVX2    __attribute__((target("avx2")))
#define AVX2_MR 3

AVX2 static inline __attribute__((always_inline)) void
tile_fixed(const int mr, const bool rows_signed, int64_t kg, const uint8_t *rows, int64_t ld,
           const uint8_t *panel, int32_t *c, int64_t ldc)
{
    __m256i acc[AVX2_MR][4];

    for (int r = 0; r < mr; r++)
        for (int q = 0; q < 4; q++)
            acc[r][q] = _mm256_setzero_si256();
    for (int64_t g = 0; g < kg; g++) {
        __m256i a[AVX2_MR];
        for (int r = 0; r < mr; r++) {
            int32_t four;
            memcpy(&four, rows + r * ld + g * QGEMM_KU, sizeof four);
            const __m128i x = _mm_cvtsi32_si128(four);
            a[r] =
                _mm256_broadcastq_epi64(rows_signed ? _mm_cvtepi8_epi16(x) : _mm_cvtepu8_epi16(x));
        }
        for (int q = 0; q < 4; q++) {
            const __m128i raw =
                _mm_loadu_si128((const __m128i *)(panel + g * QGEMM_GROUP_BYTES + q * 16));
            const __m256i b = rows_signed ? _mm256_cvtepu8_epi16(raw) : _mm256_cvtepi8_epi16(raw);
            for (int r = 0; r < mr; r++)
                acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(b, a[r]));
        }
    }
    for (int r = 0; r < mr; r++)
        for (int h = 0; h < 2; h++) {
            /* [c0 c1 c4 c5 | c2 c3 c6 c7] -> columns in order. */
            const __m256i s = _mm256_hadd_epi32(acc[r][2 * h], acc[r][2 * h + 1]);
            _mm256_storeu_si256((__m256i *)(c + r * ldc + h * 8),
                                _mm256_permute4x64_epi64(s, _MM_SHUFFLE(3, 1, 2, 0)));
        }
}

#define TILE(MR, S)                                                                                \
    AVX2 static void tile_##MR##_##S(int64_t kg, const uint8_t *rows, int64_t ld,                  \
                                     const uint8_t *panel, int32_t *c, int64_t ldc)                \
    {                                                                                              \
        tile_fixed(MR, S, kg, rows, ld, panel, c, ldc);                                            \
    }
TILE(1, 0)
TILE(2, 0)
TILE(3, 0)
TILE(1, 1)
TILE(2, 1)
TILE(3, 1)

typedef void (*tile_fn)(int64_t kg, const uint8_t *rows, int64_t ld, const uint8_t *panel,
                        int32_t *c, int64_t ldc);
static const tile_fn table[2][AVX2_MR] = {{tile_1_0, tile_2_0, tile_3_0},
                                          {tile_1_1, tile_2_1, tile_3_1}};

void qgemm_tile_avx2(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                     const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                     int64_t ldc)
{
    for (int p = 0; p < np; p++)
        table[rows_signed][mr - 1](kg, rows, ld, panels + p * pstride, c + p * QGEMM_NR, ldc);
}
