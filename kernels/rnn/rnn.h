/*
 * rnn.h - the recurrent layers LSTM, GRU and RNN (one layer, forward,
 * reverse or bidirectional, optional per-batch sequence lengths, initial
 * states and LSTM peepholes, layout 0 [seq, batch, ...] or 1 [batch, seq,
 * ...]).
 *
 * How a float32 layer runs (rnn_cpu.c):
 *   1. X x W^T + (Wb + Rb) for every time step and direction: ONE gemm_run
 *      over seq * batch rows on W packed once (rnn_pack.c).
 *   2. The step loop, per direction: H(t-1) x R^T on R packed once, by
 *      rnn_gemv (rows of H against the packed panels: at batch 1 a
 *      matrix-vector product, which gemm_run's tiles would run as one long
 *      FMA chain), then the gates fused per vector of hidden units
 *      (rnn_cell_*.c).
 *
 * The packed W and R hold their gate columns block-major: for each block of
 * RNN_BLOCK hidden units, the block's columns of every gate in turn (LSTM:
 * i, o, f, c). A block's gates are then adjacent, so the cell reads them
 * together, and threads take whole blocks: each computes its blocks'
 * columns of the product and its blocks' units of the new state, with one
 * barrier per step (GRU without linear_before_reset: two, since r (.) H
 * must be complete before it is multiplied).
 *
 * float64 runs a plain implementation of the same equations (rnn_f64.c).
 */
#ifndef INFERD_RNN_H
#define INFERD_RNN_H

#include "gemm/gemm.h"
#include "op.h"

/* Directions of a bidirectional layer. */
#define RNN_MAX_DIRS 2
/* Gates of the largest cell (LSTM: i, o, f, c). */
#define RNN_MAX_GATES 4
/* Activation functions per direction (LSTM: f, g, h). */
#define RNN_MAX_ACTS 3
/* Peephole vectors of an LSTM (i, o, f). */
#define RNN_PEEPHOLES 3
/*
 * Hidden units per block of the packed layout: two AVX-512 vectors, so
 * that a block's columns (G x 32) are whole GEMM_B_PANEL panels and a
 * thread's share of a layer starts on a panel.
 */
#define RNN_BLOCK 32
/*
 * Largest hidden_size, input_size, batch and sequence length: far past any
 * real layer, and small enough that every product of two of them and the
 * gate count fits in int64 with room to spare.
 */
#define RNN_MAX_DIM ((int64_t)1 << 24)

typedef enum rnn_cell {
    RNN_CELL_RNN,  /* Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb) */
    RNN_CELL_GRU,  /* gates z, r, h */
    RNN_CELL_LSTM, /* gates i, o, f, c */
} rnn_cell_t;

typedef enum rnn_direction {
    RNN_FORWARD,
    RNN_REVERSE,
    RNN_BIDIRECTIONAL,
} rnn_direction_t;

/* The activation functions the ONNX recurrent ops name. */
typedef enum rnn_act_kind {
    RNN_ACT_RELU,
    RNN_ACT_TANH,
    RNN_ACT_SIGMOID,
    RNN_ACT_AFFINE,           /* alpha x + beta */
    RNN_ACT_LEAKY_RELU,       /* x >= 0 ? x : alpha x */
    RNN_ACT_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
    RNN_ACT_SCALED_TANH,      /* alpha tanh(beta x) */
    RNN_ACT_HARD_SIGMOID,     /* min(max(alpha x + beta, 0), 1) */
    RNN_ACT_ELU,              /* x >= 0 ? x : alpha (e^x - 1) */
    RNN_ACT_SOFTSIGN,         /* x / (1 + |x|) */
    RNN_ACT_SOFTPLUS,         /* log(1 + e^x) */
} rnn_act_kind_t;

typedef struct rnn_act {
    rnn_act_kind_t kind;
    float alpha, beta;
} rnn_act_t;

