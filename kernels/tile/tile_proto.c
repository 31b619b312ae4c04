#include "tile.h"

#include <assert.h>

static const op_info_t tile_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t tile_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *repeats = call->inputs[1];
    tensor_t *y = &call->outputs[0];
    char text[SHAPE_TEXT_MAX];

    assert(repeats->data);
    if (repeats->rank != 1 || repeats->dims[0] != x->rank)
        return op_call_fail(call, err, "input 'repeats' has shape %s, expected [%d]",
                            shape_format(repeats->rank, repeats->dims, text, sizeof text), x->rank);
    y->dtype = x->dtype;
    y->rank = x->rank;
    for (int i = 0; i < x->rank; i++) {
        int64_t r = tensor_get_index(repeats, i);
        if (r < 0)
            return op_call_fail(call, err, "repeat %lld for axis %d is negative", (long long)r, i);
        /* Checked before multiplying so the product cannot overflow. */
        if (x->dims[i] > 0 && r > TENSOR_MAX_ELEMENTS / x->dims[i])
            return op_call_fail(call, err, "repeat %lld for axis %d of size %lld is too large",
                                (long long)r, i, (long long)x->dims[i]);
        y->dims[i] = x->dims[i] * r;
    }
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s exceeds %lld elements",
                            shape_format(y->rank, y->dims, text, sizeof text),
                            (long long)TENSOR_MAX_ELEMENTS);
    return STATUS_OK;
}

const op_kernel_t tile_kernel = {
    .name = "Tile",
    .info = &tile_info,
    .value_inputs = 1u << 1,
    .infer = tile_infer,
    .run = tile_run,
};
