/*
 * signal_window.c - HannWindow, HammingWindow, BlackmanWindow: generalised
 * cosine windows a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N), with N the
 * size (periodic) or size - 1 (symmetric), computed in double and
 * converted to the requested dtype.
 */
#include "signal.h"

#include <assert.h>
#include <math.h>

#include "cast/cast.h"

double signal_window_value(signal_window_t w, int64_t k, int64_t n, bool periodic)
{
    const double pi = 3.14159265358979323846;
    const int64_t denom = periodic ? n : n - 1;
    double a0, a1, a2 = 0, x;

    /* A symmetric window of one point is that point's peak, 1 (as numpy's windows give). */
    if (denom == 0)
        return 1.0;
    x = 2 * pi * (double)k / (double)denom;
    switch (w) {
    case SIGNAL_HANN:
        a0 = 0.5;
        a1 = 0.5;
        break;
    case SIGNAL_HAMMING:
        a0 = 25.0 / 46.0;
        a1 = 21.0 / 46.0;
        break;
    default:
        a0 = 0.42;
        a1 = 0.5;
        a2 = 0.08;
        break;
    }
    return a0 - a1 * cos(x) + a2 * cos(2 * x);
}

status_t window_run(op_call_t *call, error_t *err)
{
    const signal_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    const int64_t n = y->dims[0];
    double *values = call->workspace;
    cast_fn convert = cast_function(DTYPE_DOUBLE, y->dtype);

    (void)err;
    assert(convert); /* the adapter admits only dtypes inferd holds */
    for (int64_t k = 0; k < n; k++)
        values[k] = signal_window_value(p->window, k, n, p->periodic);
    convert(values, y->data, n);
    return STATUS_OK;
}
