/*
 * conv_nhwc_proto.c - prototype of the channels-last convolution: the ONNX
 * Conv checks run on the NCHW view of the call, then the output shape is
 * permuted to NHWC and the residual checked against it.
 */
#include "conv_nhwc.h"

static const op_info_t conv_nhwc_info = {
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    /* X is bf16 only where the producing convolution writes bf16 for a bf16 one (bf16_out). */
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_BFLOAT16), DTYPES_FLOAT, DTYPES_FLOAT,
                     DTYPES_FLOAT},
    .layout = "NHWC",
};

status_t conv_nhwc_resolve(const op_call_t *call, conv_geom_t *g, tensor_t *out, error_t *err)
{
    const conv_nhwc_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t x_nchw = *x, y_nchw;
    const tensor_t *inputs[3] = {&x_nchw, call->inputs[1],
                                 call->n_inputs > 2 ? call->inputs[2] : NULL};
    op_call_t nchw = *call;
    char xs[SHAPE_TEXT_MAX];
    status_t st;

    if (x->rank != 4)
        return op_call_fail(call, err, "input X %s must have rank 4 (N, H, W, C)",
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    x_nchw.dims[1] = x->dims[3];
    x_nchw.dims[2] = x->dims[1];
    x_nchw.dims[3] = x->dims[2];
    nchw.params = &p->conv;
    nchw.inputs = inputs;
    nchw.n_inputs = call->n_inputs > 3 ? 3 : call->n_inputs;
    if ((st = conv_resolve(&nchw, false, g, &y_nchw, err)))
        return st;
    *out = y_nchw;
    out->dims[1] = y_nchw.dims[2];
    out->dims[2] = y_nchw.dims[3];
    out->dims[3] = y_nchw.dims[1];
    if (p->sum) {
        const tensor_t *r =
            call->n_inputs > CONV_NHWC_RESIDUAL ? call->inputs[CONV_NHWC_RESIDUAL] : NULL;
        if (!r || !shape_equal(r->rank, r->dims, out->rank, out->dims))
            return op_call_fail(call, err, "residual input must have the output's shape %s",
                                shape_format(out->rank, out->dims, xs, sizeof xs));
    }
    return STATUS_OK;
}

static status_t conv_nhwc_infer(op_call_t *call, error_t *err)
{
    conv_geom_t g;
    const conv_nhwc_params_t *p = call->params;
    status_t st = conv_nhwc_resolve(call, &g, &call->outputs[0], err);

    if (st)
        return st;
    /* conv_resolve's float32 output type; the bf16 one for a layer writing bf16. */
    call->outputs[0].dtype = p->bf16_out ? DTYPE_BFLOAT16 : DTYPE_FLOAT;
    conv_nhwc_workspace(call, &g);
    return STATUS_OK;
}

const op_kernel_t conv_nhwc_kernel = {
    .name = CONV_NHWC_OP,
    .info = &conv_nhwc_info,
    .params_size = sizeof(conv_nhwc_params_t),
    .infer = conv_nhwc_infer,
    .run = conv_nhwc_run,
    .pack = conv_nhwc_pack,
    .release = conv_nhwc_release,
    /* The weights live on in the packed copy pack makes. */
    .packed_inputs = 1u << 1,
    /* Half weights stay half where conv_nhwc_pack's paths take them (half_path). */
    .half_inputs = 1u << 1,
    .inplace_inputs =
        1u << CONV_NHWC_RESIDUAL, /* both paths add the residual from the output itself */
    .batch_inputs = 1u << 0 | 1u << CONV_NHWC_RESIDUAL,
    .prepare = conv_nhwc_prepare,
    .unprepare = conv_nhwc_unprepare,
    .describe = conv_nhwc_describe,
};

const op_schema_t conv_nhwc_schema = {CONV_NHWC_OP, OPSET_MIN, OPSET_MAX, NULL, &conv_nhwc_kernel};
