#include "lrn.h"

static const op_info_t lrn_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "NCHW",
};

static status_t lrn_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    char buf[SHAPE_TEXT_MAX];

    if (x->rank < 3)
        return op_call_fail(call, err, "input must be [N, C, D1, ...] (rank 3 or more), got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    return op_infer_same_as_input(call, err);
}

const op_kernel_t lrn_kernel = {
    .name = "LRN",
    .info = &lrn_info,
    .params_size = sizeof(lrn_params_t),
    .infer = lrn_infer,
    .run = lrn_run,
};
