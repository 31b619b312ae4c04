#include "det.h"

static const op_info_t det_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

static status_t det_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];
    int64_t m;

    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
        return op_call_fail(call, err, "input must be [*, M, M], got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    m = x->dims[x->rank - 1];
    y->dtype = x->dtype;
    y->rank = x->rank - 2;
    for (int d = 0; d < y->rank; d++)
        y->dims[d] = x->dims[d];
    /* m * m is at most the input's element count, so it fits. */
    call->workspace_size = (size_t)(m * m) * sizeof(double);
    return STATUS_OK;
}

const op_kernel_t det_kernel = {
    .name = "Det",
    .info = &det_info,
    .infer = det_infer,
    .run = det_run,
};
