/* Prototypes of DFT, STFT, the window ops and MelWeightMatrix. */
#include "signal.h"

#include <math.h>

#include "cast/cast.h"

#define SIGNAL_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t dft_info = {
    .min_inputs = 1,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {SIGNAL_REALS, DTYPES_INDEX, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static const op_info_t stft_info = {
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {SIGNAL_REALS, DTYPES_INDEX, SIGNAL_REALS, DTYPES_INDEX},
    .layout = "any",
};

static const op_info_t window_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_INDEX},
    .layout = "any",
};

static const op_info_t mel_info = {
    .min_inputs = 5,
    .max_inputs = 5,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_INDEX, DTYPES_INDEX, DTYPES_INDEX, SIGNAL_REALS, SIGNAL_REALS},
    .layout = "any",
};

int64_t signal_scalar_int(const tensor_t *t)
{
    return tensor_get_index(t, 0);
}

double signal_scalar_real(const tensor_t *t)
{
    switch (t->dtype) {
    case DTYPE_FLOAT:
        return *(const float *)t->data;
    case DTYPE_DOUBLE:
        return *(const double *)t->data;
    default:
        return (double)tensor_get_index(t, 0);
    }
}

/* Input i must be a known one-element tensor; fails naming it otherwise. */
static status_t need_scalar(op_call_t *call, int i, const char *what, error_t *err)
{
    const tensor_t *t = call->inputs[i];
    char buf[SHAPE_TEXT_MAX];

    if (t->rank > 1 || tensor_numel(t) != 1)
        return op_call_fail(call, err, "%s (input %d) must be a scalar, got shape %s", what, i,
                            shape_format(t->rank, t->dims, buf, sizeof buf));
    if (!t->data)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "%s (input %d) must be known while planning (a constant or graph input)",
                       what, i);
    return STATUS_OK;
}

/* A known length in [lo, SIGNAL_MAX_LENGTH]. */
static status_t need_length(op_call_t *call, int i, const char *what, int64_t lo, int64_t *out,
                            error_t *err)
{
    status_t st = need_scalar(call, i, what, err);

    if (st != STATUS_OK)
        return st;
    *out = signal_scalar_int(call->inputs[i]);
    if (*out < lo || *out > SIGNAL_MAX_LENGTH)
        return op_call_fail(call, err, "%s %lld is outside [%lld, %lld]", what, (long long)*out,
                            (long long)lo, (long long)SIGNAL_MAX_LENGTH);
    return STATUS_OK;
}

bool signal_dft_axis(const op_call_t *call, int *axis)
{
    const signal_params_t *p = call->params;
    const int rank = call->inputs[0]->rank;
    int64_t a = p->axis;

    if (p->axis_input)
        a = call->n_inputs > 2 && call->inputs[2] ? signal_scalar_int(call->inputs[2]) : -2;
    if (a < 0)
        a += rank;
    if (a < 0 || a > rank - 2)
        return false;
    *axis = (int)a;
    return true;
}

int64_t signal_dft_length(const op_call_t *call)
{
    int axis;

    if (call->n_inputs > 1 && call->inputs[1])
        return signal_scalar_int(call->inputs[1]);
    return signal_dft_axis(call, &axis) ? call->inputs[0]->dims[axis] : 0;
}

/* Workspace of a length-n transform: its plan and one complex buffer. */
static size_t transform_workspace(int64_t n)
{
    return (signal_fft_doubles(n) + 2 * (size_t)n) * sizeof(double);
}

static status_t dft_infer(op_call_t *call, error_t *err)
{
    const signal_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];
    int64_t n;
    int axis;
    status_t st;

    if (x->rank < 2 || (x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2))
        return op_call_fail(call, err,
                            "input must be [..., signal, 1] (real) or [..., signal, 2] (complex), "
                            "got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    if (p->axis_input && call->n_inputs > 2 && call->inputs[2] &&
        (st = need_scalar(call, 2, "axis", err)) != STATUS_OK)
        return st;
    if (!signal_dft_axis(call, &axis))
        return op_call_fail(call, err, "axis %lld is outside [-r, -2] and [0, r - 2] for input %s",
                            (long long)(p->axis_input && call->n_inputs > 2 && call->inputs[2]
                                            ? signal_scalar_int(call->inputs[2])
                                            : p->axis),
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    if (call->n_inputs > 1 && call->inputs[1]) {
        if ((st = need_length(call, 1, "dft_length", 1, &n, err)) != STATUS_OK)
            return st;
    } else {
        n = x->dims[axis];
        if (n < 1 || n > SIGNAL_MAX_LENGTH)
            return op_call_fail(call, err, "signal length %lld is outside [1, %lld]", (long long)n,
                                (long long)SIGNAL_MAX_LENGTH);
    }
    if (p->inverse && p->onesided)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "onesided inverse transforms are not supported");
    *y = *x;
    y->data = NULL;
    y->dims[axis] = p->onesided ? n / 2 + 1 : n;
    y->dims[y->rank - 1] = 2;
    call->workspace_size = transform_workspace(n);
    return STATUS_OK;
}

