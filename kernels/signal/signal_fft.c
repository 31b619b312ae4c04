/*
 * signal_fft.c - complex FFT of any length. Power-of-two lengths run an
 * iterative radix-2 Cooley-Tukey transform; other lengths n use
 * Bluestein's identity j k = (j^2 + k^2 - (k - j)^2) / 2, which turns the
 * transform into a convolution with the chirp exp(i pi k^2 / n), done by
 * power-of-two FFTs of length m >= 2n - 1. Chirp angles reduce k^2 modulo
 * 2n first, so they stay exact for long transforms.
 */
#include "signal.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static bool is_pow2(int64_t n)
{
    return (n & (n - 1)) == 0;
}

static int64_t fft_size(int64_t n)
{
    int64_t m = 1;

    if (is_pow2(n))
        return n;
    while (m < 2 * n - 1)
        m <<= 1;
    return m;
}

size_t signal_fft_doubles(int64_t n)
{
    const int64_t m = fft_size(n);

    /* twiddles (m), work (2m), and for Bluestein the chirp (2n) and its transform (2m) */
    return (size_t)(m + 2 * m + (is_pow2(n) ? 0 : 2 * n + 2 * m));
}

/* In-place radix-2 transform of m complex values (m a power of two), forward or inverse. */
static void fft_pow2(const double *twiddle, int64_t m, double *x, bool inverse)
{
    for (int64_t i = 1, j = 0; i < m; i++) {
        int64_t bit = m >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double re = x[2 * i], im = x[2 * i + 1];
            x[2 * i] = x[2 * j];
            x[2 * i + 1] = x[2 * j + 1];
            x[2 * j] = re;
            x[2 * j + 1] = im;
        }
    }
    for (int64_t len = 2; len <= m; len <<= 1) {
        const int64_t half = len >> 1, step = m / len;
        for (int64_t start = 0; start < m; start += len) {
            for (int64_t k = 0; k < half; k++) {
                const double wr = twiddle[2 * k * step];
                const double wi = inverse ? -twiddle[2 * k * step + 1] : twiddle[2 * k * step + 1];
                double *a = x + 2 * (start + k), *b = x + 2 * (start + k + half);
                const double br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
                b[0] = a[0] - br;
                b[1] = a[1] - bi;
                a[0] += br;
                a[1] += bi;
            }
        }
    }
}

void signal_fft_init(signal_fft_t *f, int64_t n, double *scratch)
{
    const double pi = 3.14159265358979323846;

    assert(n >= 1 && n <= SIGNAL_MAX_LENGTH);
    f->n = n;
    f->m = fft_size(n);
    f->twiddle = scratch;
    f->work = scratch + f->m;
    for (int64_t k = 0; k < f->m / 2; k++) {
        f->twiddle[2 * k] = cos(-2 * pi * (double)k / (double)f->m);
        f->twiddle[2 * k + 1] = sin(-2 * pi * (double)k / (double)f->m);
    }
    if (is_pow2(n)) {
        f->chirp = f->chirp_fft = NULL;
        return;
    }
    f->chirp = f->work + 2 * f->m;
    f->chirp_fft = f->chirp + 2 * n;
    for (int64_t k = 0; k < n; k++) {
        const int64_t k2 = (int64_t)(((uint64_t)k * (uint64_t)k) % (uint64_t)(2 * n));
        const double angle = pi * (double)k2 / (double)n;
        f->chirp[2 * k] = cos(angle);
        f->chirp[2 * k + 1] = -sin(angle); /* exp(-i pi k^2 / n) */
    }
    /* b[j] = conj(chirp[|j|]) for |j| < n, laid out circularly. */
    memset(f->chirp_fft, 0, 2 * (size_t)f->m * sizeof(double));
    for (int64_t k = 0; k < n; k++) {
        f->chirp_fft[2 * k] = f->chirp[2 * k];
        f->chirp_fft[2 * k + 1] = -f->chirp[2 * k + 1];
        if (k > 0) {
            f->chirp_fft[2 * (f->m - k)] = f->chirp[2 * k];
            f->chirp_fft[2 * (f->m - k) + 1] = -f->chirp[2 * k + 1];
        }
    }
    fft_pow2(f->twiddle, f->m, f->chirp_fft, false);
}

void signal_fft_run(const signal_fft_t *f, double *x, bool inverse)
{
    const int64_t n = f->n, m = f->m;

    if (!f->chirp) {
        fft_pow2(f->twiddle, n, x, inverse);
    } else {
        /*
         * The inverse is the forward transform of the conjugate, conjugated:
         * conjugating in and out keeps one chirp table.
         */
        double *w = f->work;
        memset(w, 0, 2 * (size_t)m * sizeof(double));
        for (int64_t k = 0; k < n; k++) {
            const double xr = x[2 * k], xi = inverse ? -x[2 * k + 1] : x[2 * k + 1];
            const double cr = f->chirp[2 * k], ci = f->chirp[2 * k + 1];
            w[2 * k] = xr * cr - xi * ci;
            w[2 * k + 1] = xr * ci + xi * cr;
        }
        fft_pow2(f->twiddle, m, w, false);
        for (int64_t k = 0; k < m; k++) {
            const double ar = w[2 * k], ai = w[2 * k + 1];
            const double br = f->chirp_fft[2 * k], bi = f->chirp_fft[2 * k + 1];
            w[2 * k] = ar * br - ai * bi;
            w[2 * k + 1] = ar * bi + ai * br;
        }
        fft_pow2(f->twiddle, m, w, true);
        for (int64_t k = 0; k < n; k++) {
            const double ar = w[2 * k] / (double)m, ai = w[2 * k + 1] / (double)m;
            const double cr = f->chirp[2 * k], ci = f->chirp[2 * k + 1];
            x[2 * k] = ar * cr - ai * ci;
            x[2 * k + 1] = ar * ci + ai * cr;
            if (inverse)
                x[2 * k + 1] = -x[2 * k + 1];
        }
    }
    if (inverse)
        for (int64_t k = 0; k < 2 * n; k++)
            x[k] /= (double)n;
}
