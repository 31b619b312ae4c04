/*
 * ONNX adapters of the signal ops:
 *   DFT              17 (axis attribute, default 1), 20 (axis is input 2,
 *                    default -2; dft_length stays input 1)
 *   STFT             17
 *   HannWindow, HammingWindow, BlackmanWindow   17
 *   MelWeightMatrix  17
 */
#include "signal.h"

static status_t read_flag(const op_adapt_t *a, const char *name, int64_t def, bool *out,
                          error_t *err)
{
    int64_t v;
    status_t st = adapt_int(a, name, def, &v, err);

    if (st != STATUS_OK)
        return st;
    if (v != 0 && v != 1)
        return op_adapt_fail(a, err, "attribute '%s' must be 0 or 1, got %lld", name, (long long)v);
    *out = v != 0;
    return STATUS_OK;
}

static status_t adapt_dft_common(const op_adapt_t *a, signal_params_t *p, error_t *err)
{
    status_t st = read_flag(a, "inverse", 0, &p->inverse, err);

    return st != STATUS_OK ? st : read_flag(a, "onesided", 0, &p->onesided, err);
}

static status_t adapt_dft_17(const op_adapt_t *a, void *params, error_t *err)
{
    signal_params_t *p = params;
    status_t st = adapt_int(a, "axis", 1, &p->axis, err);

    if (a->n_inputs > 2)
        return op_adapt_fail(a, err,
                             "has %d inputs; opset %d takes 1 or 2 (the axis is an "
                             "attribute)",
                             a->n_inputs, a->opset);
    p->axis_input = false;
    return st != STATUS_OK ? st : adapt_dft_common(a, p, err);
}

static status_t adapt_dft_20(const op_adapt_t *a, void *params, error_t *err)
{
    signal_params_t *p = params;

    if (adapt_has(a, "axis"))
        return op_adapt_fail(a, err, "opset %d takes the axis as input 2, not an attribute",
                             a->opset);
    p->axis = -2;
    p->axis_input = true;
    return adapt_dft_common(a, p, err);
}

static status_t adapt_stft(const op_adapt_t *a, void *params, error_t *err)
{
    signal_params_t *p = params;
    return read_flag(a, "onesided", 1, &p->onesided, err);
}

/* output_datatype: any numeric dtype inferd holds (float16 and bfloat16 are not yet). */
static status_t read_output_dtype(const op_adapt_t *a, signal_params_t *p, error_t *err)
{
    int64_t t;
    status_t st = adapt_int(a, "output_datatype", DTYPE_FLOAT, &t, err);

    if (st != STATUS_OK)
        return st;
    if (t < 0 || t > DTYPE_MAX || !dtype_in((dtype_t)t, DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE)))
        return op_adapt_fail(a, err, "output_datatype %lld is not a supported numeric type",
                             (long long)t);
    p->output_dtype = (dtype_t)t;
    return STATUS_OK;
}

static status_t adapt_window(const op_adapt_t *a, signal_params_t *p, signal_window_t w,
                             error_t *err)
{
    status_t st = read_flag(a, "periodic", 1, &p->periodic, err);

    p->window = w;
    return st != STATUS_OK ? st : read_output_dtype(a, p, err);
}

static status_t adapt_hann(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_window(a, params, SIGNAL_HANN, err);
}

static status_t adapt_hamming(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_window(a, params, SIGNAL_HAMMING, err);
}

static status_t adapt_blackman(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_window(a, params, SIGNAL_BLACKMAN, err);
}

static status_t adapt_mel(const op_adapt_t *a, void *params, error_t *err)
{
    return read_output_dtype(a, params, err);
}

const op_schema_t op_schemas_signal[] = {
    {"DFT", 17, 19, adapt_dft_17, &dft_kernel},
    {"DFT", 20, OPSET_MAX, adapt_dft_20, &dft_kernel},
    {"STFT", 17, OPSET_MAX, adapt_stft, &stft_kernel},
    {"HannWindow", 17, OPSET_MAX, adapt_hann, &window_kernel},
    {"HammingWindow", 17, OPSET_MAX, adapt_hamming, &window_kernel},
    {"BlackmanWindow", 17, OPSET_MAX, adapt_blackman, &window_kernel},
    {"MelWeightMatrix", 17, OPSET_MAX, adapt_mel, &mel_weight_matrix_kernel},
    {0},
};
