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

status_t col2im_run(op_call_t *call, error_t *err)
{
    col2im_geom_t g;
    status_t st = col2im_resolve(call, &g, err);

    if (st != STATUS_OK)
        return st;
    col2im_f32(&g, call->inputs[0]->data, call->outputs[0].data);
    return STATUS_OK;
}
