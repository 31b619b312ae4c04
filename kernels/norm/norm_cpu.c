#include "norm.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "cpu_isa.h"
#include "parallel.h"

void batchnorm_fold(const float *scale, const float *bias, const float *mean, const float *var,
                    float epsilon, int64_t count, float *mul, float *add)
{
    for (int64_t i = 0; i < count; i++) {
        mul[i] = scale[i] / sqrtf(var[i] + epsilon);
        add[i] = bias[i] - mean[i] * mul[i];
    }
}

void batchnorm_f32(const float *x, float *y, const float *mul, const float *add, int64_t batch,
                   int64_t channels, int64_t spatial)
{
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t c = 0; c < channels; c++) {
            float m = mul[c], a = add[c];
            for (int64_t s = 0; s < spatial; s++)
                y[s] = x[s] * m + a;
            x += spatial;
            y += spatial;
        }
    }
}

void batchnorm_moments_f32(const float *x, int64_t batch, int64_t channels, int64_t spatial,
                           float *mean, float *var)
{
    double n = (double)(batch * spatial);

    for (int64_t c = 0; c < channels; c++) {
        double sum = 0.0, sq = 0.0, m;
        for (int64_t b = 0; b < batch; b++) {
            const float *row = x + (b * channels + c) * spatial;
            for (int64_t s = 0; s < spatial; s++)
                sum += row[s];
        }
        m = n > 0 ? sum / n : 0.0;
        /* Two passes: the squares are taken about the mean, not about zero. */
        for (int64_t b = 0; b < batch; b++) {
            const float *row = x + (b * channels + c) * spatial;
            for (int64_t s = 0; s < spatial; s++)
                sq += (row[s] - m) * (row[s] - m);
        }
        mean[c] = (float)m;
        var[c] = n > 0 ? (float)(sq / n) : 0.0f;
    }
}

/* y[s] = x[s] * mul[s] + add[s]: the per-element (spatial=0) form, one batch item at a time. */
static void batchnorm_per_element(const float *x, float *y, const float *mul, const float *add,
                                  int64_t batch, int64_t count)
{
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t s = 0; s < count; s++)
            y[s] = x[s] * mul[s] + add[s];
        x += count;
        y += count;
    }
}

status_t batchnorm_run(op_call_t *call, error_t *err)
{
    const batchnorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t count = tensor_numel(call->inputs[1]);
    int64_t batch = x->dims[0];
    float *mul = call->workspace;
    float *add = mul + count;
    const float *mean = call->inputs[3]->data, *var = call->inputs[4]->data;
    int64_t spatial = 1;

    if (x->dtype == DTYPE_DOUBLE)
        return batchnorm_run_f64(call);
    for (int i = 2; i < x->rank; i++)
        spatial *= x->dims[i];
    if (p->training) {
        float *batch_mean = add + count, *batch_var = batch_mean + count;
        batchnorm_moments_f32(x->data, batch, count, spatial, batch_mean, batch_var);
        /* running = given * momentum + batch * (1 - momentum) */
        for (int k = 1; k < call->n_outputs; k++) {
            const float *given = k == 1 ? mean : var, *current = k == 1 ? batch_mean : batch_var;
            float *running = call->outputs[k].data;
            for (int64_t c = 0; c < count; c++)
                running[c] = given[c] * p->momentum + current[c] * (1.0f - p->momentum);
        }
        mean = batch_mean;
        var = batch_var;
    }
    batchnorm_fold(call->inputs[1]->data, call->inputs[2]->data, mean, var, p->epsilon, count, mul,
                   add);
    if (p->per_element) {
        batchnorm_per_element(x->data, call->outputs[0].data, mul, add, batch, count);
    } else {
        batchnorm_f32(x->data, call->outputs[0].data, mul, add, batch, count, spatial);
    }
    return STATUS_OK;
}

/* Independent float partial sums per row: the loops vectorise, and each lane adds n / 16 values. */
#define NORM_LANES 16

/*
 * Mean and variance of n values, two-pass (centred before squaring) so rows
 * with a big mean do not lose the variance to cancellation; the lanes are
 * combined in double.
 */
