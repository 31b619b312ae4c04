/*
 * quant_linear.c - QuantizeLinear, DequantizeLinear and the element helpers
 * of the quant family. Arithmetic is float32 as in ONNX Runtime: x / scale
 * rounded half to even (rintf, the default rounding mode), the zero point
 * added, then clamped to the output type.
 */
#include "quant.h"

#include <math.h>

#include "parallel.h"
#include "quant_vec.h"

void quant_store(dtype_t t, void *y, int64_t i, float v)
{
    float lo, hi;

    switch (t) {
    case DTYPE_INT8:
        lo = -128.0f, hi = 127.0f;
        break;
    case DTYPE_UINT8:
        lo = 0.0f, hi = 255.0f;
        break;
    case DTYPE_INT16:
        lo = -32768.0f, hi = 32767.0f;
        break;
    default:
        lo = 0.0f, hi = 65535.0f;
        break;
    }
    /* NaN saturates to the low end rather than being converted (undefined in C). */
    v = !(v >= lo) ? lo : v > hi ? hi : v;
    switch (t) {
    case DTYPE_INT8:
        ((int8_t *)y)[i] = (int8_t)v;
        break;
    case DTYPE_UINT8:
        ((uint8_t *)y)[i] = (uint8_t)v;
        break;
    case DTYPE_INT16:
        ((int16_t *)y)[i] = (int16_t)v;
        break;
    default:
        ((uint16_t *)y)[i] = (uint16_t)v;
        break;
    }
}

int32_t quant_load(dtype_t t, const void *x, int64_t i)
{
    switch (t) {
    case DTYPE_INT8:
        return ((const int8_t *)x)[i];
    case DTYPE_UINT8:
        return ((const uint8_t *)x)[i];
    case DTYPE_INT16:
        return ((const int16_t *)x)[i];
    case DTYPE_UINT16:
        return ((const uint16_t *)x)[i];
    default:
        return ((const int32_t *)x)[i];
    }
}

/* The scale index of element (o, a, r); see quant_layout_t. */
static int64_t scale_index(const quant_layout_t *l, int64_t o, int64_t a, int64_t r)
{
    return o * l->outer_step + (a / l->block) * l->axis_step + r * l->inner_step;
}

/* Walks x as [outer, dim, inner] with i the flat index and s the scale's. */
#define QUANT_FOR_EACH(l, body)                                                                    \
    for (int64_t o = 0, i = 0; o < (l)->outer; o++)                                                \
        for (int64_t a = 0; a < (l)->dim; a++)                                                     \
            for (int64_t r = 0; r < (l)->inner; r++, i++) {                                        \
                const int64_t s = scale_index((l), o, a, r);                                       \
                body;                                                                              \
            }

/* Elements per parallel chunk of the per-tensor fast paths. */
#define QUANT_LINEAR_CHUNK 16384
/*
 * The work of quantizing one element, in parallel_team's simple operations
 * (a division, clamp, rounding and narrowing); dequantizing is one.
 */
#define QUANT_LINEAR_Q_OPS 2

/*
 * Per-tensor float to int8/uint8, the common case (QDQ models quantize
 * every activation so): the same arithmetic as the general loop, v / scale
 * rounded half to even plus the zero point, saturated, but clamped before
 * rounding so that the rounding can use the magic-number trick and the
 * loop vectorises (quant_vec.c; the general loop's rintf and type switch
 * do not). NaN goes to the low end, as quant_store sends it.
 */
static void quantize_per_tensor_8(const float *x, int64_t n, float scale, int32_t zp,
                                  bool is_signed, void *y, int threads)
{
    const int64_t chunks = (n + QUANT_LINEAR_CHUNK - 1) / QUANT_LINEAR_CHUNK;
    const quant_vec_out_t out = quant_vec_out(zp, is_signed);

#pragma omp parallel for num_threads(parallel_team(n *QUANT_LINEAR_Q_OPS, threads)) schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * QUANT_LINEAR_CHUNK;
        const int64_t i1 = i0 + QUANT_LINEAR_CHUNK < n ? i0 + QUANT_LINEAR_CHUNK : n;
        quant_vec_quantize(x + i0, i1 - i0, scale, &out, (uint8_t *)y + i0);
    }
}

