/*
 * signal.h - the signal-processing ops of opset 17 (DFT also 20):
 *   DFT            a discrete Fourier transform along one axis of a real
 *                  ([..., 1]) or complex ([..., 2]) signal, forward or
 *                  inverse, optionally zero-padded or cut to dft_length and
 *                  onesided (only the first n / 2 + 1 bins)
 *   STFT           DFTs of (windowed) frames of [batch, length, 1 or 2]
 *   HannWindow, HammingWindow, BlackmanWindow
 *                  generalised cosine windows of a given size
 *   MelWeightMatrix  the triangular mel filter bank
 * Transforms run in double on the FFT of signal_fft.c.
 */
#ifndef INFERD_SIGNAL_H
#define INFERD_SIGNAL_H

#include "op.h"

/* Longest transform, window or filter bank side: far above any audio frame. */
#define SIGNAL_MAX_LENGTH (INT64_C(1) << 24)

typedef enum signal_window {
    SIGNAL_HANN = 0,
    SIGNAL_HAMMING,
    SIGNAL_BLACKMAN,
} signal_window_t;

typedef struct signal_params {
    /* DFT */
    int64_t axis;    /* opset 17's attribute; opset 20 reads input 2 */
    bool axis_input; /* opset 20: the axis is input 2 (default -2) */
    bool inverse;
    bool onesided; /* DFT, STFT */
    /* windows and MelWeightMatrix */
    signal_window_t window;
    bool periodic;
    dtype_t output_dtype;
} signal_params_t;

extern const op_kernel_t dft_kernel;
extern const op_kernel_t stft_kernel;
extern const op_kernel_t window_kernel;
extern const op_kernel_t mel_weight_matrix_kernel;

/*
 * One length-n transform, planned once and run many times: power-of-two
 * lengths run a radix-2 FFT, other lengths Bluestein's algorithm over a
 * power-of-two FFT, so every length costs O(n log n).
 */
typedef struct signal_fft {
    int64_t n;
    int64_t m;         /* the power-of-two FFT length (n itself, or >= 2n - 1) */
    double *twiddle;   /* m / 2 complex roots exp(-2 pi i k / m) */
    double *chirp;     /* Bluestein: n complex exp(-i pi k^2 / n), else NULL */
    double *chirp_fft; /* Bluestein: FFT of the conjugate chirp, length m */
    double *work;      /* m complex values */
} signal_fft_t;

/* Doubles of scratch signal_fft_init needs for a length-n transform. */
size_t signal_fft_doubles(int64_t n);

/* Plans a length-n (>= 1) transform in scratch (signal_fft_doubles(n) doubles). */
void signal_fft_init(signal_fft_t *f, int64_t n, double *scratch);

/*
 * x: n interleaved complex values in, transformed in place:
 * X[k] = sum_j x[j] exp(-+2 pi i j k / n), with the + sign and a 1 / n
 * scale when inverse.
 */
void signal_fft_run(const signal_fft_t *f, double *x, bool inverse);

/* The window's value at k of size n (periodic or symmetric), in double. */
double signal_window_value(signal_window_t w, int64_t k, int64_t n, bool periodic);

/*
 * Point i (of num_mel_bins + 2, rising with i) of MelWeightMatrix's
 * filters, as a spectrum bin (signal_mel.c).
 */
int64_t signal_mel_point(int64_t i, int64_t mel_bins, int64_t dft_length, double sample_rate,
                         double lower, double upper);

/* CPU implementations (signal_dft.c, signal_stft.c, signal_window.c, signal_mel.c). */
status_t dft_run(op_call_t *call, error_t *err);
status_t stft_run(op_call_t *call, error_t *err);
status_t window_run(op_call_t *call, error_t *err);
status_t mel_weight_matrix_run(op_call_t *call, error_t *err);

/*
 * DFT's signal axis, normalised against the input's rank (false if outside
 * [-r, -2] or [0, r - 2]), and its dft_length (input 1, else the signal's
 * length along the axis); both inputs must be known (signal_proto.c).
 */
bool signal_dft_axis(const op_call_t *call, int *axis);
int64_t signal_dft_length(const op_call_t *call);

/* Reads a scalar (or one-element) integer or real input as int64 / double (signal_proto.c). */
int64_t signal_scalar_int(const tensor_t *t);
double signal_scalar_real(const tensor_t *t);

#endif
