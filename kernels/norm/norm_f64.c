/*
 * norm_f64.c - the normalisations on double tensors: plain two-pass loops
 * in double (moments about the mean, then normalise), one thread. The float
 * kernels in norm_cpu.c are tuned (float lanes, folded multipliers); these
 * follow the ONNX formulas directly, since double models ask for accuracy.
 */
#include "norm.h"

#include <assert.h>
#include <math.h>

/* Population mean and variance of the n values at x, stride 1. */
static void moments_f64(const double *x, int64_t n, double *mean, double *var)
{
    double sum = 0.0, sq = 0.0;

    for (int64_t i = 0; i < n; i++)
        sum += x[i];
    *mean = n > 0 ? sum / (double)n : 0.0;
    for (int64_t i = 0; i < n; i++)
        sq += (x[i] - *mean) * (x[i] - *mean);
    *var = n > 0 ? sq / (double)n : 0.0;
}

status_t batchnorm_run_f64(op_call_t *call)
{
    const batchnorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const double *xd = x->data, *scale = call->inputs[1]->data, *bias = call->inputs[2]->data;
    const double *mean = call->inputs[3]->data, *var = call->inputs[4]->data;
    const int64_t count = tensor_numel(call->inputs[1]), batch = x->dims[0];
    double *y = call->outputs[0].data;
    double *batch_mean = call->workspace, *batch_var = batch_mean + count;
    int64_t spatial = 1;

    for (int i = 2; i < x->rank; i++)
        spatial *= x->dims[i];
    if (p->per_element) {
        /* spatial=0 (opsets < 9, inference only): one statistic per element of a batch item */
        for (int64_t b = 0; b < batch; b++)
            for (int64_t s = 0; s < count; s++) {
                int64_t i = b * count + s;
                y[i] = (xd[i] - mean[s]) / sqrt(var[s] + p->epsilon) * scale[s] + bias[s];
            }
        return STATUS_OK;
    }
    if (p->training) {
        const double n = (double)(batch * spatial);
        for (int64_t c = 0; c < count; c++) {
            double sum = 0.0, sq = 0.0, m;
            for (int64_t b = 0; b < batch; b++)
                for (int64_t s = 0; s < spatial; s++)
                    sum += xd[(b * count + c) * spatial + s];
            m = n > 0 ? sum / n : 0.0;
            for (int64_t b = 0; b < batch; b++)
                for (int64_t s = 0; s < spatial; s++) {
                    double d = xd[(b * count + c) * spatial + s] - m;
                    sq += d * d;
                }
            batch_mean[c] = m;
            batch_var[c] = n > 0 ? sq / n : 0.0;
        }
        /* running = given * momentum + batch * (1 - momentum) */
        for (int k = 1; k < call->n_outputs; k++) {
            const double *given = k == 1 ? mean : var, *now = k == 1 ? batch_mean : batch_var;
            double *running = call->outputs[k].data;
            for (int64_t c = 0; c < count; c++)
                running[c] = given[c] * p->momentum + now[c] * (1.0 - p->momentum);
        }
        mean = batch_mean;
        var = batch_var;
    }
    for (int64_t b = 0; b < batch; b++)
        for (int64_t c = 0; c < count; c++) {
            const double inv = 1.0 / sqrt(var[c] + p->epsilon);
            const double *xr = xd + (b * count + c) * spatial;
            double *yr = y + (b * count + c) * spatial;
            for (int64_t s = 0; s < spatial; s++)
                yr[s] = (xr[s] - mean[c]) * inv * scale[c] + bias[c];
        }
    return STATUS_OK;
}

status_t instancenorm_run_f64(op_call_t *call)
{
    const instancenorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const double *xd = x->data, *scale = call->inputs[1]->data, *bias = call->inputs[2]->data;
    double *y = call->outputs[0].data;
    const int64_t channels = x->dims[1];
    int64_t spatial = 1;

    for (int i = 2; i < x->rank; i++)
        spatial *= x->dims[i];
    for (int64_t r = 0; r < x->dims[0] * channels; r++) {
        const double *xr = xd + r * spatial;
        double *yr = y + r * spatial;
        const int64_t c = r % channels;
        double mean, var, inv;
        moments_f64(xr, spatial, &mean, &var);
        inv = 1.0 / sqrt(var + p->epsilon);
        for (int64_t s = 0; s < spatial; s++)
            yr[s] = (xr[s] - mean) * inv * scale[c] + bias[c];
    }
    return STATUS_OK;
}