/*
 * Per-tensor int8/uint8 to float (the activations of a QDQ model that a
 * float op reads): (x - zp) * scale as the general loop computes it.
 */
static void dequantize_per_tensor_8(const void *x, bool is_signed, int64_t n, float scale,
                                    int32_t zp, float *y, int threads)
{
    const int64_t chunks = (n + QUANT_LINEAR_CHUNK - 1) / QUANT_LINEAR_CHUNK;

#pragma omp parallel for num_threads(parallel_team(n, threads)) schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * QUANT_LINEAR_CHUNK;
        const int64_t i1 = i0 + QUANT_LINEAR_CHUNK < n ? i0 + QUANT_LINEAR_CHUNK : n;
        quant_vec_dequantize((const uint8_t *)x + i0, is_signed, i1 - i0, scale, zp, y + i0);
    }
}

status_t quantize_linear_run(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *scale = call->inputs[1];
    const tensor_t *zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *y = &call->outputs[0];
    const float *sc = scale->data;
    quant_layout_t l;
    status_t st = quant_layout_resolve(call, x, scale, zp, p->axis, p->block_size, &l, err);

    if (st != STATUS_OK)
        return st;
    if (x->dtype == DTYPE_FLOAT && tensor_numel(scale) == 1 &&
        (y->dtype == DTYPE_UINT8 || y->dtype == DTYPE_INT8)) {
        quantize_per_tensor_8(x->data, tensor_numel(x), sc[0],
                              zp ? quant_load(zp->dtype, zp->data, 0) : 0, y->dtype == DTYPE_INT8,
                              y->data, call->threads);
        return STATUS_OK;
    }
    QUANT_FOR_EACH(&l, {
        const float v = x->dtype == DTYPE_FLOAT ? ((const float *)x->data)[i]
                                                : (float)((const int32_t *)x->data)[i];
        const float z = zp ? (float)quant_load(zp->dtype, zp->data, s) : 0.0f;
        quant_store(y->dtype, y->data, i, rintf(v / sc[s]) + z);
    })
    return STATUS_OK;
}

status_t dequantize_linear_run(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *scale = call->inputs[1];
    const tensor_t *zp = call->n_inputs > 2 ? call->inputs[2] : NULL;
    float *y = call->outputs[0].data;
    const float *sc = scale->data;
    quant_layout_t l;
    status_t st = quant_layout_resolve(call, x, scale, zp, p->axis, p->block_size, &l, err);

    if (st != STATUS_OK)
        return st;
    if ((x->dtype == DTYPE_UINT8 || x->dtype == DTYPE_INT8) && scale->dtype == DTYPE_FLOAT &&
        tensor_numel(scale) == 1) {
        dequantize_per_tensor_8(x->data, x->dtype == DTYPE_INT8, tensor_numel(x), sc[0],
                                zp ? quant_load(zp->dtype, zp->data, 0) : 0, y, call->threads);
        return STATUS_OK;
    }
    /* int32 - int32 could overflow; the difference is taken in int64. */
    QUANT_FOR_EACH(&l, {
        const int64_t z = zp ? quant_load(zp->dtype, zp->data, s) : 0;
        y[i] = (float)((int64_t)quant_load(x->dtype, x->data, i) - z) * sc[s];
    })
    return STATUS_OK;
}

status_t dynamic_quantize_linear_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const float *v = x->data;
    const int64_t n = tensor_numel(x);
    uint8_t *y = call->outputs[0].data;
    float lo = 0.0f, hi = 0.0f, scale, zero;

    (void)err;
    /* The range always includes 0, so that 0 is exactly representable. */
    for (int64_t i = 0; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    /*
     * An all-zero x would give scale 0 and y = 0 / 0: ONNX Runtime takes
     * scale 1 instead (zero point 0, y all 0), and so does inferd.
     */
    scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    zero = rintf(0.0f - lo / scale);
    zero = zero < 0.0f ? 0.0f : zero > 255.0f ? 255.0f : zero;
    for (int64_t i = 0; i < n; i++)
        quant_store(DTYPE_UINT8, y, i, rintf(v[i] / scale) + zero);
    if (call->n_outputs > 1)
        *(float *)call->outputs[1].data = scale;
    if (call->n_outputs > 2)
        *(uint8_t *)call->outputs[2].data = (uint8_t)zero;
    return STATUS_OK;
}
