/*
 * quant_add.c - inferd.QLinearAdd, the internal op engine/fuse_qdq.c makes
 * of a residual Add in QDQ form:
 *
 *   DequantizeLinear(a), DequantizeLinear(b) -> Add [-> Relu] -> QuantizeLinear
 *
 * so that a ResNet's shortcut stays 8-bit instead of going through float
 * tensors. Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point,
 * y_scale, y_zero_point, all scales and zero points per tensor. a and b
 * have the same shape (the fusion's only case, checked by infer), so the
 * op is elementwise and runs the same on NCHW or NHWC twins.
 *
 *   y = saturate(round_half_even((sa (a - za) + sb (b - zb)) / sy) + zy)
 *
 * in float32 as the unfused nodes compute it; a fused Relu raises the low
 * end of the clamp to zy (Q is monotonic and Q(0) = zy). ONNX Runtime runs
 * the same pattern as its QLinearAdd, which multiplies by sa / sy and
 * sb / sy instead: the two agree within one quantization step.
 */
#include "quant.h"

#include <stdio.h>

/* Elements per parallel chunk: its float sums (64 KiB) stay on the stack and in L2. */
#define QADD_CHUNK 16384

/* 1.5 * 2^23: adding and subtracting it rounds a float of magnitude < 2^22 half to even. */
#define QADD_ROUND_MAGIC 12582912.0f

enum { QA_A, QA_AS, QA_AZ, QA_B, QA_BS, QA_BZ, QA_YS, QA_YZ, QA_COUNT };

static const op_info_t qadd_info = {
    .min_inputs = QA_COUNT,
    .max_inputs = QA_COUNT,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8, QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8},
    .layout = "any",
};

static bool same_shape(const tensor_t *a, const tensor_t *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

static status_t qadd_infer(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[QA_A], *b = call->inputs[QA_B];

    if (!same_shape(a, b))
        return op_call_fail(call, err, "a and b differ in shape (the fusion takes equal shapes)");
    for (int k = QA_AS; k < QA_COUNT; k++)
        if (k != QA_B && tensor_numel(call->inputs[k]) != 1)
            return op_call_fail(call, err, "input %d is not a single value", k);
    call->outputs[0] = *a;
    call->outputs[0].data = NULL;
    call->outputs[0].dtype = call->inputs[QA_YZ]->dtype;
    call->workspace_size = 0;
    return STATUS_OK;
}

static status_t qadd_run(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *a = call->inputs[QA_A], *b = call->inputs[QA_B];
    tensor_t *y = &call->outputs[0];
    const float sa = *(const float *)call->inputs[QA_AS]->data;
    const float sb = *(const float *)call->inputs[QA_BS]->data;
    const float sy = *(const float *)call->inputs[QA_YS]->data;
    const float za = (float)quant_load(call->inputs[QA_AZ]->dtype, call->inputs[QA_AZ]->data, 0);
    const float zb = (float)quant_load(call->inputs[QA_BZ]->dtype, call->inputs[QA_BZ]->data, 0);
    const int32_t zy = quant_load(call->inputs[QA_YZ]->dtype, call->inputs[QA_YZ]->data, 0);
    const bool a_signed = a->dtype == DTYPE_INT8, b_signed = b->dtype == DTYPE_INT8;
    const bool y_signed = y->dtype == DTYPE_INT8;
    const int64_t n = tensor_numel(y), chunks = (n + QADD_CHUNK - 1) / QADD_CHUNK;
    int32_t lo = y_signed ? -128 : 0, hi = y_signed ? 127 : 255;
    float qlo, qhi;

    (void)err;
    if (p && p->relu && lo < zy)
        lo = zy;
    /* Clamp before rounding, in the unshifted domain: keeps the magic rounding in range. */
    qlo = (float)(lo - zy);
    qhi = (float)(hi - zy);
#pragma omp parallel for num_threads(call->threads > 1 && chunks > 1 ? call->threads : 1)          \
    schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * QADD_CHUNK, i1 = i0 + QADD_CHUNK < n ? i0 + QADD_CHUNK : n;
        float v[QADD_CHUNK];
        /* Widen per operand in branch-free loops the compiler vectorises. */
        if (a_signed)
            for (int64_t i = i0; i < i1; i++)
                v[i - i0] = sa * ((float)((const int8_t *)a->data)[i] - za);
        else
            for (int64_t i = i0; i < i1; i++)
                v[i - i0] = sa * ((float)((const uint8_t *)a->data)[i] - za);
        if (b_signed)
            for (int64_t i = i0; i < i1; i++)
                v[i - i0] += sb * ((float)((const int8_t *)b->data)[i] - zb);
        else
            for (int64_t i = i0; i < i1; i++)
                v[i - i0] += sb * ((float)((const uint8_t *)b->data)[i] - zb);
        for (int64_t i = 0; i < i1 - i0; i++) {
            float q = v[i] / sy;
            q = q >= qlo ? q : qlo; /* NaN too: to the low end */
            q = q <= qhi ? q : qhi;
            v[i] = (q + QADD_ROUND_MAGIC) - QADD_ROUND_MAGIC;
        }
        if (y_signed)
            for (int64_t i = i0; i < i1; i++)
                ((int8_t *)y->data)[i] = (int8_t)((int32_t)v[i - i0] + zy);
        else
            for (int64_t i = i0; i < i1; i++)
                ((uint8_t *)y->data)[i] = (uint8_t)((int32_t)v[i - i0] + zy);
    }
    return STATUS_OK;
}

static bool qadd_describe(const op_call_t *call, char *impl, size_t size)
{
    (void)call;
    snprintf(impl, size, "inferd int8 elementwise");
    return false;
}

static const op_kernel_t qadd_kernel = {
    .name = "inferd.QLinearAdd",
    .info = &qadd_info,
    .params_size = sizeof(quant_params_t),
    .infer = qadd_infer,
    .run = qadd_run,
    .describe = qadd_describe,
};

const op_schema_t quant_fused_add_schema = {"inferd.QLinearAdd", OPSET_MIN, OPSET_MAX, NULL,
                                            &qadd_kernel};
