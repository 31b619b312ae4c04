#include "gelu.h"

#include "vmath.h"

void gelu_f32(const float *x, float *y, int64_t n, int threads)
{
    int64_t chunks = (n + GELU_CHUNK - 1) / GELU_CHUNK;

#pragma omp parallel for num_threads(threads) schedule(static) if (chunks > 1)
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
