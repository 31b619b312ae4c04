#include "center_crop_pad.h"

#include <assert.h>

#include "pad/pad.h"

static const op_info_t center_crop_pad_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPES_INDEX},
    .layout = "any",
};

static status_t center_crop_pad_infer(op_call_t *call, error_t *err)
{
    const center_crop_pad_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *shape = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    const int n = p->n_axes < 0 ? x->rank : p->n_axes;
    uint32_t seen = 0;
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];

    assert(shape->data);
    if (shape->rank != 1 || shape->dims[0] != n)
        return op_call_fail(call, err, "input 'shape' is %s, expected [%d] (%s)",
                            shape_format(shape->rank, shape->dims, a, sizeof a), n,
                            p->n_axes < 0 ? "one size per axis of the input"
                                          : "one size per entry of axes");
    y->dtype = x->dtype;
    y->rank = x->rank;
    for (int i = 0; i < x->rank; i++)
        y->dims[i] = x->dims[i];
    for (int k = 0; k < n; k++) {
        const int64_t size = tensor_get_index(shape, k);
        int axis = k;
        if (p->n_axes >= 0) {
            if (!axis_normalize(p->axes[k], x->rank, false, &axis))
                return op_call_fail(call, err, "axes[%d] = %lld is out of range for rank %d", k,
                                    (long long)p->axes[k], x->rank);
            if (seen & (1u << axis))
                return op_call_fail(call, err, "axis %lld is listed twice in axes",
                                    (long long)p->axes[k]);
            seen |= 1u << axis;
        }
        if (size < 0)
            return op_call_fail(call, err, "shape[%d] = %lld is negative", k, (long long)size);
        y->dims[axis] = size;
    }
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s (from input %s) is too large",
                            shape_format(y->rank, y->dims, a, sizeof a),
                            shape_format(x->rank, x->dims, b, sizeof b));
    call->workspace_size = pad_workspace_size(y->rank, y->dims);
    return STATUS_OK;
}

const op_kernel_t center_crop_pad_kernel = {
    .name = "CenterCropPad",
    .info = &center_crop_pad_info,
    .params_size = sizeof(center_crop_pad_params_t),
    .value_inputs = 1u << 1,
    .infer = center_crop_pad_infer,
    .run = center_crop_pad_run,
};
