#include "grid_sample.h"

#define GRID_SAMPLE_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t grid_sample_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    /* T1 (X, Y): every type since opset 16; T2 (grid): float types */
    .input_dtypes = {DTYPES_ALL, GRID_SAMPLE_REALS},
    .layout = "NCHW",
};

static status_t grid_sample_infer(op_call_t *call, error_t *err)
{
    const grid_sample_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *grid = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    const int r = x->rank - 2;

    if (r < 1 || (!p->nd && r != 2))
        return op_call_fail(call, err, "X must be [N, C, %s], got %s", p->nd ? "D1, ..." : "H, W",
                            shape_format(x->rank, x->dims, a, sizeof a));
    if (r > GRID_SAMPLE_MAX_SPATIAL || (p->mode == GRID_SAMPLE_CUBIC && r != 2))
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "%d spatial dims are not supported in this mode (linear and nearest: up "
                       "to %d, cubic: 2)",
                       r, GRID_SAMPLE_MAX_SPATIAL);
    if (grid->rank != x->rank || grid->dims[0] != x->dims[0] || grid->dims[grid->rank - 1] != r)
        return op_call_fail(call, err, "grid %s must be [N, out dims..., %d] for X %s",
                            shape_format(grid->rank, grid->dims, a, sizeof a), r,
                            shape_format(x->rank, x->dims, b, sizeof b));
    for (int d = 2; d < x->rank; d++)
        if (x->dims[d] == 0 && tensor_numel(grid) > 0)
            return op_call_fail(call, err, "X %s has an empty spatial dim to sample from",
                                shape_format(x->rank, x->dims, a, sizeof a));
    y->dtype = x->dtype;
    y->rank = x->rank;
    y->dims[0] = x->dims[0];
    y->dims[1] = x->dims[1];
    for (int d = 0; d < r; d++)
        y->dims[2 + d] = grid->dims[1 + d];
    return STATUS_OK;
}

const op_kernel_t grid_sample_kernel = {
    .name = "GridSample",
    .info = &grid_sample_info,
    .params_size = sizeof(grid_sample_params_t),
    .infer = grid_sample_infer,
    .run = grid_sample_run,
};
