#include "mvn.h"

static const op_info_t mvn_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

static status_t mvn_infer(op_call_t *call, error_t *err)
{
    const mvn_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    bool seen[TENSOR_MAX_RANK] = {false};
    char buf[SHAPE_TEXT_MAX];
    int64_t kept = 1;
    status_t st;

    for (int i = 0; i < p->n_axes; i++) {
        int axis;
        if (!axis_normalize(p->axes[i], x->rank, false, &axis))
            return op_call_fail(call, err, "axis %lld is out of range for input %s",
                                (long long)p->axes[i],
                                shape_format(x->rank, x->dims, buf, sizeof buf));
        if (seen[axis])
            return op_call_fail(call, err, "axis %lld is listed twice", (long long)p->axes[i]);
        seen[axis] = true;
    }
    for (int d = 0; d < x->rank; d++)
        if (!seen[d])
            kept *= x->dims[d];
    st = op_infer_same_as_input(call, err);
    call->workspace_size = 2 * (size_t)kept * sizeof(double);
    return st;
}

const op_kernel_t mvn_kernel = {
    .name = "MeanVarianceNormalization",
    .info = &mvn_info,
    .params_size = sizeof(mvn_params_t),
    .infer = mvn_infer,
    .run = mvn_run,
};
