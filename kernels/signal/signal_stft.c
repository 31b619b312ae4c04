/* signal_stft.c - STFT: the DFT of each (windowed) frame of each signal in the batch. */
#include "signal.h"

#include <string.h>

static double load(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static void store(dtype_t t, void *p, int64_t i, double v)
{
    if (t == DTYPE_FLOAT)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

status_t stft_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *window = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const tensor_t *y = &call->outputs[0];
    const dtype_t t = x->dtype;
    const int64_t step = signal_scalar_int(call->inputs[1]);
    const int64_t batch = x->dims[0], len = x->dims[1], ch = x->dims[2];
    const int64_t frames = y->dims[1], bins = y->dims[2];
    const int64_t n = window ? window->dims[0] : signal_scalar_int(call->inputs[3]);
    double *scratch = call->workspace;
    double *buf = scratch + signal_fft_doubles(n);
    signal_fft_t fft;

    (void)err;
    if (tensor_numel(y) == 0)
        return STATUS_OK;
    signal_fft_init(&fft, n, scratch);
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t f = 0; f < frames; f++) {
            const int64_t start = f * step;
            for (int64_t k = 0; k < n; k++) {
                const int64_t at = (b * len + start + k) * ch;
                const double w = window ? load(t, window->data, k) : 1.0;
                buf[2 * k] = load(t, x->data, at) * w;
                buf[2 * k + 1] = ch == 2 ? load(t, x->data, at + 1) * w : 0.0;
            }
            signal_fft_run(&fft, buf, false);
            for (int64_t k = 0; k < bins; k++) {
                const int64_t at = ((b * frames + f) * bins + k) * 2;
                store(t, y->data, at, buf[2 * k]);
                store(t, y->data, at + 1, buf[2 * k + 1]);
            }
        }
    }
    return STATUS_OK;
}
