/*
 * layout_proto.c - the reorders' prototypes: a 4-D float tensor with two axes moved (or an
 * 8-bit one: the quantized convolutions' channels-last regions).
 */
#include "layout.h"

static const op_info_t layout_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_INT8) | DTYPE_BIT(DTYPE_UINT8)},
    .layout = "any",
};

/* out axis k = in axis perm[k]. */
static status_t infer_permuted(op_call_t *call, const int *perm, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char xs[SHAPE_TEXT_MAX];

    if (x->rank != 4)
        return op_call_fail(call, err, "input %s must have rank 4",
                            shape_format(x->rank, x->dims, xs, sizeof xs));
    y->dtype = x->dtype;
    y->rank = 4;
    for (int k = 0; k < 4; k++)
        y->dims[k] = x->dims[perm[k]];
    return STATUS_OK;
}

static status_t to_nhwc_infer(op_call_t *call, error_t *err)
{
    static const int perm[4] = {0, 2, 3, 1};

    return infer_permuted(call, perm, err);
}

static status_t to_nchw_infer(op_call_t *call, error_t *err)
{
    static const int perm[4] = {0, 3, 1, 2};

    return infer_permuted(call, perm, err);
}

const op_kernel_t layout_to_nhwc_kernel = {
    .name = LAYOUT_TO_NHWC_OP,
    .info = &layout_info,
    .infer = to_nhwc_infer,
    .run = layout_to_nhwc_run,
    .batch_inputs = 1u << 0,
};

const op_kernel_t layout_to_nchw_kernel = {
    .name = LAYOUT_TO_NCHW_OP,
    .info = &layout_info,
    .infer = to_nchw_infer,
    .run = layout_to_nchw_run,
    .batch_inputs = 1u << 0,
};

const op_schema_t layout_to_nhwc_schema = {LAYOUT_TO_NHWC_OP, OPSET_MIN, OPSET_MAX, NULL,
                                           &layout_to_nhwc_kernel};
const op_schema_t layout_to_nchw_schema = {LAYOUT_TO_NCHW_OP, OPSET_MIN, OPSET_MAX, NULL,
                                           &layout_to_nchw_kernel};
