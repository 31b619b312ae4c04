/*
 * conv_dw_row.h - one output row of a 3x3 depthwise convolution on
 * channels-last rows, with its bias and clamp: the step a fused block
 * (conv_block.h) runs between its two pointwise GEMMs, on expanded rows
 * that are still in cache.
 *
 * Variants per instruction set (conv_dw_row_generic.c, _avx2.c, _avx512.c)
 * compute the same sums in the same order, per output and channel: the
 * bias, then the taps row by row, left to right, each a fused or unfused
 * multiply-add (so results agree to fp32 rounding, not bit for bit).
 */
#ifndef INFERD_CONV_DW_ROW_H
#define INFERD_CONV_DW_ROW_H

#include <stdint.h>

/* Taps of the window: 3 rows of 3. */
#define CONV_DW_ROW_TAPS 9
#define CONV_DW_ROW_K    3

/* One output row. Everything is borrowed from the caller. */
typedef struct conv_dw_row {
    const float *rows[CONV_DW_ROW_K]; /* input rows under the window, [w][c]; NULL: padding */
    int64_t w;                        /* input columns */
    int64_t ow;                       /* output columns */
    int64_t c;                        /* channels */
    int64_t stride;                   /* column stride: 1 or 2 */
    int64_t pad;                      /* leading column pad */
    const float *taps;                /* [CONV_DW_ROW_TAPS][c], tap-major */
    const float *bias;                /* [c] */
    float lo, hi;                     /* the output is clamped to [lo, hi] */
    float *out;                       /* [ow][c] */
} conv_dw_row_t;

typedef void (*conv_dw_row_fn)(const conv_dw_row_t *r);

void conv_dw_row_generic(const conv_dw_row_t *r);
/* Call only where cpu_isa() >= CPU_ISA_AVX2. */
void conv_dw_row_avx2(const conv_dw_row_t *r);
/* Call only where cpu_isa() >= CPU_ISA_AVX512. */
void conv_dw_row_avx512(const conv_dw_row_t *r);

/* The variant cpu_isa() picks. */
conv_dw_row_fn conv_dw_row_pick(void);

#endif
