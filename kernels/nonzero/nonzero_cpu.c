#include "nonzero.h"

#include <string.h>

/* Non-zero test of element i: floats by value (-0.0 is zero), the rest by their bytes. */
static bool element_nonzero(const void *x, dtype_t t, size_t size, int64_t i)
{
    static const uint8_t zero[DTYPE_MAX_SIZE];

    if (t == DTYPE_FLOAT)
        return ((const float *)x)[i] != 0.0f;
    if (t == DTYPE_DOUBLE)
        return ((const double *)x)[i] != 0.0;
    return memcmp((const char *)x + (size_t)i * size, zero, size) != 0;
}

int64_t nonzero_count(const void *x, dtype_t t, int64_t n)
{
    size_t size = dtype_size(t);
    int64_t count = 0;

    for (int64_t i = 0; i < n; i++)
        count += element_nonzero(x, t, size, i);
    return count;
}

/* Two passes, count then fill: the output is exactly as large as it must be. */
status_t nonzero_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    int rank = x->rank > 0 ? x->rank : 1;
    int64_t n = tensor_numel(x), dims[2], strides[TENSOR_MAX_RANK], one = 1;
    size_t size = dtype_size(x->dtype);
    int64_t *y, count = nonzero_count(x->data, x->dtype, n), j = 0;
    status_t st;

    dims[0] = rank;
    dims[1] = count;
    st = op_call_output(call, 0, 2, dims, err);
    if (st)
        return st;
    y = call->outputs[0].data;
    shape_strides(x->rank > 0 ? x->rank : 1, x->rank > 0 ? x->dims : &one, strides);
    for (int64_t i = 0; i < n; i++) {
        if (!element_nonzero(x->data, x->dtype, size, i))
            continue;
        int64_t rest = i;
        for (int d = 0; d < rank; d++) {
            y[d * count + j] = rest / strides[d];
            rest %= strides[d];
        }
        j++;
    }
    return STATUS_OK;
}
