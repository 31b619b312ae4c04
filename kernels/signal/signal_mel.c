/*
 * signal_mel.c - MelWeightMatrix: num_mel_bins triangular filters over the
 * dft_length / 2 + 1 bins of a onesided spectrum, following the ONNX
 * reference: num_mel_bins + 2 points evenly spaced in mel between the edge
 * frequencies (the step divides by their count), each mapped to the bin
 * floor((dft_length + 1) * hz / sample_rate); filter i rises from point i
 * to point i + 1 and falls to point i + 2.
 */
#include "signal.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "cast/cast.h"

static double hz_to_mel(double hz)
{
    return 2595.0 * log10(1.0 + hz / 700.0);
}

static double mel_to_hz(double mel)
{
    return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
}

int64_t signal_mel_point(int64_t i, int64_t mel_bins, int64_t dft_length, double sample_rate,
                         double lower, double upper)
{
    const double low = hz_to_mel(lower), high = hz_to_mel(upper);
    const double step = (high - low) / (double)(mel_bins + 2);

    return (int64_t)floor((double)(dft_length + 1) * mel_to_hz((double)i * step + low) /
                          sample_rate);
}

status_t mel_weight_matrix_run(op_call_t *call, error_t *err)
{
    tensor_t *y = &call->outputs[0];
    const int64_t rows = y->dims[0], mel_bins = y->dims[1];
    int64_t *points = call->workspace;
    double *w = (double *)(points + mel_bins + 2);
    cast_fn convert = cast_function(DTYPE_DOUBLE, y->dtype);

    (void)err;
    assert(convert);
    for (int64_t i = 0; i < mel_bins + 2; i++)
        points[i] = signal_mel_point(
            i, mel_bins, signal_scalar_int(call->inputs[1]), signal_scalar_real(call->inputs[2]),
            signal_scalar_real(call->inputs[3]), signal_scalar_real(call->inputs[4]));
    memset(w, 0, (size_t)(rows * mel_bins) * sizeof *w);
    for (int64_t i = 0; i < mel_bins; i++) {
        const int64_t lo = points[i], center = points[i + 1], hi = points[i + 2];
        /* The prototype checked 0 <= lo <= center <= hi < rows. */
        if (center == lo)
            w[center * mel_bins + i] = 1.0;
        else
            for (int64_t j = lo; j <= center; j++)
                w[j * mel_bins + i] = (double)(j - lo) / (double)(center - lo);
        if (hi > center)
            for (int64_t j = center; j < hi; j++)
                w[j * mel_bins + i] = (double)(hi - j) / (double)(hi - center);
    }
    convert(w, y->data, rows * mel_bins);
    return STATUS_OK;
}
