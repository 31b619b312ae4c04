#include "col2im.h"

#include <assert.h>

static const op_info_t col2im_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64), DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

/* An attribute list must be absent or have `want` values, each at least `min`. */
static status_t check_list(const op_call_t *call, const char *name, int count, int want,
                           const int64_t *values, int64_t min, error_t *err)
{
    if (count < 0)
        return STATUS_OK;
    if (count != want)
        return op_call_fail(call, err, "attribute '%s' has %d values, expected %d", name, count,
                            want);
    for (int i = 0; i < count; i++)
        if (values[i] < min)
            return op_call_fail(call, err, "%s[%d] = %lld must be at least %lld", name, i,
                                (long long)values[i], (long long)min);
    return STATUS_OK;
}

status_t col2im_resolve(const op_call_t *call, col2im_geom_t *g, error_t *err)
{
    const col2im_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *image = call->inputs[1], *block = call->inputs[2];
    char text[SHAPE_TEXT_MAX];
    int64_t n;
    status_t st;

    assert(image->data && block->data);
    if (x->rank != 3)
        return op_call_fail(call, err, "input %s must be 3-D (N x C*prod(block_shape) x L)",
                            shape_format(x->rank, x->dims, text, sizeof text));
    n = tensor_numel(image);
    if (image->rank != 1 || n < 1 || n > COL2IM_MAX_DIMS || tensor_numel(block) != n ||
        block->rank != 1)
        return op_call_fail(call, err,
                            "image_shape %s and block_shape must be 1-D with the same count of "
                            "1 to %d dims",
                            shape_format(image->rank, image->dims, text, sizeof text),
                            COL2IM_MAX_DIMS);
    g->dims = (int)n;
    if ((st = check_list(call, "dilations", p->n_dilations, g->dims, p->dilations, 1, err)) ||
        (st = check_list(call, "strides", p->n_strides, g->dims, p->strides, 1, err)) ||
        (st = check_list(call, "pads", p->n_pads, 2 * g->dims, p->pads, 0, err)))
        return st;
    g->batch = x->dims[0];
    g->block_size = 1;
    g->n_blocks = 1;
    for (int d = 0; d < g->dims; d++) {
        int64_t pad_end = p->n_pads > 0 ? p->pads[g->dims + d] : 0, extent;
        g->image[d] = tensor_get_index(image, d);
        g->block[d] = tensor_get_index(block, d);
        g->dilation[d] = p->n_dilations > 0 ? p->dilations[d] : 1;
        g->stride[d] = p->n_strides > 0 ? p->strides[d] : 1;
        g->pad_begin[d] = p->n_pads > 0 ? p->pads[d] : 0;
        if (g->image[d] < 1 || g->block[d] < 1 || g->image[d] > TENSOR_MAX_ELEMENTS ||
            g->block[d] > TENSOR_MAX_ELEMENTS || g->dilation[d] > TENSOR_MAX_ELEMENTS ||
            g->pad_begin[d] > TENSOR_MAX_ELEMENTS || pad_end > TENSOR_MAX_ELEMENTS)
            return op_call_fail(call, err, "image dim %d: size %lld, block %lld out of range", d,
                                (long long)g->image[d], (long long)g->block[d]);
        /* The span of one block's taps, which must fit the padded image. */
        extent = g->dilation[d] * (g->block[d] - 1) + 1;
        if (extent > g->image[d] + g->pad_begin[d] + pad_end)
            return op_call_fail(call, err,
                                "block of %lld taps dilated by %lld does not fit image dim %d of "
                                "%lld plus pads",
                                (long long)g->block[d], (long long)g->dilation[d], d,
                                (long long)g->image[d]);
        g->blocks[d] = (g->image[d] + g->pad_begin[d] + pad_end - extent) / g->stride[d] + 1;
        g->block_size *= g->block[d];
        g->n_blocks *= g->blocks[d];
        if (g->block_size > TENSOR_MAX_ELEMENTS || g->n_blocks > TENSOR_MAX_ELEMENTS)
            return op_call_fail(call, err, "block_shape or the block count is too large");
    }
    if (x->dims[1] % g->block_size != 0 || x->dims[2] != g->n_blocks)
        return op_call_fail(call, err,
                            "input %s does not hold C * %lld taps (prod(block_shape)) in %lld "
                            "blocks",
                            shape_format(x->rank, x->dims, text, sizeof text),
                            (long long)g->block_size, (long long)g->n_blocks);
    g->channels = x->dims[1] / g->block_size;
    return STATUS_OK;
}

static status_t col2im_infer(op_call_t *call, error_t *err)
{
    tensor_t *y = &call->outputs[0];
    col2im_geom_t g;
    char text[SHAPE_TEXT_MAX];
    status_t st = col2im_resolve(call, &g, err);

    if (st != STATUS_OK)
        return st;
    y->dtype = call->inputs[0]->dtype;
    y->rank = 2 + g.dims;
    y->dims[0] = g.batch;
    y->dims[1] = g.channels;
    for (int d = 0; d < g.dims; d++)
        y->dims[2 + d] = g.image[d];
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s exceeds %lld elements",
                            shape_format(y->rank, y->dims, text, sizeof text),
                            (long long)TENSOR_MAX_ELEMENTS);
    call->workspace_size = 0;
    return STATUS_OK;
}

const op_kernel_t col2im_kernel = {
    .name = "Col2Im",
    .info = &col2im_info,
    .params_size = sizeof(col2im_params_t),
    .value_inputs = (1u << 1) | (1u << 2),
    .infer = col2im_infer,
    .run = col2im_run,
};
