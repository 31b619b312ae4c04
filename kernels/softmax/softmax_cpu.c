#include "softmax.h"

#include <assert.h>
#include <math.h>

/* One contiguous row of n values. */
static void softmax_row(const float *x, float *y, int64_t n, bool take_log)
{
    float max = x[0];
    double sum = 0.0;

    for (int64_t j = 1; j < n; j++)
        max = x[j] > max ? x[j] : max;
    if (take_log) {
        for (int64_t j = 0; j < n; j++) {
            y[j] = x[j] - max;
            sum += expf(y[j]);
        }
        float shift = (float)log(sum);
        for (int64_t j = 0; j < n; j++)
            y[j] -= shift;
    } else {
        for (int64_t j = 0; j < n; j++) {
            y[j] = expf(x[j] - max);
            sum += y[j];
        }
        float scale = (float)(1.0 / sum);
        for (int64_t j = 0; j < n; j++)
            y[j] *= scale;
    }
}

/*
 * n rows of inner values, normalised column-wise. Every pass walks whole
 * rows so the inner loops stay contiguous; max and sum hold one value per
 * column.
 */
static void softmax_columns(const float *x, float *y, int64_t n, int64_t inner, bool take_log,
                            float *max, float *sum)
{
    for (int64_t j = 0; j < inner; j++) {
        max[j] = x[j];
        sum[j] = 0.0f;
    }
    for (int64_t k = 1; k < n; k++) {
        const float *row = x + k * inner;
        for (int64_t j = 0; j < inner; j++)
            max[j] = row[j] > max[j] ? row[j] : max[j];
    }
    for (int64_t k = 0; k < n; k++) {
        const float *xr = x + k * inner;
        float *yr = y + k * inner;
        for (int64_t j = 0; j < inner; j++) {
            float e = expf(xr[j] - max[j]);
            yr[j] = take_log ? xr[j] - max[j] : e;
            sum[j] += e;
        }
    }
    for (int64_t j = 0; j < inner; j++)
        sum[j] = take_log ? logf(sum[j]) : 1.0f / sum[j];
    for (int64_t k = 0; k < n; k++) {
        float *yr = y + k * inner;
        if (take_log) {
            for (int64_t j = 0; j < inner; j++)
                yr[j] -= sum[j];
        } else {
            for (int64_t j = 0; j < inner; j++)
                yr[j] *= sum[j];
        }
    }
}

void softmax_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, bool take_log,
                 float *workspace)
{
    if (n == 0 || inner == 0)
        return;
    for (int64_t o = 0; o < outer; o++) {
        if (inner == 1)
            softmax_row(x, y, n, take_log);
        else
            softmax_columns(x, y, n, inner, take_log, workspace, workspace + inner);
        x += n * inner;
        y += n * inner;
    }
}

/*
 * float64: each column (stride inner) in three plain passes, in double
 * throughout, without workspace. No model inferd targets runs softmax in
 * double often enough to warrant the float path's row/column split.
 */
void softmax_f64(const double *x, double *y, int64_t outer, int64_t n, int64_t inner, bool take_log)
{
    if (n == 0 || inner == 0)
        return;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t j = 0; j < inner; j++) {
            const double *xc = x + o * n * inner + j;
            double *yc = y + o * n * inner + j;
            double max = xc[0], sum = 0.0;

            for (int64_t k = 1; k < n; k++)
                max = xc[k * inner] > max ? xc[k * inner] : max;
            for (int64_t k = 0; k < n; k++) {
                const double e = exp(xc[k * inner] - max);
                yc[k * inner] = take_log ? xc[k * inner] - max : e;
                sum += e;
            }
            const double shift = take_log ? log(sum) : 1.0 / sum;
            for (int64_t k = 0; k < n; k++)
                yc[k * inner] = take_log ? yc[k * inner] - shift : yc[k * inner] * shift;
        }
    }
}

static status_t run(op_call_t *call, bool take_log)
{
    const tensor_t *x = call->inputs[0];
    int64_t outer, n, inner;
    bool ok = softmax_geometry(call->params, x, &outer, &n, &inner);

    assert(ok);
    (void)ok;
    if (x->dtype == DTYPE_DOUBLE)
        softmax_f64(x->data, call->outputs[0].data, outer, n, inner, take_log);
    else
        softmax_f32(x->data, call->outputs[0].data, outer, n, inner, take_log, call->workspace);
    return STATUS_OK;
}

status_t softmax_run(op_call_t *call, error_t *err)
{
    return run(call, false);
}

status_t log_softmax_run(op_call_t *call, error_t *err)
{
    return run(call, true);
}
