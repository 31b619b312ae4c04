/* ONNX adapter: MaxUnpool 9, 11 (which only admitted more index layouts in its text). */
#include "max_unpool.h"

/*
 * Largest window side, stride or pad: (dim - 1) * stride + kernel stays far
 * inside int64 for any dim a tensor may have.
 */
#define MAX_UNPOOL_MAX_SIDE (INT64_C(1) << 20)

static status_t adapt_max_unpool(const op_adapt_t *a, void *params, error_t *err)
{
    max_unpool_params_t *p = params;
    int n_strides, n_pads;
    status_t st = adapt_ints(a, "kernel_shape", TENSOR_MAX_RANK - 2, p->kernel, &p->n_dims, err);

    if (st == STATUS_OK)
        st = adapt_ints(a, "strides", TENSOR_MAX_RANK - 2, p->strides, &n_strides, err);
    if (st == STATUS_OK)
        st = adapt_ints(a, "pads", 2 * (TENSOR_MAX_RANK - 2), p->pads, &n_pads, err);
    if (st != STATUS_OK)
        return st;
    if (p->n_dims < 1)
        return op_adapt_fail(a, err, "attribute 'kernel_shape' is required");
    if (n_strides >= 0 && n_strides != p->n_dims)
        return op_adapt_fail(a, err, "strides has %d values, kernel_shape %d", n_strides,
                             p->n_dims);
    if (n_pads >= 0 && n_pads != 2 * p->n_dims)
        return op_adapt_fail(a, err, "pads has %d values, expected %d", n_pads, 2 * p->n_dims);
    for (int d = 0; d < p->n_dims; d++) {
        if (n_strides < 0)
            p->strides[d] = 1;
        if (n_pads < 0)
            p->pads[d] = p->pads[p->n_dims + d] = 0;
    }
    for (int d = 0; d < p->n_dims; d++)
        if (p->kernel[d] < 1 || p->kernel[d] > MAX_UNPOOL_MAX_SIDE || p->strides[d] < 1 ||
            p->strides[d] > MAX_UNPOOL_MAX_SIDE || p->pads[d] < 0 ||
            p->pads[d] > MAX_UNPOOL_MAX_SIDE || p->pads[p->n_dims + d] < 0 ||
            p->pads[p->n_dims + d] > MAX_UNPOOL_MAX_SIDE)
            return op_adapt_fail(a, err,
                                 "kernel_shape, strides and pads along dim %d must be within "
                                 "[1, 2^20] ([0, 2^20] for pads)",
                                 d);
    return STATUS_OK;
}

const op_schema_t op_schemas_max_unpool[] = {
    {"MaxUnpool", 9, 10, adapt_max_unpool, &max_unpool_kernel},
    {"MaxUnpool", 11, OPSET_MAX, adapt_max_unpool, &max_unpool_kernel},
    {0},
};