status_t groupnorm_run_f64(op_call_t *call)
{
    const groupnorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const double *xd = x->data, *scale = call->inputs[1]->data, *bias = call->inputs[2]->data;
    double *y = call->outputs[0].data;
    const int64_t groups = p->num_groups, group_channels = x->dims[1] / groups;
    int64_t spatial = 1, row;

    assert(groups > 0 && x->dims[1] % groups == 0);
    for (int i = 2; i < x->rank; i++)
        spatial *= x->dims[i];
    row = group_channels * spatial;
    for (int64_t r = 0; r < x->dims[0] * groups; r++) {
        const double *xr = xd + r * row;
        double *yr = y + r * row;
        const int64_t g = r % groups;
        double mean, var, inv;
        float mean_f = 0.0f, std_f = 1.0f;
        moments_f64(xr, row, &mean, &var);
        inv = 1.0 / sqrt(var + p->epsilon);
        if (p->stash_float) {
            /* stage one in float (x, statistics and quotient rounded to float), as specified */
            double sum = 0.0, sq = 0.0;
            for (int64_t j = 0; j < row; j++)
                sum += (float)xr[j];
            mean_f = (float)(sum / (double)row);
            for (int64_t j = 0; j < row; j++)
                sq += ((float)xr[j] - mean_f) * ((float)xr[j] - mean_f);
            std_f = sqrtf((float)(sq / (double)row) + p->epsilon);
        }
        for (int64_t k = 0; k < group_channels; k++) {
            const int64_t i = p->per_channel ? g * group_channels + k : g;
            for (int64_t s = 0; s < spatial; s++) {
                const double v = xr[k * spatial + s];
                const double norm =
                    p->stash_float ? (double)(((float)v - mean_f) / std_f) : (v - mean) * inv;
                yr[k * spatial + s] = norm * scale[i] + bias[i];
            }
        }
    }
    return STATUS_OK;
}

/* t's value at normalised element j: t broadcasts onto dims (the last rank dims of X). */
static double broadcast_at(const tensor_t *t, int rank, const int64_t *dims, int64_t j)
{
    const int extra = t->rank > rank ? t->rank - rank : 0;
    const double *src = t->data;
    int64_t off = 0, stride = 1;

    /* walk dims from the last: t's dim of size 1 contributes nothing */
    for (int d = rank - 1; d >= 0; d--) {
        const int td = d - (rank - (t->rank - extra)); /* t's dim aligned with d, < 0 if absent */
        const int64_t idx = j % dims[d];
        j /= dims[d];
        if (td >= 0) {
            const int64_t n = t->dims[extra + td];
            off += (n == 1 ? 0 : idx) * stride;
            stride *= n;
        }
    }
    return src[off];
}

status_t layernorm_run_f64(op_call_t *call, int axis)
{
    const layernorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *scale_t = call->inputs[1];
    const tensor_t *bias_t = call->n_inputs > 2 ? call->inputs[2] : NULL;
    const double *xd = x->data;
    double *y = call->outputs[0].data;
    double *scale = call->workspace, *bias;
    /* Mean and InvStdDev are U (float by the spec's type constraints), computed in double. */
    float *mean_out = call->n_outputs > 1 ? call->outputs[1].data : NULL;
    float *inv_out = call->n_outputs > 2 ? call->outputs[2].data : NULL;
    int64_t outer = 1, inner = 1;

    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else
            inner *= x->dims[i];
    }
    bias = scale + inner;
    for (int64_t j = 0; j < inner; j++) {
        scale[j] = broadcast_at(scale_t, x->rank - axis, x->dims + axis, j);
        bias[j] = bias_t ? broadcast_at(bias_t, x->rank - axis, x->dims + axis, j) : 0.0;
    }
    for (int64_t r = 0; r < outer; r++) {
        const double *xr = xd + r * inner;
        double *yr = y + r * inner;
        double mean, var, inv;
        moments_f64(xr, inner, &mean, &var);
        inv = 1.0 / sqrt(var + p->epsilon);
        for (int64_t j = 0; j < inner; j++)
            yr[j] = (xr[j] - mean) * inv * scale[j] + bias[j];
        if (mean_out)
            mean_out[r] = (float)mean;
        if (inv_out)
            inv_out[r] = (float)inv;
    }
    return STATUS_OK;
}
