#include "gelu.h"

#include <math.h>

#include "vmath.h"
#include "parallel.h"

/* sqrt(2 / pi) and the cubic coefficient of the tanh approximation. */
#define GELU_TANH_SCALE 0.7978845608028654
#define GELU_TANH_CUBIC 0.044715
#define GELU_SQRT1_2    0.7071067811865476

void gelu_f32(const float *x, float *y, int64_t n, int threads)
{
    int64_t chunks = (n + GELU_CHUNK - 1) / GELU_CHUNK;
    /* About 16 operations per element: an exponential and a division. */
    int team = parallel_team(n * 16, threads);

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1 && chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t start = c * GELU_CHUNK;
        int64_t len = n - start < GELU_CHUNK ? n - start : GELU_CHUNK;
        vmath_gelu_f32(x + start, y + start, len);
    }
}

status_t gelu_run(op_call_t *call, error_t *err)
{
    gelu_f32(call->inputs[0]->data, call->outputs[0].data, tensor_numel(call->inputs[0]),
             call->threads);
    return STATUS_OK;
}

void gelu_tanh_f32(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        float inner = (float)GELU_TANH_SCALE * (v + (float)GELU_TANH_CUBIC * v * v * v);
        y[i] = 0.5f * v * (1.0f + tanhf(inner));
    }
}

void gelu_f64(const double *x, double *y, int64_t n, bool tanh_approximation)
{
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (tanh_approximation)
            y[i] = 0.5 * v * (1.0 + tanh(GELU_TANH_SCALE * (v + GELU_TANH_CUBIC * v * v * v)));
        else
            y[i] = 0.5 * v * (1.0 + erf(v * GELU_SQRT1_2));
    }
}

status_t gelu_onnx_run(op_call_t *call, error_t *err)
{
    const gelu_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    int64_t n = tensor_numel(x);

    if (x->dtype == DTYPE_DOUBLE)
        gelu_f64(x->data, call->outputs[0].data, n, p->tanh_approximation);
    else if (p->tanh_approximation)
        gelu_tanh_f32(x->data, call->outputs[0].data, n);
    else
        return gelu_run(call, err);
    return STATUS_OK;
}
