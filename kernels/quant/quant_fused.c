/*
 * quant_fused.c - the internal ops engine/fuse_qdq.c makes of the QDQ form
 * (their schemas are not in the registry, so only that pass creates them):
 *
 *   inferd.QLinearConv    DequantizeLinear -> Conv [-> Relu] [-> QuantizeLinear]
 *   inferd.QLinearMatMul  DequantizeLinear -> MatMul | Gemm [-> Relu] [-> QuantizeLinear]
 *
 * Inputs as QLinearConv's: x, x_scale, x_zero_point, w, w_scale,
 * w_zero_point (may be absent), y_scale, y_zero_point, bias. With the Q the
 * output is requantized (int8/uint8); without it y_scale and y_zero_point
 * are absent and the output is the float the Conv or MatMul produced. The
 * bias is the int32 of a DequantizeLinear whose scale is x_scale * w_scale
 * (added to the accumulator, as QLinearConv does) or, for MatMul with a
 * float output, a float [N] added after dequantization. A MatMul with a
 * float output may then add a residual (QUANT_MATMUL_RESIDUAL.., quant.h).
 */
#include "quant.h"

#include "matmul/matmul.h"
#include "quant_fast.h"

/*
 * The info table describes 8 formal inputs; the 9th (the bias) is checked
 * against the 8th's dtypes, so that slot admits int32 and float too and
 * finish_infer checks y_zero_point itself.
 */
static const op_info_t fused_info = {
    .min_inputs = 5, /* x, its scale and zero point, w, its scale: the rest may be absent */
    .max_inputs = QUANT_MATMUL_INPUTS_MAX, /* a MatMul's residual after the bias */
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8, QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8 | DTYPE_BIT(DTYPE_INT32) | DTYPES_FLOAT},
    .layout = "any",
};

/* The output's dtype and the workspace; the fusion only builds calls the GEMM path takes. */
static status_t finish_infer(op_call_t *call, error_t *err)
{
    const tensor_t *y_zp = call->inputs[7];

    if (y_zp && !dtype_in(y_zp->dtype, QUANT_DTYPES_8))
        return op_call_fail(call, err, "y_zero_point has dtype %s, not int8 or uint8",
                            dtype_name(y_zp->dtype));
    call->outputs[0].data = NULL;
    call->outputs[0].dtype = y_zp ? y_zp->dtype : DTYPE_FLOAT;
    if (!quant_fast_takes(call))
        return op_call_fail(call, err, "fused quantized node with shapes the int8 GEMM refuses");
    call->workspace_size = quant_fast_workspace(call);
    return STATUS_OK;
}

static status_t fused_conv_infer(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *operands[2] = {call->inputs[0], call->inputs[3]};
    op_call_t conv_call = *call;
    conv_geom_t g;
    status_t st;

    conv_call.params = &p->conv;
    conv_call.n_inputs = 2;
    conv_call.inputs = operands;
    if ((st = conv_resolve(&conv_call, false, &g, &call->outputs[0], err)) != STATUS_OK)
        return st;
    return finish_infer(call, err);
}

static status_t fused_matmul_infer(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *w = call->inputs[3];
    tensor_t *y = &call->outputs[0];
    int64_t k, n;

    if (w->rank != 2 || x->rank < 2)
        return op_call_fail(call, err, "needs x of rank 2 or more and 2-D weights");
    k = p->trans_b ? w->dims[1] : w->dims[0];
    n = p->trans_b ? w->dims[0] : w->dims[1];
    if (x->dims[x->rank - 1] != k)
        return op_call_fail(call, err, "x's last dim %lld is not the weights' K %lld",
                            (long long)x->dims[x->rank - 1], (long long)k);
    *y = *x;
    y->dims[y->rank - 1] = n;
    if (call->n_inputs > QUANT_MATMUL_RESIDUAL && call->inputs[QUANT_MATMUL_RESIDUAL]) {
        const tensor_t *r = call->inputs[QUANT_MATMUL_RESIDUAL];
        const tensor_t *rs = call->inputs[QUANT_MATMUL_RESIDUAL_SCALE];
        const tensor_t *rz = call->n_inputs > QUANT_MATMUL_RESIDUAL_ZERO_POINT
                                 ? call->inputs[QUANT_MATMUL_RESIDUAL_ZERO_POINT]
                                 : NULL;
        bool same = r->rank == y->rank;
        for (int d = 0; same && d < r->rank; d++)
            same = r->dims[d] == y->dims[d];
        /* The fusion's only case: a residual connection, of the output's shape. */
        if (!same || call->inputs[7] || !dtype_in(r->dtype, QUANT_DTYPES_8) || !rs ||
            rs->dtype != DTYPE_FLOAT || tensor_numel(rs) != 1 ||
            (rz && (rz->dtype != r->dtype || tensor_numel(rz) != 1)))
            return op_call_fail(call, err,
                                "the residual is not an 8-bit tensor of the float output's shape "
                                "with a per-tensor scale and zero point");
    }
    return finish_infer(call, err);
}

static status_t fused_run(op_call_t *call, error_t *err)
{
    (void)err;
    quant_fast_run(call);
    return STATUS_OK;
}

static const op_kernel_t qdq_conv_kernel = {
    .name = "inferd.QLinearConv",
    .info = &fused_info,
    .params_size = sizeof(quant_params_t),
    .infer = fused_conv_infer,
    .run = fused_run,
    .pack = quant_pack,
    .release = quant_release,
    .describe = quant_describe,
};

static const op_kernel_t qdq_matmul_kernel = {
    .name = "inferd.QLinearMatMul",
    .info = &fused_info,
    .params_size = sizeof(quant_params_t),
    .infer = fused_matmul_infer,
    .run = fused_run,
    .pack = quant_pack,
    .release = quant_release,
    .describe = quant_describe,
};

const op_schema_t quant_fused_conv_schema = {"inferd.QLinearConv", OPSET_MIN, OPSET_MAX, NULL,
                                             &qdq_conv_kernel};
const op_schema_t quant_fused_matmul_schema = {"inferd.QLinearMatMul", OPSET_MIN, OPSET_MAX, NULL,
                                               &qdq_matmul_kernel};
