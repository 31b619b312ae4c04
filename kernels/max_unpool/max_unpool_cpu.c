/* max_unpool_cpu.c - MaxUnpool: zero fill, then one scattered copy per element of X. */
#include "max_unpool.h"

#include <string.h>

void max_unpool_default_shape(const max_unpool_params_t *p, int x_rank, const int64_t *x_dims,
                              int64_t *out)
{
    out[0] = x_dims[0];
    out[1] = x_dims[1];
    for (int d = 0; d < p->n_dims; d++)
        out[2 + d] = (x_dims[2 + d] - 1) * p->strides[d] + p->kernel[d] - p->pads[d] -
                     p->pads[p->n_dims + d];
    (void)x_rank;
}

int64_t max_unpool(const void *x, const tensor_t *indices, size_t elem_size, int rank,
                   const int64_t *def_dims, const int64_t *y_dims, void *y)
{
    const int64_t n = tensor_numel(indices);
    int64_t y_numel = 1, def_numel = 1;

    for (int d = 0; d < rank; d++) {
        y_numel *= y_dims[d];
        def_numel *= def_dims[d];
    }
    memset(y, 0, (size_t)y_numel * elem_size);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = tensor_get_index(indices, i), at = 0, scale = 1;
        if (v < 0 || v >= def_numel)
            return i;
        /* Decode in the attributes' shape, encode in the output's. */
        for (int d = rank - 1; d >= 0; d--) {
            const int64_t c = v % def_dims[d];
            v /= def_dims[d];
            if (c >= y_dims[d])
                return i;
            at += c * scale;
            scale *= y_dims[d];
        }
        memcpy((char *)y + (size_t)at * elem_size, (const char *)x + (size_t)i * elem_size,
               elem_size);
    }
    return -1;
}

status_t max_unpool_run(op_call_t *call, error_t *err)
{
    const max_unpool_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *indices = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    int64_t def[TENSOR_MAX_RANK];
    int64_t bad;

    max_unpool_default_shape(p, x->rank, x->dims, def);
    bad = max_unpool(x->data, indices, dtype_size(x->dtype), x->rank, def, y->dims, y->data);
    if (bad >= 0)
        return op_call_fail(call, err,
                            "index %lld (element %lld of I) is outside the unpooled tensor",
                            (long long)tensor_get_index(indices, bad), (long long)bad);
    return STATUS_OK;
}