static status_t stft_infer(op_call_t *call, error_t *err)
{
    const signal_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *window = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const bool has_length = call->n_inputs > 3 && call->inputs[3];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];
    int64_t step, n = 0;
    status_t st;

    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return op_call_fail(call, err, "signal must be [batch, length, 1 or 2], got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    if ((st = need_length(call, 1, "frame_step", 1, &step, err)) != STATUS_OK)
        return st;
    if (window) {
        if (window->rank != 1 || window->dtype != x->dtype)
            return op_call_fail(call, err, "window must be 1-D of the signal's dtype, got %s %s",
                                dtype_name(window->dtype),
                                shape_format(window->rank, window->dims, buf, sizeof buf));
        n = window->dims[0];
    }
    if (has_length) {
        int64_t fl;
        if ((st = need_length(call, 3, "frame_length", 1, &fl, err)) != STATUS_OK)
            return st;
        if (window && fl != n)
            return op_call_fail(call, err,
                                "frame_length %lld differs from the window's length %lld",
                                (long long)fl, (long long)n);
        n = fl;
    }
    if (!window && !has_length)
        return op_call_fail(call, err, "needs a window or a frame_length");
    if (n < 1 || n > x->dims[1] || n > SIGNAL_MAX_LENGTH)
        return op_call_fail(call, err, "frame length %lld is outside [1, %lld] (the signal's)",
                            (long long)n, (long long)x->dims[1]);
    y->dtype = x->dtype;
    y->rank = 4;
    y->dims[0] = x->dims[0];
    y->dims[1] = (x->dims[1] - n) / step + 1;
    y->dims[2] = p->onesided ? n / 2 + 1 : n;
    y->dims[3] = 2;
    if (!shape_valid(4, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(4, y->dims, buf, sizeof buf));
    call->workspace_size = transform_workspace(n);
    return STATUS_OK;
}

static status_t window_infer(op_call_t *call, error_t *err)
{
    const signal_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    int64_t n;
    status_t st = need_length(call, 0, "size", 0, &n, err);

    if (st != STATUS_OK)
        return st;
    y->dtype = p->output_dtype;
    y->rank = 1;
    y->dims[0] = n;
    call->workspace_size = (size_t)n * sizeof(double);
    return STATUS_OK;
}

static status_t mel_infer(op_call_t *call, error_t *err)
{
    const signal_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    int64_t mel_bins, dft_length, rate, last_center, last_end;
    double lower, upper;
    status_t st;

    if ((st = need_length(call, 0, "num_mel_bins", 1, &mel_bins, err)) != STATUS_OK ||
        (st = need_length(call, 1, "dft_length", 1, &dft_length, err)) != STATUS_OK ||
        (st = need_length(call, 2, "sample_rate", 1, &rate, err)) != STATUS_OK ||
        (st = need_scalar(call, 3, "lower_edge_hertz", err)) != STATUS_OK ||
        (st = need_scalar(call, 4, "upper_edge_hertz", err)) != STATUS_OK)
        return st;
    lower = signal_scalar_real(call->inputs[3]);
    upper = signal_scalar_real(call->inputs[4]);
    if (!(lower >= 0 && lower <= upper && upper <= (double)rate))
        return op_call_fail(
            call, err, "edges must satisfy 0 <= lower (%g) <= upper (%g) <= sample_rate (%lld)",
            lower, upper, (long long)rate);
    y->dtype = p->output_dtype;
    y->rank = 2;
    y->dims[0] = dft_length / 2 + 1;
    y->dims[1] = mel_bins;
    if (!shape_valid(2, y->dims, NULL))
        return op_call_fail(call, err, "a %lld x %lld filter bank is too large",
                            (long long)y->dims[0], (long long)mel_bins);
    /*
     * The points rise with i: the last centre must be a bin of the spectrum
     * and the last filter's end at most one past it (it is exclusive).
     */
    last_center = signal_mel_point(mel_bins, mel_bins, dft_length, (double)rate, lower, upper);
    last_end = signal_mel_point(mel_bins + 1, mel_bins, dft_length, (double)rate, lower, upper);
    if (last_center >= y->dims[0] || last_end > y->dims[0])
        return op_call_fail(call, err,
                            "the filters reach bin %lld, past the %lld bins of a %lld-point "
                            "spectrum",
                            (long long)last_end, (long long)y->dims[0], (long long)dft_length);
    call->workspace_size =
        (size_t)(mel_bins + 2) * sizeof(int64_t) + (size_t)(y->dims[0] * mel_bins) * sizeof(double);
    return STATUS_OK;
}

const op_kernel_t dft_kernel = {
    .name = "DFT",
    .info = &dft_info,
    .params_size = sizeof(signal_params_t),
    .value_inputs = (1u << 1) | (1u << 2),
    .infer = dft_infer,
    .run = dft_run,
};

const op_kernel_t stft_kernel = {
    .name = "STFT",
    .info = &stft_info,
    .params_size = sizeof(signal_params_t),
    .value_inputs = (1u << 1) | (1u << 3),
    .infer = stft_infer,
    .run = stft_run,
};

const op_kernel_t window_kernel = {
    .name = "Window",
    .info = &window_info,
    .params_size = sizeof(signal_params_t),
    .value_inputs = 1u << 0,
    .infer = window_infer,
    .run = window_run,
};

const op_kernel_t mel_weight_matrix_kernel = {
    .name = "MelWeightMatrix",
    .info = &mel_info,
    .params_size = sizeof(signal_params_t),
    .value_inputs = 0x1fu,
    .infer = mel_infer,
    .run = mel_weight_matrix_run,
};
