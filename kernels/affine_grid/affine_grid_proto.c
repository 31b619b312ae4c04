#include "affine_grid.h"

#include <assert.h>

static const op_info_t affine_grid_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE), DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t affine_grid_infer(op_call_t *call, error_t *err)
{
    const tensor_t *theta = call->inputs[0], *size = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    int64_t dims[5];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX], c[SHAPE_TEXT_MAX];
    int r;

    assert(size->data);
    if (size->rank != 1 || (size->dims[0] != 4 && size->dims[0] != 5))
        return op_call_fail(call, err,
                            "input 'size' is %s, expected [4] (N, C, H, W) or [5] "
                            "(N, C, D, H, W)",
                            shape_format(size->rank, size->dims, a, sizeof a));
    r = (int)size->dims[0] - 2;
    for (int i = 0; i < r + 2; i++) {
        dims[i] = tensor_get_index(size, i);
        if (dims[i] < 0)
            return op_call_fail(call, err, "size[%d] = %lld is negative", i, (long long)dims[i]);
    }
    {
        const int64_t want[3] = {dims[0], r, r + 1};
        if (!shape_equal(theta->rank, theta->dims, 3, want))
            return op_call_fail(call, err, "theta is %s, expected %s for size %s",
                                shape_format(theta->rank, theta->dims, a, sizeof a),
                                shape_format(3, want, b, sizeof b),
                                shape_format(r + 2, dims, c, sizeof c));
    }
    y->dtype = theta->dtype;
    y->rank = r + 2;
    y->dims[0] = dims[0];
    for (int i = 0; i < r; i++)
        y->dims[1 + i] = dims[2 + i];
    y->dims[r + 1] = r;
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(y->rank, y->dims, a, sizeof a));
    return STATUS_OK;
}

const op_kernel_t affine_grid_kernel = {
    .name = "AffineGrid",
    .info = &affine_grid_info,
    .params_size = sizeof(affine_grid_params_t),
    .value_inputs = 1u << 1,
    .infer = affine_grid_infer,
    .run = affine_grid_run,
};
