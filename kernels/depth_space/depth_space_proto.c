#include "depth_space.h"

static const op_info_t depth_space_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "NCHW",
};

static status_t depth_space_infer(op_call_t *call, error_t *err)
{
    const depth_space_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    const int64_t b = p->blocksize;
    char buf[SHAPE_TEXT_MAX];

    if (x->rank != 4)
        return op_call_fail(call, err, "input must be 4-D NCHW, got shape %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    /* The adapter bounds b, so b * b cannot overflow. */
    y->dtype = x->dtype;
    y->rank = 4;
    y->dims[0] = x->dims[0];
    if (p->to_space) {
        if (x->dims[1] % (b * b) != 0)
            return op_call_fail(
                call, err, "channels of %s are not a multiple of blocksize^2 = %lld",
                shape_format(x->rank, x->dims, buf, sizeof buf), (long long)(b * b));
        y->dims[1] = x->dims[1] / (b * b);
        y->dims[2] = x->dims[2] * b;
        y->dims[3] = x->dims[3] * b;
    } else {
        if (x->dims[2] % b != 0 || x->dims[3] % b != 0)
            return op_call_fail(call, err,
                                "height and width of %s are not multiples of blocksize %lld",
                                shape_format(x->rank, x->dims, buf, sizeof buf), (long long)b);
        y->dims[1] = x->dims[1] * b * b;
        y->dims[2] = x->dims[2] / b;
        y->dims[3] = x->dims[3] / b;
    }
    if (!shape_valid(4, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(4, y->dims, buf, sizeof buf));
    return STATUS_OK;
}

const op_kernel_t depth_to_space_kernel = {
    .name = "DepthToSpace",
    .info = &depth_space_info,
    .params_size = sizeof(depth_space_params_t),
    .infer = depth_space_infer,
    .run = depth_space_run,
};

const op_kernel_t space_to_depth_kernel = {
    .name = "SpaceToDepth",
    .info = &depth_space_info,
    .params_size = sizeof(depth_space_params_t),
    .infer = depth_space_infer,
    .run = depth_space_run,
};
