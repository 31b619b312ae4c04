/*
 * gemm_kernel.h - the micro-kernel interface shared by the GEMM driver
 * (gemm.c) and its ISA variants: one call computes a tile of up to the
 * kernel's own row count (gemm_micro_t's mr) x its panels (one or two) x
 * GEMM_NR columns of C over one block of K.
 */
#ifndef INFERD_GEMM_KERNEL_H
#define INFERD_GEMM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_isa.h"
#include "gemm.h"

/*
 * Tile shape of the generic and AVX2 kernels. NR is two AVX2 vectors;
 * MR = 6 rows make 12 accumulators, enough independent FMA chains to hide
 * the FMA latency on two ports. The packed B layout depends on NR only.
 */
#define GEMM_MR 6
#define GEMM_NR GEMM_B_PANEL
/*
 * Rows of the short tile a row block's last rows may use instead: a 4-row
 * tile takes two thirds of a 6-row one, so 128 rows run as 20 tiles of 6
 * and 2 of 4 (21.3 tiles' time) rather than 21 of 6 and one of 2 (22).
 */
#define GEMM_SHORT_MR 4
/*
 * The AVX-512 kernel's tile: NR is one zmm vector, so 12 rows take 12 of
 * the 32 accumulators. Each K step loads one B row for 12 FMAs (6 with
 * the AVX2 tile) and each tile's fixed costs (epilogue, C lines, loop
 * start) spread over twice the rows.
 */
#define GEMM_AVX512_MR 12
/*
 * Its short tile: it computes any row count at about that count's cost
 * (down to 4 rows, where the FMA latency starts to show), so 13 to 16
 * rows left run as 8 + 5..8 rather than 12 + a latency-bound 1..4.
 */
#define GEMM_AVX512_SHORT_MR 8
/*
 * Panels an AVX-512 tile spans: 12 rows x 32 columns in 24 accumulators,
 * each A element broadcast once for two FMAs, so a K step is 24 FMAs for
 * 2 B loads and 12 broadcasts where the one-panel tile took 12 FMAs for
 * 1 + 12 loads, which held it below the FMA pipes. On a Zen 5 (EPYC,
 * 512-bit FMAs, one thread, median of 5 alternated runs of bench_gemm)
 * BERT-base's GEMMs went from 187, 168 and 151 GFLOP/s (M = 128; N x K
 * 768 x 768, 3072 x 768, 768 x 3072) to 214, 203 and 206 (the last with
 * gemm.c's longer AVX-512 K block), ResNet-50's by 13-28%. 14 x 32 (28
 * accumulators) measured no faster than 12 x 32.
 */
#define GEMM_AVX512_PANELS 2

/*
 * One tile: C[0..mr, 0..nr) (row stride ldc) gets A[0..mr, 0..kc) (row
 * stride lda) times the packed panel b (kc rows of GEMM_NR floats, zero
 * padded past the matrix's last column). A kernel of two panels also takes
 * GEMM_NR < nr <= 2 GEMM_NR: columns GEMM_NR.. then come from the next
 * panel, whose rows are ldp floats past b's (a packed B's k x GEMM_NR).
 *
 * first: the tile starts from bias + residual (either may be NULL, both
 * already offset to the tile) instead of from C; the residual may be C
 * itself, since each element is read before it is written.
 * last: the activation is applied before the store.
 * Otherwise C holds the sum of the previous K blocks and is accumulated.
 *
 * Rows past mr are computed from row 0 and discarded, so A is never read
 * beyond its mr rows; columns past nr are never loaded from or stored to C.
 *
 * next_c (and next_residual, when the residual is not C) are the C and
 * residual of the tile the driver runs next, next_mr rows of the same
 * strides, or NULL: a kernel may start fetching them while it computes
 * this tile, so that at the next tile's epilogue they have arrived (a C
 * too large for the cache otherwise stalls every epilogue on memory).
 */
typedef struct gemm_tile {
    const float *a;
    int64_t lda;
    const float *b;
    int64_t ldp; /* read only when nr > GEMM_NR */
    int64_t kc;
    float *c;
    int64_t ldc;
    int mr, nr;
    bool first, last;
    const float *next_c, *next_residual;
    int next_mr;
    const float *bias;
    const float *residual;
    int64_t ld_residual;
    gemm_activation_t act;
    float clip_min, clip_max;
} gemm_tile_t;

typedef void (*gemm_kernel_fn)(const gemm_tile_t *t);

/* Plain C, any CPU. */
void gemm_kernel_generic(const gemm_tile_t *t);

/* AVX2 + FMA; call only where cpu_isa() >= CPU_ISA_AVX2. */
void gemm_kernel_avx2(const gemm_tile_t *t);

/*
 * AVX-512 F, BW, DQ and VL + FMA, tiles of up to GEMM_AVX512_MR rows and
 * GEMM_AVX512_PANELS panels; call only where cpu_isa() >= CPU_ISA_AVX512.
 */
void gemm_kernel_avx512(const gemm_tile_t *t);

/*
 * A micro-kernel with the row counts the driver should cut a row block
 * into: tiles of mr rows (the most the kernel takes), except that a block
 * ending with mr + 1 to 2 mr - short_mr rows runs them as a short_mr tile
 * and the rest, when the kernel computes those two tiles faster than a
 * full one and a very short one. A tile spans up to panels adjacent panels
 * (nr up to panels x GEMM_NR); a task's odd last panel runs alone.
 * kc_max and mc_max bound the K blocks and the rows per task.
 */
typedef struct gemm_micro {
    gemm_kernel_fn fn;
    int mr, short_mr;
    bool even; /* cut a block into tiles of near-equal rows instead (see gemm.c's tile_rows) */
    int panels;
    int kc_max, mc_max;
    cpu_isa_t isa; /* what fn needs */
} gemm_micro_t;

/*
 * Side of the blocks gemm_transpose_block_avx2 transposes: one 8-lane
 * vector per row.
 */
#define GEMM_TRANSPOSE_BLOCK 8

/*
 * dst[r * ldd + c] = src[c * lds + r] for r, c < GEMM_TRANSPOSE_BLOCK, in
 * registers (AVX2 + FMA CPUs only): packing a transposed B (attention's K,
 * a Gemm's transB weights) one float at a time, each store a line apart,
 * took 7.6 us of a BERT-base head's 74.
 */
void gemm_transpose_block_avx2(const float *src, int64_t lds, float *dst, int64_t ldd);

#endif
