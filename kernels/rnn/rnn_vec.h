/*
 * rnn_vec.h - constants the vector layers of rnn_isa_avx512.c and
 * rnn_isa_avx2.c share, so that both compute the same tanh.
 *
 * Below RNN_TANH_SPLIT, tanh x = x + x^3 P(x^2), P of degree 4 fitted to
 * tanh's relative error on [0, RNN_TANH_SPLIT] (6.5e-8 at most with the
 * coefficients rounded to float, evaluated in float). Above it, (1 - e) /
 * (1 + e) with e = e^-2|x| <= 0.33 loses nothing to cancellation (1.5e-7
 * relative with an exact e, plus the 2 ulp of vmath's exp).
 */
#ifndef INFERD_RNN_VEC_H
#define INFERD_RNN_VEC_H

#define RNN_TANH_SPLIT 0.55f
#define RNN_TANH_P0    -0.333333164f
#define RNN_TANH_P1    0.13332586f
#define RNN_TANH_P2    -0.0538523085f
#define RNN_TANH_P3    0.0210716799f
#define RNN_TANH_P4    -0.00627424102f

#endif