static inline __attribute__((always_inline)) void row_moments(const float *x, int64_t n,
                                                              double *mean, double *var)
{
    float lane[NORM_LANES] = {0};
    double sum = 0.0, sq = 0.0;
    int64_t body = n - n % NORM_LANES;
    float mu;

    for (int64_t i = 0; i < body; i += NORM_LANES)
        for (int l = 0; l < NORM_LANES; l++)
            lane[l] += x[i + l];
    for (int l = 0; l < NORM_LANES; l++) {
        sum += lane[l];
        lane[l] = 0.0f;
    }
    for (int64_t i = body; i < n; i++)
        sum += x[i];
    *mean = sum / (double)n;
    mu = (float)*mean;
    for (int64_t i = 0; i < body; i += NORM_LANES)
        for (int l = 0; l < NORM_LANES; l++)
            lane[l] += (x[i + l] - mu) * (x[i + l] - mu);
    for (int l = 0; l < NORM_LANES; l++)
        sq += lane[l];
    for (int64_t i = body; i < n; i++)
        sq += (double)(x[i] - mu) * (x[i] - mu);
    *var = sq / (double)n;
}

void instancenorm_f32(const float *x, float *y, const float *scale, const float *bias,
                      int64_t batch, int64_t channels, int64_t spatial, float epsilon)
{
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t c = 0; c < channels; c++) {
            double mean, var;
            row_moments(x, spatial, &mean, &var);
            /*
             * Centre before scaling: folding the mean into the offset
             * (x * m + a) loses digits when the mean is large next to the
             * spread.
             */
            float mu = (float)mean;
            float m = (float)(scale[c] / sqrt(var + epsilon));
            float a = bias[c];
            for (int64_t s = 0; s < spatial; s++)
                y[s] = (x[s] - mu) * m + a;
            x += spatial;
            y += spatial;
        }
    }
}

status_t instancenorm_run(op_call_t *call, error_t *err)
{
    const instancenorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t spatial = 1;

    if (x->dtype == DTYPE_DOUBLE)
        return instancenorm_run_f64(call);
    for (int i = 2; i < x->rank; i++)
        spatial *= x->dims[i];
    instancenorm_f32(x->data, call->outputs[0].data, call->inputs[1]->data, call->inputs[2]->data,
                     x->dims[0], x->dims[1], spatial, p->epsilon);
    return STATUS_OK;
}

void groupnorm_f32(const float *x, float *y, const float *scale, const float *bias, int64_t batch,
                   int64_t channels, int64_t spatial, int64_t groups, bool per_channel,
                   float epsilon)
{
    const int64_t group_channels = channels / groups, row = group_channels * spatial;

    assert(groups > 0 && channels % groups == 0);
    for (int64_t r = 0; r < batch * groups; r++, x += row, y += row) {
        const int64_t g = r % groups;
        double mean, var;
        row_moments(x, row, &mean, &var);
        const float mu = (float)mean, inv = (float)(1.0 / sqrt(var + epsilon));
        for (int64_t k = 0; k < group_channels; k++) {
            const int64_t i = per_channel ? g * group_channels + k : g;
            const float m = scale[i] * inv, a = bias[i];
            const float *xc = x + k * spatial;
            float *yc = y + k * spatial;
            for (int64_t s = 0; s < spatial; s++)
                yc[s] = (xc[s] - mu) * m + a;
        }
    }
}

status_t groupnorm_run(op_call_t *call, error_t *err)
{
    const groupnorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t spatial = 1;

    if (x->dtype == DTYPE_DOUBLE)
        return groupnorm_run_f64(call);
    for (int i = 2; i < x->rank; i++)
        spatial *= x->dims[i];
    groupnorm_f32(x->data, call->outputs[0].data, call->inputs[1]->data, call->inputs[2]->data,
                  x->dims[0], x->dims[1], spatial, p->num_groups, p->per_channel, p->epsilon);
    return STATUS_OK;
}

/*
 * One LayerNormalization row: its moments, then y = (x - mean) * inv *
 * scale [+ bias]. Inlined into each ISA variant below; every variant does
 * the same float operations per element and per lane (the vectoriser keeps
 * each lane's order, and without FMA in the target nothing contracts), so
 * they agree bit for bit.
 */
static inline __attribute__((always_inline)) void
layernorm_row(const float *xr, float *yr, const float *scale, const float *bias, int64_t inner,
              float epsilon, float *mean, float *inv_std_dev)
{
    double mu, var;
    row_moments(xr, inner, &mu, &var);
    float inv = (float)(1.0 / sqrt(var + epsilon));
    float m = (float)mu;
    if (bias) {
        for (int64_t j = 0; j < inner; j++)
            yr[j] = (xr[j] - m) * inv * scale[j] + bias[j];
    } else {
        for (int64_t j = 0; j < inner; j++)
            yr[j] = (xr[j] - m) * inv * scale[j];
    }
    *mean = m;
    *inv_std_dev = inv;
}

