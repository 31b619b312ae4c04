#include "col2im.h"

#include <string.h>

/*
 * Adds the taps of one (batch, channel) plane: for every tap offset k and
 * block position b, image index b * stride - pad_begin + k * dilation per
 * dim, skipped where that falls in the padding.
 */
static void col2im_plane(const col2im_geom_t *g, const float *x, float *y)
{
    int64_t k[COL2IM_MAX_DIMS] = {0};

    for (int64_t tap = 0; tap < g->block_size; tap++) {
        int64_t b[COL2IM_MAX_DIMS] = {0};
        const float *col = x + tap * g->n_blocks;
        for (int64_t l = 0; l < g->n_blocks; l++) {
            int64_t pos = 0;
            bool inside = true;
            for (int d = 0; d < g->dims && inside; d++) {
                int64_t i = b[d] * g->stride[d] - g->pad_begin[d] + k[d] * g->dilation[d];
                inside = i >= 0 && i < g->image[d];
                pos = pos * g->image[d] + i;
            }
            if (inside)
                y[pos] += col[l];
            /* Next block position, the last dim fastest. */
            for (int d = g->dims - 1; d >= 0 && ++b[d] == g->blocks[d]; d--)
                b[d] = 0;
        }
        for (int d = g->dims - 1; d >= 0 && ++k[d] == g->block[d]; d--)
            k[d] = 0;
    }
}

void col2im_f32(const col2im_geom_t *g, const float *x, float *y)
{
    int64_t plane = 1;

    for (int d = 0; d < g->dims; d++)
        plane *= g->image[d];
    memset(y, 0, (size_t)(g->batch * g->channels * plane) * sizeof *y);
    for (int64_t p = 0; p < g->batch * g->channels; p++)
        col2im_plane(g, x + p * g->block_size * g->n_blocks, y + p * plane);
}

/*
 * y[pos] += x[l] in dtype t. Integers add in the unsigned type of their
 * width, so overflow wraps (two's complement) instead of being undefined;
 * bool adds as logical or, which is what summing in a number type and
 * casting back to bool (nonzero is true) gives.
 */
static void add_elem(dtype_t t, void *y, int64_t pos, const void *x, int64_t l)
{
    switch (t) {
    case DTYPE_DOUBLE:
        ((double *)y)[pos] += ((const double *)x)[l];
        break;
    case DTYPE_INT8:
    case DTYPE_UINT8:
        ((uint8_t *)y)[pos] = (uint8_t)(((uint8_t *)y)[pos] + ((const uint8_t *)x)[l]);
        break;
    case DTYPE_INT16:
    case DTYPE_UINT16:
        ((uint16_t *)y)[pos] = (uint16_t)(((uint16_t *)y)[pos] + ((const uint16_t *)x)[l]);
        break;
    case DTYPE_INT32:
    case DTYPE_UINT32:
        ((uint32_t *)y)[pos] += ((const uint32_t *)x)[l];
        break;
    case DTYPE_INT64:
    case DTYPE_UINT64:
        ((uint64_t *)y)[pos] += ((const uint64_t *)x)[l];
        break;
    case DTYPE_BOOL:
        ((bool *)y)[pos] = ((bool *)y)[pos] || ((const bool *)x)[l];
        break;
    default:
        break;
    }
}

/* col2im_plane for every other dtype: the same walk, one typed add per tap. */
static void col2im_plane_any(const col2im_geom_t *g, dtype_t t, const char *x, char *y)
{
    const size_t elem = dtype_size(t);
    int64_t k[COL2IM_MAX_DIMS] = {0};

    for (int64_t tap = 0; tap < g->block_size; tap++) {
        int64_t b[COL2IM_MAX_DIMS] = {0};
        const char *col = x + (size_t)(tap * g->n_blocks) * elem;
        for (int64_t l = 0; l < g->n_blocks; l++) {
            int64_t pos = 0;
            bool inside = true;
            for (int d = 0; d < g->dims && inside; d++) {
                int64_t i = b[d] * g->stride[d] - g->pad_begin[d] + k[d] * g->dilation[d];
                inside = i >= 0 && i < g->image[d];
                pos = pos * g->image[d] + i;
            }
            if (inside)
                add_elem(t, y, pos, col, l);
            for (int d = g->dims - 1; d >= 0 && ++b[d] == g->blocks[d]; d--)
                b[d] = 0;
        }
        for (int d = g->dims - 1; d >= 0 && ++k[d] == g->block[d]; d--)
            k[d] = 0;
    }
}

void col2im_any(const col2im_geom_t *g, dtype_t t, const void *x, void *y)
{
    const size_t elem = dtype_size(t);
    int64_t plane = 1;

    for (int d = 0; d < g->dims; d++)
        plane *= g->image[d];
    memset(y, 0, (size_t)(g->batch * g->channels * plane) * elem);
    for (int64_t p = 0; p < g->batch * g->channels; p++)
        col2im_plane_any(g, t, (const char *)x + (size_t)(p * g->block_size * g->n_blocks) * elem,
                         (char *)y + (size_t)(p * plane) * elem);
}

status_t col2im_run(op_call_t *call, error_t *err)
{
    col2im_geom_t g;
    status_t st = col2im_resolve(call, &g, err);

    if (st != STATUS_OK)
        return st;
    if (call->inputs[0]->dtype == DTYPE_FLOAT)
        col2im_f32(&g, call->inputs[0]->data, call->outputs[0].data);
    else
        col2im_any(&g, call->inputs[0]->dtype, call->inputs[0]->data, call->outputs[0].data);
    return STATUS_OK;
}
