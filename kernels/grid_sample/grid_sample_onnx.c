/*
 * ONNX adapters: GridSample 16 (2-D; modes bilinear, nearest, bicubic) and
 * 20 (N-D; the modes renamed linear, nearest, cubic).
 */
#include "grid_sample.h"

#include <string.h>

static status_t adapt_grid_sample(const op_adapt_t *a, grid_sample_params_t *p, bool nd,
                                  error_t *err)
{
    static const char *const modes_16[] = {"bilinear", "nearest", "bicubic"};
    static const char *const modes_20[] = {"linear", "nearest", "cubic"};
    static const char *const paddings[] = {"zeros", "border", "reflection"};
    const char *const *modes = nd ? modes_20 : modes_16;
    const char *mode, *padding;
    int64_t align;
    status_t st = adapt_string(a, "mode", modes[0], &mode, err);

    if (st == STATUS_OK)
        st = adapt_string(a, "padding_mode", "zeros", &padding, err);
    if (st == STATUS_OK)
        st = adapt_int(a, "align_corners", 0, &align, err);
    if (st != STATUS_OK)
        return st;
    p->nd = nd;
    p->align_corners = align != 0;
    p->mode = (grid_sample_mode_t)-1;
    for (int i = 0; i < 3; i++)
        if (strcmp(mode, modes[i]) == 0)
            p->mode = (grid_sample_mode_t)i;
    if ((int)p->mode < 0)
        return op_adapt_fail(a, err, "mode '%s' is not one of %s, %s, %s at opset %d", mode,
                             modes[0], modes[1], modes[2], a->opset);
    p->padding = (grid_sample_padding_t)-1;
    for (int i = 0; i < 3; i++)
        if (strcmp(padding, paddings[i]) == 0)
            p->padding = (grid_sample_padding_t)i;
    if ((int)p->padding < 0)
        return op_adapt_fail(a, err, "padding_mode '%s' is not zeros, border or reflection",
                             padding);
    return STATUS_OK;
}

static status_t adapt_grid_sample_16(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_grid_sample(a, params, false, err);
}

static status_t adapt_grid_sample_20(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_grid_sample(a, params, true, err);
}

const op_schema_t op_schemas_grid_sample[] = {
    {"GridSample", 16, 19, adapt_grid_sample_16, &grid_sample_kernel},
    {"GridSample", 20, OPSET_MAX, adapt_grid_sample_20, &grid_sample_kernel},
    {0},
};