typedef void (*layernorm_row_fn)(const float *xr, float *yr, const float *scale, const float *bias,
                                 int64_t inner, float epsilon, float *mean, float *inv_std_dev);

/*
 * The AVX2 build of the row (8-lane loops where the baseline's are 4-lane
 * SSE2): LayerNormalization was 1.3% of the int8 BERT-base encoder's run.
 */
__attribute__((target("avx2"))) static void
layernorm_row_avx2(const float *xr, float *yr, const float *scale, const float *bias, int64_t inner,
                   float epsilon, float *mean, float *inv_std_dev)
{
    layernorm_row(xr, yr, scale, bias, inner, epsilon, mean, inv_std_dev);
}

static void layernorm_row_plain(const float *xr, float *yr, const float *scale, const float *bias,
                                int64_t inner, float epsilon, float *mean, float *inv_std_dev)
{
    layernorm_row(xr, yr, scale, bias, inner, epsilon, mean, inv_std_dev);
}

void layernorm_f32(const float *x, float *y, const float *scale, const float *bias, int64_t outer,
                   int64_t inner, float epsilon, float *mean, float *inv_std_dev, int threads)
{
    /* Rows are independent; three passes over each (moments, then normalise). */
    const int team = parallel_team(outer * inner * 3, threads);
    const layernorm_row_fn row =
        cpu_isa() >= CPU_ISA_AVX2 ? layernorm_row_avx2 : layernorm_row_plain;

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1 && outer > 1)
    for (int64_t r = 0; r < outer; r++) {
        float m, inv;
        row(x + r * inner, y + r * inner, scale, bias, inner, epsilon, &m, &inv);
        if (mean)
            mean[r] = m;
        if (inv_std_dev)
            inv_std_dev[r] = inv;
    }
}

/*
 * Returns t's values laid out densely over the normalised dims (the last rank
 * dims of x, given as dims): t itself when it already is, else a broadcast
 * copy written to dst.
 */
static const float *expand_normalized(const tensor_t *t, int rank, const int64_t *dims,
                                      int64_t inner, float *dst)
{
    int64_t strides[TENSOR_MAX_RANK], idx[TENSOR_MAX_RANK] = {0};
    int extra = t->rank > rank ? t->rank - rank : 0;
    const float *src = t->data;
    int64_t off = 0;

    if (tensor_numel(t) == inner)
        return src;
    shape_broadcast_strides(t->rank - extra, t->dims + extra, rank, dims, strides);
    for (int64_t j = 0; j < inner; j++) {
        dst[j] = src[off];
        for (int d = rank - 1; d >= 0; d--) {
            off += strides[d];
            if (++idx[d] < dims[d])
                break;
            off -= strides[d] * dims[d];
            idx[d] = 0;
        }
    }
    return dst;
}

status_t layernorm_run(op_call_t *call, error_t *err)
{
    const layernorm_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const tensor_t *bias_t = call->n_inputs > 2 ? call->inputs[2] : NULL;
    float *scratch = call->workspace;
    float *mean = call->n_outputs > 1 ? call->outputs[1].data : NULL;
    float *inv = call->n_outputs > 2 ? call->outputs[2].data : NULL;
    int64_t outer = 1, inner = 1;
    const float *scale, *bias = NULL;
    int axis;
    bool ok = axis_normalize(p->axis, x->rank, false, &axis);

    assert(ok);
    (void)ok;
    if (x->dtype == DTYPE_DOUBLE)
        return layernorm_run_f64(call, axis);
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            outer *= x->dims[i];
        else
            inner *= x->dims[i];
    }
    scale = expand_normalized(call->inputs[1], x->rank - axis, x->dims + axis, inner, scratch);
    if (scale == scratch)
        scratch += inner;
    if (bias_t)
        bias = expand_normalized(bias_t, x->rank - axis, x->dims + axis, inner, scratch);
    layernorm_f32(x->data, call->outputs[0].data, scale, bias, outer, inner, p->epsilon, mean, inv,
                  call->threads);
    return STATUS_OK;
}
