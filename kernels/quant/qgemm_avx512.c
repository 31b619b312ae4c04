/*
 * qgemm_avx512.c - the AVX-512 VNNI micro-kernel of the int8 GEMM: tiles of
 * up to 6 rows x 4 panels (64 columns) in 24 zmm accumulators. Each group
 * of 4 k values loads the tile's panel rows once (64 bytes each) and
 * broadcasts 4 bytes of each row once for its vpdpbusd per panel, so a
 * group is 24 vpdpbusd for 4 loads and 6 broadcasts. Every (rows, panels,
 * signedness) combination is its own unrolled loop, so the accumulators
 * stay in registers. The loops over rows and panels carry `GCC unroll`:
 * without it GCC 12 unrolls them only after scalar replacement has run,
 * keeps the accumulator array in memory and stores every accumulator to
 * the stack after each vpdpbusd (measured: 150 against 330 GMAC/s at
 * 128 x 768 x 768 on one Zen 5 core).
 */
#include <immintrin.h>
#include <string.h>

#include "qgemm.h"

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* 4 bytes of a row as one int32 (memcpy: the row has no alignment). */
static inline int32_t load4(const uint8_t *p)
{
    int32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

VNNI static inline __attribute__((always_inline)) void
tile_fixed(const int mr, const int np, const bool rows_signed, int64_t kg, const uint8_t *rows,
           int64_t ld, const uint8_t *panels, int64_t pstride, int32_t *c, int64_t ldc)
{
    __m512i acc[QGEMM_MAX_MR][QGEMM_MAX_NP];

#pragma GCC unroll 6
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int p = 0; p < np; p++)
            acc[r][p] = _mm512_setzero_si512();
    for (int64_t g = 0; g < kg; g++) {
        __m512i b[QGEMM_MAX_NP];
#pragma GCC unroll 4
        for (int p = 0; p < np; p++)
            b[p] = _mm512_loadu_si512((const void *)(panels + p * pstride + g * QGEMM_GROUP_BYTES));
#pragma GCC unroll 6
        for (int r = 0; r < mr; r++) {
            const __m512i a = _mm512_set1_epi32(load4(rows + r * ld + g * QGEMM_KU));
#pragma GCC unroll 4
            for (int p = 0; p < np; p++)
                /* vpdpbusd multiplies its first operand's bytes as u8, the second's as s8. */
                acc[r][p] = rows_signed ? _mm512_dpbusd_epi32(acc[r][p], b[p], a)
                                        : _mm512_dpbusd_epi32(acc[r][p], a, b[p]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int p = 0; p < np; p++)
            _mm512_storeu_si512((void *)(c + r * ldc + p * QGEMM_NR), acc[r][p]);
}

#define TILE(MR, NP, S)                                                                            \
    VNNI static void tile_##MR##_##NP##_##S(int64_t kg, const uint8_t *rows, int64_t ld,           \
                                            const uint8_t *panels, int64_t pstride, int32_t *c,    \
                                            int64_t ldc)                                           \
    {                                                                                              \
        tile_fixed(MR, NP, S, kg, rows, ld, panels, pstride, c, ldc);                              \
    }
#define TILES_NP(MR, S) TILE(MR, 1, S) TILE(MR, 2, S) TILE(MR, 3, S) TILE(MR, 4, S)
#define TILES(S)                                                                                   \
    TILES_NP(1, S) TILES_NP(2, S) TILES_NP(3, S) TILES_NP(4, S) TILES_NP(5, S) TILES_NP(6, S)
TILES(0)
TILES(1)

typedef void (*tile_fn)(int64_t kg, const uint8_t *rows, int64_t ld, const uint8_t *panels,
                        int64_t pstride, int32_t *c, int64_t ldc);

#define ROW(MR, S)                                                                                 \
    {                                                                                              \
        tile_##MR##_1_##S, tile_##MR##_2_##S, tile_##MR##_3_##S, tile_##MR##_4_##S                 \
    }
static const tile_fn table[2][QGEMM_MAX_MR][QGEMM_MAX_NP] = {
    {ROW(1, 0), ROW(2, 0), ROW(3, 0), ROW(4, 0), ROW(5, 0), ROW(6, 0)},
    {ROW(1, 1), ROW(2, 1), ROW(3, 1), ROW(4, 1), ROW(5, 1), ROW(6, 1)},
};

void qgemm_tile_avx512_vnni(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                            const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                            int64_t ldc)
{
    table[rows_signed][mr - 1][np - 1](kg, rows, ld, panels, pstride, c, ldc);
}
