/*
 * depth_space_cpu.c - DepthToSpace and SpaceToDepth: one pass over the
 * depth side's rows; each row of w elements scatters to (or gathers from)
 * every b-th element of a space row.
 */
#include "depth_space.h"

#include <string.h>

void depth_space(const depth_space_shape_t *s, bool crd, bool to_space, const void *x, void *y,
                 size_t elem_size)
{
    const int64_t b = s->b, sh = s->h * b, sw = s->w * b;
    const char *src = x;
    char *dst = y;

    for (int64_t n = 0; n < s->n; n++)
        for (int64_t c = 0; c < s->c; c++)
            for (int64_t i = 0; i < b; i++)
                for (int64_t j = 0; j < b; j++) {
                    const int64_t dc = crd ? (c * b + i) * b + j : (i * b + j) * s->c + c;
                    const int64_t c_total = s->c * b * b;
                    for (int64_t h = 0; h < s->h; h++) {
                        const int64_t depth_row = ((n * c_total + dc) * s->h + h) * s->w;
                        const int64_t space_row = ((n * s->c + c) * sh + h * b + i) * sw + j;
                        for (int64_t w = 0; w < s->w; w++) {
                            const int64_t d = depth_row + w, sp = space_row + w * b;
                            if (to_space)
                                memcpy(dst + sp * (int64_t)elem_size, src + d * (int64_t)elem_size,
                                       elem_size);
                            else
                                memcpy(dst + d * (int64_t)elem_size, src + sp * (int64_t)elem_size,
                                       elem_size);
                        }
                    }
                }
}

status_t depth_space_run(op_call_t *call, error_t *err)
{
    const depth_space_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    depth_space_shape_t s = {.n = x->dims[0], .b = p->blocksize};

    (void)err;
    if (p->to_space) {
        s.c = x->dims[1] / (p->blocksize * p->blocksize);
        s.h = x->dims[2];
        s.w = x->dims[3];
    } else {
        s.c = x->dims[1];
        s.h = x->dims[2] / p->blocksize;
        s.w = x->dims[3] / p->blocksize;
    }
    depth_space(&s, p->crd, p->to_space, x->data, call->outputs[0].data, dtype_size(x->dtype));
    return STATUS_OK;
}
