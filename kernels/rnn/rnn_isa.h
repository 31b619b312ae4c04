/*
 * rnn_isa.h - the step loop's two kernels in their ISA variants: the
 * recurrent product (rows of H times a packed R) and the cells (a row's
 * gates to its new state, fused per vector of hidden units). The cells
 * are written once (rnn_cell_body.h) over a small vector layer each ISA
 * file defines; the products are written per ISA.
 */
#ifndef INFERD_RNN_ISA_H
#define INFERD_RNN_ISA_H

#include "rnn.h"

/* What every cell of one direction shares. */
typedef struct rnn_cell_args {
    const rnn_act_t *acts; /* the direction's functions (rnn_params_t.acts[d]) */
    bool has_clip;
    float clip;
    bool input_forget;
    const float *peep; /* LSTM: the direction's [3, H] (i, o, f), or NULL */
    const float *rbh;  /* GRU with linear_before_reset: the direction's Rbh [H] */
    int64_t hidden;
} rnn_cell_args_t;

/*
 * One batch row at one step. gates and xw hold block-major columns from
 * the row's first (xw: the direction's first); a cell reads and writes
 * only its units' columns.
 */
typedef struct rnn_cell_row {
    float *gates;         /* H(t-1) x R^T; GRU's reset pass leaves z (activated) in it */
    const float *xw;      /* X(t) x W^T + bias */
    const float *h_prev;  /* [H] */
    float *h_new;         /* [H] */
    float *c;             /* LSTM: [H], C(t-1) in, C(t) out */
    float *y;             /* the row's [H] of Y, or NULL */
    float *rh;            /* GRU reset pass: r (.) H(t-1) out [H] */
    const float *gates_h; /* GRU update pass: (r (.) H(t-1)) x Rh^T, [H] in unit order */
} rnn_cell_row_t;

/* Units [u0, u1) of a row; u0 is a multiple of RNN_BLOCK, u1 one or the hidden size. */
typedef void (*rnn_cell_fn)(const rnn_cell_args_t *args, const rnn_cell_row_t *row, int64_t u0,
                            int64_t u1);

/*
 * out[r * ldo + c] = sum over q of a[r * lda + q] x b[q, c] for rows r < m
 * and the columns c of panels [p0, p1) of b; whole panels are written, so
 * out's rows have room for p1 x GEMM_B_PANEL columns.
 */
typedef void (*rnn_gemv_fn)(const float *a, int64_t lda, int64_t m, const gemm_b_t *b, int64_t p0,
                            int64_t p1, float *out, int64_t ldo);

typedef struct rnn_isa_ops {
    rnn_gemv_fn gemv;
    rnn_cell_fn lstm;
    rnn_cell_fn gru_fused;  /* linear_before_reset */
    rnn_cell_fn gru_reset;  /* without it, first pass: z, r and r (.) H(t-1) */
    rnn_cell_fn gru_update; /* second pass: h and H(t) */
    rnn_cell_fn rnn;
} rnn_isa_ops_t;

extern const rnn_isa_ops_t rnn_ops_generic;
extern const rnn_isa_ops_t rnn_ops_avx2;
extern const rnn_isa_ops_t rnn_ops_avx512;

/* The variant for cpu_isa(). */
const rnn_isa_ops_t *rnn_isa_ops(void);

#endif