typedef struct rnn_params {
    rnn_cell_t cell;
    rnn_direction_t direction;
    int64_t hidden_size; /* 0: taken from R */
    /* acts[d][k]: direction d's k-th function (LSTM f, g, h; GRU f, g; RNN f). */
    rnn_act_t acts[RNN_MAX_DIRS][RNN_MAX_ACTS];
    bool has_clip;
    float clip;               /* gate inputs are clamped to [-clip, clip] when has_clip */
    bool input_forget;        /* LSTM: f = 1 - i */
    bool linear_before_reset; /* GRU: r (.) (Ht-1 Rh^T + Rbh) instead of (r (.) Ht-1) Rh^T */
    bool batch_first;         /* layout 1 */
} rnn_params_t;

extern const op_kernel_t rnn_lstm_kernel;
extern const op_kernel_t rnn_gru_kernel;
extern const op_kernel_t rnn_rnn_kernel;

/* Gates of a cell: 1, 3 or 4. */
int rnn_gates(rnn_cell_t cell);

/* Activation functions per direction of a cell: 1, 2 or 3. */
int rnn_acts(rnn_cell_t cell);

/* Input slots of the optional inputs, as the ONNX ops number them. */
enum {
    RNN_IN_X = 0,
    RNN_IN_W,
    RNN_IN_R,
    RNN_IN_B,
    RNN_IN_SEQ_LENS,
    RNN_IN_INITIAL_H,
    RNN_IN_INITIAL_C, /* LSTM only */
    RNN_IN_P,         /* LSTM only */
};

/* Output slots: Y, Y_h and (LSTM) Y_c. */
enum { RNN_OUT_Y = 0, RNN_OUT_Y_H, RNN_OUT_Y_C };

/* A layer's sizes, read from its inputs by the prototype and the CPU code alike. */
typedef struct rnn_dims {
    int64_t seq, batch, input, hidden;
    int dirs, gates;
} rnn_dims_t;

/* The dims of call's layer; the prototype has checked the shapes. */
void rnn_dims(const op_call_t *call, rnn_dims_t *d);

/*
 * The packed weights of one layer (rnn_pack.c): made once by pack when W,
 * R and the present B and P are constants, else in the workspace by each
 * run. Columns are block-major (see the top of this file) in w, r and bias.
 */
typedef struct rnn_weights {
    rnn_dims_t dims;
    /* [input, dirs x G x H]: direction d's columns from d x G x H. */
    gemm_b_t *w;
    /*
     * [H, G x H] per direction; GRU without linear_before_reset: z and r
     * only ([H, 2 H], block-major) and rh holds h's [H, H] in unit order.
     */
    gemm_b_t *r[RNN_MAX_DIRS];
    gemm_b_t *rh[RNN_MAX_DIRS];
    float *bias; /* [dirs x G x H]: Wb + Rb, except GRU's Rbh under linear_before_reset */
    float *rbh;  /* GRU with linear_before_reset: [dirs, H]; else NULL */
    float *peep; /* LSTM with P: [dirs, 3, H] (i, o, f); else NULL */
} rnn_weights_t;

/* Bytes rnn_weights_fill needs for call's layer, handle included. */
size_t rnn_weights_bytes(const op_call_t *call);

/*
 * Lays out and fills the packed weights of call's layer in mem
 * (rnn_weights_bytes, 64-byte aligned) from inputs W, R, B and P; the
 * handle lives in mem.
 */
rnn_weights_t *rnn_weights_fill(const op_call_t *call, void *mem);

/* op_kernel_t hooks shared by the three ops (rnn_pack.c). */
status_t rnn_pack(const op_call_t *call, void **state, error_t *err);
void rnn_release(void *state);

/* CPU implementations (rnn_cpu.c, rnn_f64.c). */
status_t rnn_run(op_call_t *call, error_t *err);
size_t rnn_workspace_bytes(const op_call_t *call);
status_t rnn_run_f64(op_call_t *call, error_t *err);

/*
 * Checks sequence_lens (input 4, int32 [batch]) against the sequence
 * length; NULL-safe (an omitted input passes).
 */
status_t rnn_check_seq_lens(const op_call_t *call, int64_t seq, error_t *err);

#endif
